package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// isolate runs the test in an empty directory with no BOREALIS_* variables
// and no user config, so only what the test sets counts.
func isolate(t *testing.T) string {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, EnvPrefix+"_") {
			t.Setenv(name, "") // restores the value after the test
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	t.Setenv("XDG_STATE_HOME", "")
	t.Chdir(dir)
	return dir
}

func newFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	require.NoError(t, fs.Parse(args))
	return fs
}

func TestDefaults(t *testing.T) {
	home := isolate(t)
	st, err := Load(newFlags(t))
	require.NoError(t, err)
	assert.Equal(t, "localhost:7233", st.Temporal.Address)
	assert.Equal(t, "default", st.Temporal.Namespace)
	assert.Equal(t, "borealis", st.Temporal.TaskQueue)
	assert.Equal(t, "http://localhost:8233", st.Temporal.WebUI)
	assert.False(t, st.Temporal.TLS())
	assert.Equal(t, filepath.Join(home, ".local", "state", "borealis"), st.DataDir)
	assert.Equal(t, Ports{HostAddress: "127.0.0.1", Min: 31000, Max: 32000}, st.Ports)
	assert.Equal(t, Flapping{Threshold: 5 * time.Minute, InitialDelay: 30 * time.Second, MaxDelay: 5 * time.Minute}, st.Flapping)
	assert.Equal(t, 24*time.Hour, st.SandboxRetention)
	assert.Equal(t, SLA{CheckInterval: 5 * time.Second, MinInstances: 20, NonProduction: false}, st.SLA)
	for _, e := range st.Entries() {
		assert.Equal(t, SourceDefault, e.Source, e.Key)
	}
}

func TestPrecedence(t *testing.T) {
	dir := isolate(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"), []byte(`
temporal:
  address: file:7233
  namespace: from-file
  task_queue: from-file
ports:
  range: 40000-40010
`), 0o644))
	t.Setenv("BOREALIS_TEMPORAL_NAMESPACE", "from-env")
	t.Setenv("BOREALIS_TEMPORAL_TASK_QUEUE", "from-env")
	t.Setenv("BOREALIS_DATA_DIR", "/srv/borealis")

	st, err := Load(newFlags(t, "--temporal-task-queue", "from-flag"))
	require.NoError(t, err)
	assert.Equal(t, "file:7233", st.Temporal.Address)
	assert.Equal(t, "from-env", st.Temporal.Namespace)
	assert.Equal(t, "from-flag", st.Temporal.TaskQueue)
	assert.Equal(t, "/srv/borealis", st.DataDir)
	assert.Equal(t, 40000, st.Ports.Min)

	sources := map[string]Source{}
	for _, e := range st.Entries() {
		sources[e.Key] = e.Source
	}
	assert.Equal(t, SourceFile, sources[KeyTemporalAddress])
	assert.Equal(t, SourceEnv, sources[KeyTemporalNamespace])
	assert.Equal(t, SourceFlag, sources[KeyTemporalTaskQueue])
	assert.Equal(t, SourceEnv, sources[KeyDataDir])
	assert.Equal(t, SourceFile, sources[KeyPortsRange])
	assert.Equal(t, SourceDefault, sources[KeyWebUI])
}

func TestExplicitConfigFile(t *testing.T) {
	dir := isolate(t)
	path := filepath.Join(dir, "other.yaml")
	require.NoError(t, os.WriteFile(path, []byte("flapping:\n  threshold: 2s\n"), 0o644))
	st, err := Load(newFlags(t, "--config", path))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, st.Flapping.Threshold)

	_, err = Load(newFlags(t, "--config", filepath.Join(dir, "missing.yaml")))
	assert.ErrorContains(t, err, "settings file")
}

func TestInvalidSettings(t *testing.T) {
	cases := map[string]struct {
		file, want string
	}{
		"unknown key":        {"temporal:\n  adress: x\n", "unknown keys: temporal.adress"},
		"bad port range":     {"ports:\n  range: 5-1\n", "ports.range"},
		"bad host address":   {"ports:\n  host_address: localhost\n", "ports.host_address"},
		"bad duration":       {"flapping:\n  threshold: soon\n", "flapping.threshold"},
		"delay above max":    {"flapping:\n  initial_delay: 10m\n", "flapping.initial_delay"},
		"cert without key":   {"temporal:\n  tls_cert: /c.pem\n", "temporal.tls_cert"},
		"empty task queue":   {"temporal:\n  task_queue: ''\n", "temporal.task_queue"},
		"malformed yaml":     {"temporal: [\n", "settings file"},
		"range not numbers":  {"ports:\n  range: a-b\n", "ports.range"},
		"negative retention": {"sandbox_retention: -1h\n", "sandbox_retention: must not be negative"},
		"bad retention":      {"sandbox_retention: a week\n", "sandbox_retention"},
		"sla interval zero":  {"sla:\n  check_interval: 0s\n", "sla.check_interval: must be > 0"},
		"sla interval < 0":   {"sla:\n  check_interval: -1s\n", "sla.check_interval: must be > 0"},
		"sla bad interval":   {"sla:\n  check_interval: often\n", `sla.check_interval: time: invalid duration "often"`},
		"sla min negative":   {"sla:\n  min_instances: -1\n", "sla.min_instances: must not be negative"},
		"sla min not int":    {"sla:\n  min_instances: many\n", `sla.min_instances: "many" is not a whole number`},
		"sla non_prod":       {"sla:\n  non_production: perhaps\n", `sla.non_production: "perhaps" is not true or false`},
		"sla unknown key":    {"sla:\n  min_instance: 3\n", "unknown keys: sla.min_instance"},
		"server name, plain": {"temporal:\n  tls_server_name: t.example\n", "temporal.tls_server_name: set, but TLS is off (set temporal.tls_ca, temporal.tls_cert and temporal.tls_key, or temporal.api_key)"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := isolate(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"), []byte(tc.file), 0o644))
			_, err := Load(newFlags(t))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNames(t *testing.T) {
	assert.Equal(t, "BOREALIS_DATA_DIR", EnvName(KeyDataDir))
	assert.Equal(t, "BOREALIS_TEMPORAL_TASK_QUEUE", EnvName(KeyTemporalTaskQueue))
	assert.Equal(t, "temporal-task-queue", FlagName(KeyTemporalTaskQueue))
}

func TestAPIKeyMasked(t *testing.T) {
	isolate(t)
	t.Setenv("BOREALIS_TEMPORAL_API_KEY", "secret")
	st, err := Load(nil)
	require.NoError(t, err)
	assert.True(t, st.Temporal.TLS())
	for _, e := range st.Entries() {
		assert.NotContains(t, e.Value, "secret")
	}
}

func TestSLASettings(t *testing.T) {
	isolate(t)
	t.Setenv("BOREALIS_SLA_CHECK_INTERVAL", "250ms")
	t.Setenv("BOREALIS_SLA_MIN_INSTANCES", "0")
	t.Setenv("BOREALIS_SLA_NON_PRODUCTION", "true")
	st, err := Load(newFlags(t))
	require.NoError(t, err)
	assert.Equal(t, SLA{CheckInterval: 250 * time.Millisecond, MinInstances: 0, NonProduction: true}, st.SLA)
	sources := map[string]Entry{}
	for _, e := range st.Entries() {
		sources[e.Key] = e
	}
	for _, key := range []string{KeySLACheckInterval, KeySLAMinInstances, KeySLANonProduction} {
		assert.Equal(t, SourceEnv, sources[key].Source, key)
	}
	assert.Equal(t, "BOREALIS_SLA_CHECK_INTERVAL", sources[KeySLACheckInterval].Env)
	assert.Equal(t, "BOREALIS_SLA_MIN_INSTANCES", sources[KeySLAMinInstances].Env)
	assert.Equal(t, "BOREALIS_SLA_NON_PRODUCTION", sources[KeySLANonProduction].Env)
	assert.Equal(t, "true", sources[KeySLANonProduction].Value)

	// From the file, and a flag over the environment.
	dir := isolate(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"),
		[]byte("sla:\n  check_interval: 2s\n  min_instances: 4\n  non_production: true\n"), 0o644))
	t.Setenv("BOREALIS_SLA_MIN_INSTANCES", "6")
	st, err = Load(newFlags(t, "--sla-min-instances", "8"))
	require.NoError(t, err)
	assert.Equal(t, SLA{CheckInterval: 2 * time.Second, MinInstances: 8, NonProduction: true}, st.SLA)
	assert.Equal(t, "sla-check-interval", FlagName(KeySLACheckInterval))
}

func TestOnlyBorealisYAML(t *testing.T) {
	evil := "temporal:\n  address: elsewhere:7233\n"
	others := map[string]string{
		// bin/borealis is the CLI itself; a YAML body makes the test fail on
		// the address rather than on a parse error.
		"borealis":      evil,
		"borealis.yml":  evil,
		"borealis.json": `{"temporal": {"address": "elsewhere:7233"}}`,
		"borealis.toml": "[temporal]\naddress = \"elsewhere:7233\"\n",
	}
	for name, body := range others {
		t.Run("./"+name, func(t *testing.T) {
			dir := isolate(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
			st, err := Load(newFlags(t))
			require.NoError(t, err)
			assert.Equal(t, "localhost:7233", st.Temporal.Address)
			assert.Empty(t, st.Notes)
		})
		t.Run("~/.config/borealis/"+name, func(t *testing.T) {
			dir := isolate(t)
			conf := filepath.Join(dir, ".config", "borealis")
			require.NoError(t, os.MkdirAll(conf, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(conf, name), []byte(body), 0o644))
			st, err := Load(newFlags(t))
			require.NoError(t, err)
			assert.Equal(t, "localhost:7233", st.Temporal.Address)
		})
	}

	// The user's borealis.yaml, when the working directory has none; found
	// under ~/.config without XDG_CONFIG_HOME too.
	dir := isolate(t)
	t.Setenv("XDG_CONFIG_HOME", "")
	conf := filepath.Join(dir, ".config", "borealis")
	require.NoError(t, os.MkdirAll(conf, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(conf, "borealis.yaml"), []byte(evil), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.json"), []byte(`{"temporal": {"address": "json:7233"}}`), 0o644))
	st, err := Load(newFlags(t))
	require.NoError(t, err)
	assert.Equal(t, "elsewhere:7233", st.Temporal.Address)
	assert.Empty(t, st.Notes, "only ./borealis.yaml is announced")

	// A file named explicitly is YAML whatever its name.
	path := filepath.Join(dir, "settings")
	require.NoError(t, os.WriteFile(path, []byte("temporal:\n  namespace: named\n"), 0o644))
	st, err = Load(newFlags(t, "--config", path))
	require.NoError(t, err)
	assert.Equal(t, "named", st.Temporal.Namespace)
}

func TestLocalFileNote(t *testing.T) {
	dir := isolate(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"), []byte(`
temporal:
  address: elsewhere:7233
  tls_ca: /etc/ca.pem
  task_queue: q
ports:
  range: 40000-40010
`), 0o644))
	st, err := Load(newFlags(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"./borealis.yaml sets temporal.address, temporal.tls_ca"}, st.Notes)

	// A key the environment or a flag overrides is not the file's doing.
	t.Setenv("BOREALIS_TEMPORAL_ADDRESS", "env:7233")
	st, err = Load(newFlags(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"./borealis.yaml sets temporal.tls_ca"}, st.Notes)
	st, err = Load(newFlags(t, "--temporal-tls-ca", "/flag.pem"))
	require.NoError(t, err)
	assert.Empty(t, st.Notes)

	// Named with --config or BOREALIS_CONFIG, the file is chosen: no note.
	st, err = Load(newFlags(t, "--config", "borealis.yaml"))
	require.NoError(t, err)
	assert.Empty(t, st.Notes)
	t.Setenv("BOREALIS_CONFIG", "./borealis.yaml")
	st, err = Load(newFlags(t))
	require.NoError(t, err)
	assert.Empty(t, st.Notes)

	// Every connection key is named; other keys are not.
	dir = isolate(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"), []byte(`
temporal:
  namespace: other
  api_key: k
  tls_cert: /c.pem
  tls_key: /k.pem
  tls_server_name: t.example
  web_ui: http://ui
`), 0o644))
	st, err = Load(newFlags(t))
	require.NoError(t, err)
	assert.Equal(t, []string{"./borealis.yaml sets temporal.namespace, temporal.api_key, temporal.tls_cert, temporal.tls_key, temporal.tls_server_name"}, st.Notes)

	dir = isolate(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"), []byte("log_level: debug\n"), 0o644))
	st, err = Load(newFlags(t))
	require.NoError(t, err)
	assert.Empty(t, st.Notes)
}

func TestTLSServerName(t *testing.T) {
	isolate(t)
	t.Setenv("BOREALIS_TEMPORAL_TLS_SERVER_NAME", "t.example")
	_, err := Load(newFlags(t))
	require.ErrorContains(t, err, "temporal.tls_server_name: set, but TLS is off")
	for _, on := range [][]string{
		{"--temporal-tls-ca", "/ca.pem"},
		{"--temporal-api-key", "k"},
		{"--temporal-tls-cert", "/c.pem", "--temporal-tls-key", "/k.pem"},
	} {
		st, err := Load(newFlags(t, on...))
		require.NoError(t, err, on)
		assert.Equal(t, "t.example", st.Temporal.TLSServerName)
		assert.True(t, st.Temporal.TLS())
	}
}

func TestWorkerSettingsDefaults(t *testing.T) {
	isolate(t)
	st, err := Load(newFlags(t))
	require.NoError(t, err)
	host, err := os.Hostname()
	require.NoError(t, err)
	assert.Equal(t, Tasks{UID: 65534, GID: 65534}, st.Tasks)
	assert.Equal(t, []string{"env", "label", "workdir", "volume", "user"}, st.AllowedDockerParameters)
	assert.Empty(t, st.AllowedHostPaths)
	assert.Equal(t, 10000, st.MaxInstances)
	assert.Empty(t, st.SecretsDir)
	assert.Equal(t, "default/borealis", st.DeploymentID)
	assert.Equal(t, host, st.HostName)

	entries := map[string]Entry{}
	for _, e := range st.Entries() {
		entries[e.Key] = e
	}
	for key, want := range map[string]string{
		KeyTasksUID:                "65534",
		KeyTasksGID:                "65534",
		KeyDockerAllowedParameters: "env,label,workdir,volume,user",
		KeyVolumesAllowedHostPaths: "",
		KeyJobsMaxInstances:        "10000",
		KeySecretsDir:              "",
		KeyDeploymentID:            "default/borealis",
		KeyHostName:                host,
	} {
		assert.Equal(t, want, entries[key].Value, key)
		assert.Equal(t, SourceDefault, entries[key].Source, key)
	}
	assert.Equal(t, "BOREALIS_TASKS_UID", entries[KeyTasksUID].Env)
	assert.Equal(t, "BOREALIS_DOCKER_ALLOWED_PARAMETERS", entries[KeyDockerAllowedParameters].Env)
	assert.Equal(t, "BOREALIS_VOLUMES_ALLOWED_HOST_PATHS", entries[KeyVolumesAllowedHostPaths].Env)
	assert.Equal(t, "BOREALIS_JOBS_MAX_INSTANCES", entries[KeyJobsMaxInstances].Env)
	assert.Equal(t, "BOREALIS_SECRETS_DIR", entries[KeySecretsDir].Env)
	assert.Equal(t, "BOREALIS_DEPLOYMENT_ID", entries[KeyDeploymentID].Env)
	assert.Equal(t, "BOREALIS_HOST_NAME", entries[KeyHostName].Env)
	assert.Equal(t, "docker-allowed-parameters", FlagName(KeyDockerAllowedParameters))

	// The deployment follows the namespace and task queue.
	st, err = Load(newFlags(t, "--temporal-namespace", "prod", "--temporal-task-queue", "east"))
	require.NoError(t, err)
	assert.Equal(t, "prod/east", st.DeploymentID)
}

func TestWorkerSettingsSources(t *testing.T) {
	dir := isolate(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"), []byte(`
tasks:
  uid: 1000
  gid: 0
docker:
  allowed_parameters: [env, cap-add]
volumes:
  allowed_host_paths:
    - /srv/shared/
    - /opt/data
jobs:
  max_instances: 50
secrets:
  dir: /etc/borealis/secrets
deployment:
  id: east-1
host:
  name: node-7
`), 0o644))
	st, err := Load(newFlags(t))
	require.NoError(t, err)
	assert.Equal(t, Tasks{UID: 1000, GID: 0, Root: true}, st.Tasks, "gid 0 set explicitly is root")
	assert.Equal(t, []string{"env", "cap-add"}, st.AllowedDockerParameters)
	assert.Equal(t, []string{"/srv/shared", "/opt/data"}, st.AllowedHostPaths)
	assert.Equal(t, 50, st.MaxInstances)
	assert.Equal(t, "/etc/borealis/secrets", st.SecretsDir)
	assert.Equal(t, "east-1", st.DeploymentID)
	assert.Equal(t, "node-7", st.HostName)
	for _, e := range st.Entries() {
		switch e.Key {
		case KeyDockerAllowedParameters:
			assert.Equal(t, "env,cap-add", e.Value)
		case KeyVolumesAllowedHostPaths:
			assert.Equal(t, "/srv/shared/,/opt/data", e.Value, "as written")
		}
		if strings.HasPrefix(e.Key, "tasks.") || strings.HasPrefix(e.Key, "volumes.") || e.Key == KeyHostName {
			assert.Equal(t, SourceFile, e.Source, e.Key)
		}
	}

	// The environment: comma lists, and an empty list counts.
	t.Setenv("BOREALIS_DOCKER_ALLOWED_PARAMETERS", "")
	t.Setenv("BOREALIS_VOLUMES_ALLOWED_HOST_PATHS", "/a, /b")
	t.Setenv("BOREALIS_TASKS_UID", "0")
	st, err = Load(newFlags(t, "--tasks-gid", "100", "--jobs-max-instances", "1"))
	require.NoError(t, err)
	assert.Empty(t, st.AllowedDockerParameters, "empty: no parameter allowed")
	assert.Equal(t, []string{"/a", "/b"}, st.AllowedHostPaths)
	assert.Equal(t, Tasks{UID: 0, GID: 100, Root: true}, st.Tasks)
	assert.Equal(t, 1, st.MaxInstances)
	sources := map[string]Entry{}
	for _, e := range st.Entries() {
		sources[e.Key] = e
	}
	assert.Equal(t, Entry{Key: KeyDockerAllowedParameters, Value: "", Source: SourceEnv, Env: "BOREALIS_DOCKER_ALLOWED_PARAMETERS"}, sources[KeyDockerAllowedParameters])
	assert.Equal(t, "/a,/b", sources[KeyVolumesAllowedHostPaths].Value)
	assert.Equal(t, SourceEnv, sources[KeyTasksUID].Source)
	assert.Equal(t, SourceFlag, sources[KeyTasksGID].Source)
	assert.Equal(t, SourceFlag, sources[KeyJobsMaxInstances].Source)
}

func TestInvalidWorkerSettings(t *testing.T) {
	cases := map[string]struct {
		file, want string
	}{
		"uid not a number":     {"tasks:\n  uid: nobody\n", `tasks.uid: "nobody" is not a whole number`},
		"gid negative":         {"tasks:\n  gid: -1\n", "tasks.gid: must be between 0 and 4294967294, got -1"},
		"uid too large":        {"tasks:\n  uid: 4294967295\n", "tasks.uid: must be between 0 and 4294967294"},
		"unsupported param":    {"docker:\n  allowed_parameters: [env, privileged]\n", `docker.allowed_parameters: "privileged" is not a Docker parameter Borealis supports (cap-add, env, label, user, volume, workdir)`},
		"relative host path":   {"volumes:\n  allowed_host_paths: [data]\n", `volumes.allowed_host_paths: "data" is not an absolute path`},
		"dot-dot host path":    {"volumes:\n  allowed_host_paths: [/srv/../etc]\n", `volumes.allowed_host_paths: "/srv/../etc" has a ".." element`},
		"root host path":       {"volumes:\n  allowed_host_paths: [/]\n", `volumes.allowed_host_paths: "/" would allow every host path`},
		"data dir host path":   {"data_dir: /srv/borealis\nvolumes:\n  allowed_host_paths: [/srv]\n", `volumes.allowed_host_paths: "/srv" overlaps data_dir /srv/borealis`},
		"inside data dir":      {"data_dir: /srv/borealis\nvolumes:\n  allowed_host_paths: [/srv/borealis/sandboxes]\n", "overlaps data_dir"},
		"secrets dir":          {"secrets:\n  dir: /etc/borealis/secrets\nvolumes:\n  allowed_host_paths: [/etc/borealis]\n", "overlaps secrets.dir /etc/borealis/secrets"},
		"relative secrets dir": {"secrets:\n  dir: secrets\n", `secrets.dir: "secrets" is not an absolute path`},
		"max instances zero":   {"jobs:\n  max_instances: 0\n", "jobs.max_instances: must be between 1 and 10000, got 0"},
		"max instances large":  {"jobs:\n  max_instances: 10001\n", "jobs.max_instances: must be between 1 and 10000, got 10001"},
		"max instances text":   {"jobs:\n  max_instances: lots\n", `jobs.max_instances: "lots" is not a whole number`},
		"host name spaces":     {"host:\n  name: my host\n", `host.name: "my host" has white space`},
		"deployment newline":   {"deployment:\n  id: \"a\\nb\"\n", "deployment.id: \"a\\nb\" has a control character"},
		"unknown worker key":   {"tasks:\n  user: 5\n", "unknown keys: tasks.user"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := isolate(t)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "borealis.yaml"), []byte(tc.file), 0o644))
			_, err := Load(newFlags(t))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestWithin(t *testing.T) {
	assert.True(t, Within("/srv/a", "/srv"))
	assert.True(t, Within("/srv", "/srv"))
	assert.False(t, Within("/srvx", "/srv"))
	assert.True(t, Within("/anything", "/"))
}
