package settings

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
)

// EnvPrefix prefixes every environment variable Borealis reads.
const EnvPrefix = "BOREALIS"

// Keys of every setting, as written in borealis.yaml.
const (
	KeyTemporalAddress   = "temporal.address"
	KeyTemporalNamespace = "temporal.namespace"
	KeyTemporalTaskQueue = "temporal.task_queue"
	KeyTemporalAPIKey    = "temporal.api_key"
	KeyTemporalTLSCert   = "temporal.tls_cert"
	KeyTemporalTLSKey    = "temporal.tls_key"
	KeyTemporalTLSCA     = "temporal.tls_ca"
	KeyTemporalTLSServer = "temporal.tls_server_name"
	KeyWebUI             = "temporal.web_ui"
	KeyDockerHost        = "docker.host"
	KeyDataDir           = "data_dir"
	KeySandboxRetention  = "sandbox_retention"
	KeyRunnerPath        = "runner_path"
	KeyPortsHost         = "ports.host_address"
	KeyPortsRange        = "ports.range"
	KeyFlappingThreshold = "flapping.threshold"
	KeyFlappingInitial   = "flapping.initial_delay"
	KeyFlappingMax       = "flapping.max_delay"
	KeySLACheckInterval  = "sla.check_interval"
	KeySLAMinInstances   = "sla.min_instances"
	KeySLANonProduction  = "sla.non_production"
	// KeyCronCatchupWindow is how late a cron run may begin and still run.
	KeyCronCatchupWindow = "cron.catchup_window"
	KeyWorkerMetricsAddr = "worker.metrics_address"
	KeyLogLevel          = "log_level"
	// KeyLogFormat is how the worker writes its log: text or json.
	KeyLogFormat = "log_format"

	// The worker's hardening settings (docs/semantics.md §7.5).

	// KeyTasksUID is the uid task processes run as.
	KeyTasksUID = "tasks.uid"
	// KeyTasksGID is the gid task processes run as.
	KeyTasksGID = "tasks.gid"
	// KeyDockerAllowedParameters lists the Docker parameters jobs may use.
	KeyDockerAllowedParameters = "docker.allowed_parameters"
	// KeyVolumesAllowedHostPaths lists the host directories volumes may
	// bind-mount from.
	KeyVolumesAllowedHostPaths = "volumes.allowed_host_paths"
	// KeyJobsMaxInstances caps a job's instances.
	KeyJobsMaxInstances = "jobs.max_instances"
	// KeySecretsDir is where {{secret[NAME]}} is read from.
	KeySecretsDir = "secrets.dir"
	// KeyDeploymentID is the borealis.deployment label of the worker's
	// containers.
	KeyDeploymentID = "deployment.id"
	// KeyHostName is the worker's host name (borealis.host label,
	// {{mesos.hostname}}).
	KeyHostName = "host.name"

	defaultDockerHostUnix = "unix:///var/run/docker.sock"
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
	{KeyCronCatchupWindow, "a cron run that begins later than this after its scheduled time is skipped", constant("60s")},
	{KeyWorkerMetricsAddr, "worker Prometheus metrics listen address (empty: off)", constant("127.0.0.1:9464")},
	{KeyLogLevel, "log level: debug, info, warn, error", constant("info")},
	{KeyLogFormat, "log format: text (key=value) or json (a JSON object a line)", constant("text")},
	{KeyTasksUID, "uid task processes run as (0: root, only when set)", constant("65534")},
	{KeyTasksGID, "gid task processes run as (0: root, only when set)", constant("65534")},
	{KeyDockerAllowedParameters, "Docker parameters jobs may use, comma-separated (empty: none)", constant(strings.Join(DefaultDockerAllowedParameters, ","))},
	{KeyVolumesAllowedHostPaths, "absolute host directories volumes may mount from, comma-separated (empty: none)", constant("")},
	{KeyJobsMaxInstances, "most instances a job may have", constant("10000")},
	{KeySecretsDir, "directory of {{secret[NAME]}} files (empty: environment only)", constant("")},
	{KeyDeploymentID, "borealis.deployment label of this worker's containers (default NAMESPACE/TASK_QUEUE)", constant("")},
	{KeyHostName, "this worker's host name (default: the machine's hostname)", hostNameDefault},
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

// hostNameDefault is the machine's hostname, or "" (an error at
// validation) when it cannot be found.
func hostNameDefault() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	return h
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
