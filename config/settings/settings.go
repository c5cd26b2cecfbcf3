// Package settings holds Borealis's own settings (where Temporal and Docker
// are, the data directory, port range, flapping back-off, SLA checks, ...),
// as opposed to job configs, which package config loads.
//
// Settings come, highest first, from command-line flags, environment variables
// BOREALIS_<KEY> (dots turned into underscores: BOREALIS_TEMPORAL_ADDRESS), a
// borealis.yaml file, and the defaults below. Only this package knows viper;
// everything else gets a typed, validated Settings.
package settings

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes every environment variable Borealis reads.
const EnvPrefix = "BOREALIS"

// Keys of every setting, as written in borealis.yaml.
const (
	KeyTemporalAddress    = "temporal.address"
	KeyTemporalNamespace  = "temporal.namespace"
	KeyTemporalTaskQueue  = "temporal.task_queue"
	KeyTemporalAPIKey     = "temporal.api_key"
	KeyTemporalTLSCert    = "temporal.tls_cert"
	KeyTemporalTLSKey     = "temporal.tls_key"
	KeyTemporalTLSCA      = "temporal.tls_ca"
	KeyTemporalTLSServer  = "temporal.tls_server_name"
	KeyWebUI              = "temporal.web_ui"
	KeyDockerHost         = "docker.host"
	KeyDataDir            = "data_dir"
	KeySandboxRetention   = "sandbox_retention"
	KeyRunnerPath         = "runner_path"
	KeyPortsHost          = "ports.host_address"
	KeyPortsRange         = "ports.range"
	KeyFlappingThreshold  = "flapping.threshold"
	KeyFlappingInitial    = "flapping.initial_delay"
	KeyFlappingMax        = "flapping.max_delay"
	KeySLACheckInterval   = "sla.check_interval"
	KeySLAMinInstances    = "sla.min_instances"
	KeySLANonProduction   = "sla.non_production"
	KeyWorkerMetricsAddr  = "worker.metrics_address"
	KeyLogLevel           = "log_level"
	defaultDockerHostUnix = "unix:///var/run/docker.sock"
)

// Settings is the effective, validated configuration of a Borealis process.
type Settings struct {
	Temporal Temporal
	// DockerHost is the Docker Engine endpoint. It must be a local engine:
	// sandboxes and the runner are bind-mounted from this machine.
	DockerHost string
	// DataDir holds sandboxes and the dev server's database.
	DataDir string
	// SandboxRetention is how long the sandbox of a task whose container is
	// gone is kept after its last write; 0 keeps sandboxes forever.
	SandboxRetention time.Duration
	// RunnerPath is the host path of the static borealis-runner binary.
	RunnerPath string
	Ports      Ports
	Flapping   Flapping
	SLA        SLA
	// MetricsAddress is where the worker serves Prometheus metrics ("" = off).
	MetricsAddress string
	LogLevel       string
	// Notes are things the user should know about how the settings were
	// found, e.g. that ./borealis.yaml chose the Temporal address. The CLI
	// and the worker print each on stderr as "note: " + the note.
	Notes []string

	sources map[string]Source
	values  map[string]any
}

// Temporal says how to reach the Temporal service.
type Temporal struct {
	Address       string
	Namespace     string
	TaskQueue     string
	APIKey        string
	TLSCert       string
	TLSKey        string
	TLSCA         string
	TLSServerName string
	// WebUI is the base address of the Temporal Web UI.
	WebUI string
}

// TLS reports whether the Temporal connection uses TLS.
func (t Temporal) TLS() bool {
	return t.TLSCert != "" || t.TLSCA != "" || t.APIKey != ""
}

// Ports is where task ports are published.
type Ports struct {
	HostAddress string
	Min, Max    int
}

// Flapping configures the THROTTLED back-off of docs/semantics.md §4.
type Flapping struct {
	Threshold    time.Duration
	InitialDelay time.Duration
	MaxDelay     time.Duration
}

// SLA configures the worker's SLA-aware updates (Aurora 0.21): an update with
// UpdateConfig.SlaAware stops an instance only when the job keeps its
// SlaPolicy without it (see docs/concepts.md SLA section).
type SLA struct {
	// CheckInterval is how often an SLA-aware update asks again whether an
	// instance may go.
	CheckInterval time.Duration
	// MinInstances: jobs with fewer active instances skip the count and
	// percentage SLA check (Aurora's -min_required_instances_for_sla_check).
	MinInstances int
	// NonProduction checks the SLA of non-production jobs too (Aurora's
	// -sla_aware_kill_non_prod); otherwise they skip it.
	NonProduction bool
}

// Source says where a setting's value came from.
type Source string

// Sources, highest precedence first.
const (
	SourceFlag    Source = "flag"
	SourceEnv     Source = "env"
	SourceFile    Source = "file"
	SourceDefault Source = "default"
)

type setting struct {
	key, help string
	def       func() string
}

// all lists every setting with its default and help; flags, env names,
// `config show` and the docs are generated from it.
var all = []setting{
	{KeyTemporalAddress, "Temporal frontend host:port", constant("localhost:7233")},
	{KeyTemporalNamespace, "Temporal namespace", constant("default")},
	{KeyTemporalTaskQueue, "task queue the worker polls", constant("borealis")},
	{KeyTemporalAPIKey, "Temporal Cloud API key (implies TLS)", constant("")},
	{KeyTemporalTLSCert, "client certificate file for mTLS", constant("")},
	{KeyTemporalTLSKey, "client key file for mTLS", constant("")},
	{KeyTemporalTLSCA, "CA certificate file for the server", constant("")},
	{KeyTemporalTLSServer, "TLS server name override", constant("")},
	{KeyWebUI, "Temporal Web UI base address", constant("http://localhost:8233")},
	{KeyDockerHost, "Docker Engine endpoint (a local engine)", dockerHostDefault},
	{KeyDataDir, "data directory: sandboxes, dev-server database", dataDirDefault},
	{KeySandboxRetention, "keep a sandbox this long after its task's container is gone (0: forever)", constant("24h")},
	{KeyRunnerPath, "host path of the static borealis-runner binary", runnerPathDefault},
	{KeyPortsHost, "host address task ports are published on", constant("127.0.0.1")},
	{KeyPortsRange, "host port range for task ports (MIN-MAX)", constant("31000-32000")},
	{KeyFlappingThreshold, "a task that ran less than this is flapping", constant("5m")},
	{KeyFlappingInitial, "first THROTTLED delay; doubles per flap", constant("30s")},
	{KeyFlappingMax, "longest THROTTLED delay", constant("5m")},
	{KeySLACheckInterval, "how often an SLA-aware update asks again whether an instance may go", constant("5s")},
	{KeySLAMinInstances, "jobs with fewer active instances skip the SLA check", constant("20")},
	{KeySLANonProduction, "check the SLA of non-production jobs too", constant("false")},
	{KeyWorkerMetricsAddr, "worker Prometheus metrics listen address (empty: off)", constant("127.0.0.1:9464")},
	{KeyLogLevel, "log level: debug, info, warn, error", constant("info")},
}

func constant(s string) func() string { return func() string { return s } }

func dockerHostDefault() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return defaultDockerHostUnix
}

func dataDirDefault() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "borealis")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "borealis")
	}
	return filepath.Join(home, ".local", "state", "borealis")
}

// runnerPathDefault looks for borealis-runner beside the running executable,
// which is where `make build` puts all three binaries.
func runnerPathDefault() string {
	exe, err := os.Executable()
	if err != nil {
		return "borealis-runner"
	}
	return filepath.Join(filepath.Dir(exe), "borealis-runner")
}

// FlagName is the command-line flag of a key: temporal.task_queue → --temporal-task-queue.
func FlagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}

// EnvName is the environment variable of a key: data_dir → BOREALIS_DATA_DIR.
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// AddFlags declares one flag per setting, plus --config, on fs.
func AddFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "settings file (default ./borealis.yaml, then ~/.config/borealis/borealis.yaml)")
	for _, s := range all {
		fs.String(FlagName(s.key), "", s.help+" (env "+EnvName(s.key)+")")
	}
}

// Load reads the settings: flags (may be nil) > BOREALIS_* > file > defaults.
func Load(fs *pflag.FlagSet) (*Settings, error) {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for _, s := range all {
		v.SetDefault(s.key, s.def())
	}

	file := ""
	if fs != nil {
		if f := fs.Lookup("config"); f != nil {
			file = f.Value.String()
		}
	}
	if file == "" {
		file = os.Getenv(EnvPrefix + "_CONFIG")
	}
	explicit := file != ""
	if !explicit {
		var err error
		if file, err = findFile(); err != nil {
			return nil, fmt.Errorf("settings file: %w", err)
		}
	}
	if file != "" {
		// Always YAML, whatever the name ends with: viper would otherwise
		// pick a format from the extension, or none without one.
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("settings file: %w", err)
		}
	}
	if err := checkFileKeys(v); err != nil {
		return nil, err
	}

	st := &Settings{sources: map[string]Source{}, values: map[string]any{}}
	get := func(key string) string {
		src := SourceDefault
		val := v.GetString(key)
		if v.InConfig(key) {
			src = SourceFile
		}
		if _, ok := os.LookupEnv(EnvName(key)); ok {
			src = SourceEnv
		}
		if fs != nil {
			if f := fs.Lookup(FlagName(key)); f != nil && f.Changed {
				src, val = SourceFlag, f.Value.String()
			}
		}
		st.sources[key] = src
		st.values[key] = val
		return val
	}

	var errs []error
	st.Temporal = Temporal{
		Address:       get(KeyTemporalAddress),
		Namespace:     get(KeyTemporalNamespace),
		TaskQueue:     get(KeyTemporalTaskQueue),
		APIKey:        get(KeyTemporalAPIKey),
		TLSCert:       get(KeyTemporalTLSCert),
		TLSKey:        get(KeyTemporalTLSKey),
		TLSCA:         get(KeyTemporalTLSCA),
		TLSServerName: get(KeyTemporalTLSServer),
		WebUI:         strings.TrimRight(get(KeyWebUI), "/"),
	}
	st.DockerHost = get(KeyDockerHost)
	st.DataDir = expandHome(get(KeyDataDir))
	st.RunnerPath = expandHome(get(KeyRunnerPath))
	st.MetricsAddress = get(KeyWorkerMetricsAddr)
	st.LogLevel = get(KeyLogLevel)
	st.Ports.HostAddress = get(KeyPortsHost)
	min, max, err := ParsePortRange(get(KeyPortsRange))
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyPortsRange, err))
	}
	st.Ports.Min, st.Ports.Max = min, max
	durations := []struct {
		key string
		dst *time.Duration
	}{
		{KeyFlappingThreshold, &st.Flapping.Threshold},
		{KeyFlappingInitial, &st.Flapping.InitialDelay},
		{KeyFlappingMax, &st.Flapping.MaxDelay},
		{KeySandboxRetention, &st.SandboxRetention},
		{KeySLACheckInterval, &st.SLA.CheckInterval},
	}
	for _, d := range durations {
		val, err := time.ParseDuration(get(d.key))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.key, err))
			continue
		}
		*d.dst = val
	}
	rawMin := get(KeySLAMinInstances)
	if st.SLA.MinInstances, err = strconv.Atoi(strings.TrimSpace(rawMin)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %q is not a whole number", KeySLAMinInstances, rawMin))
	}
	rawNonProd := get(KeySLANonProduction)
	if st.SLA.NonProduction, err = strconv.ParseBool(strings.TrimSpace(rawNonProd)); err != nil {
		errs = append(errs, fmt.Errorf("%s: %q is not true or false", KeySLANonProduction, rawNonProd))
	}
	errs = append(errs, st.validate()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid settings: %w", errors.Join(errs...))
	}
	if !explicit && file == localFile {
		if note := localFileNote(st); note != "" {
			st.Notes = append(st.Notes, note)
		}
	}
	return st, nil
}

// localFile is the settings file looked for in the working directory.
const localFile = "./borealis.yaml"

// findFile is the settings file used when neither --config nor
// BOREALIS_CONFIG names one: ./borealis.yaml, else the user's
// borealis.yaml ($XDG_CONFIG_HOME/borealis, else ~/.config/borealis), else
// none (""). No other name is ever read: no other extension, and not an
// extensionless ./borealis, which in bin/ is the CLI itself.
func findFile() (string, error) {
	candidates := []string{localFile}
	if dir := userConfigDir(); dir != "" {
		candidates = append(candidates, filepath.Join(dir, "borealis", "borealis.yaml"))
	}
	for _, c := range candidates {
		_, err := os.Stat(c)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, iofs.ErrNotExist) {
			return "", err
		}
	}
	return "", nil
}

// userConfigDir is $XDG_CONFIG_HOME, else ~/.config, else "" (no home).
func userConfigDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".config")
}

// connectionKeys say which Temporal cluster a process talks to, and how;
// a file in the working directory that sets one of them is announced.
var connectionKeys = []string{
	KeyTemporalAddress, KeyTemporalNamespace, KeyTemporalAPIKey,
	KeyTemporalTLSCert, KeyTemporalTLSKey, KeyTemporalTLSCA, KeyTemporalTLSServer,
}

// localFileNote names the connection keys whose value comes from
// ./borealis.yaml, or is "" when there are none: a file in whatever
// directory one happens to be in must not silently point the CLI at another
// cluster. Keys a flag or the environment overrides are not named.
func localFileNote(st *Settings) string {
	var keys []string
	for _, k := range connectionKeys {
		if st.sources[k] == SourceFile {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	return localFile + " sets " + strings.Join(keys, ", ")
}

// checkFileKeys rejects keys in borealis.yaml that are not settings, so a
// typo does not pass silently.
func checkFileKeys(v *viper.Viper) error {
	known := map[string]bool{}
	for _, s := range all {
		known[s.key] = true
	}
	var unknown []string
	for _, k := range v.AllKeys() {
		if !known[k] && v.InConfig(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("settings file %s: unknown keys: %s", v.ConfigFileUsed(), strings.Join(unknown, ", "))
	}
	return nil
}

func (s *Settings) validate() []error {
	var errs []error
	if s.Temporal.Address == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyTemporalAddress))
	}
	if s.Temporal.Namespace == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyTemporalNamespace))
	}
	if s.Temporal.TaskQueue == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyTemporalTaskQueue))
	}
	if (s.Temporal.TLSCert == "") != (s.Temporal.TLSKey == "") {
		errs = append(errs, fmt.Errorf("%s and %s: set both or neither", KeyTemporalTLSCert, KeyTemporalTLSKey))
	}
	if s.Temporal.TLSServerName != "" && !s.Temporal.TLS() {
		// It only names the server to verify; alone it would leave the
		// connection in plain text.
		errs = append(errs, fmt.Errorf("%s: set, but TLS is off (set %s, %s and %s, or %s)",
			KeyTemporalTLSServer, KeyTemporalTLSCA, KeyTemporalTLSCert, KeyTemporalTLSKey, KeyTemporalAPIKey))
	}
	if net.ParseIP(s.Ports.HostAddress) == nil {
		errs = append(errs, fmt.Errorf("%s: %q is not an IP address", KeyPortsHost, s.Ports.HostAddress))
	}
	if s.DataDir == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", KeyDataDir))
	}
	if s.SandboxRetention < 0 {
		errs = append(errs, fmt.Errorf("%s: must not be negative", KeySandboxRetention))
	}
	if s.Flapping.InitialDelay > s.Flapping.MaxDelay {
		errs = append(errs, fmt.Errorf("%s: must not exceed %s", KeyFlappingInitial, KeyFlappingMax))
	}
	if _, err := time.ParseDuration(fmt.Sprint(s.values[KeySLACheckInterval])); err == nil && s.SLA.CheckInterval <= 0 {
		// (A value that is no duration at all is reported by Load.)
		errs = append(errs, fmt.Errorf("%s: must be > 0", KeySLACheckInterval))
	}
	if s.SLA.MinInstances < 0 {
		errs = append(errs, fmt.Errorf("%s: must not be negative", KeySLAMinInstances))
	}
	return errs
}

// ParsePortRange parses "MIN-MAX" (1 ≤ MIN ≤ MAX ≤ 65535).
func ParsePortRange(s string) (int, int, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("%q: want MIN-MAX", s)
	}
	min, err1 := strconv.Atoi(strings.TrimSpace(lo))
	max, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || min < 1 || max > 65535 || min > max {
		return 0, 0, fmt.Errorf("%q: want MIN-MAX with 1 <= MIN <= MAX <= 65535", s)
	}
	return min, max, nil
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// Entry is one effective setting with where it came from.
type Entry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	Env    string `json:"env"`
}

// Entries lists every setting in a stable order, for `borealis config show`.
// Secrets are masked.
func (s *Settings) Entries() []Entry {
	out := make([]Entry, 0, len(all))
	for _, d := range all {
		val := fmt.Sprint(s.values[d.key])
		if d.key == KeyTemporalAPIKey && val != "" {
			val = "********"
		}
		out = append(out, Entry{Key: d.key, Value: val, Source: s.sources[d.key], Env: EnvName(d.key)})
	}
	return out
}

// SandboxDir is where task sandboxes live.
func (s *Settings) SandboxDir() string { return filepath.Join(s.DataDir, "sandboxes") }
