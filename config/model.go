package config

// The job model of docs/semantics.md §1. Field names (and JSON/YAML keys) are Aurora's, so
// an Aurora user's configs and habits carry over. Defaults are applied by the
// constructors in defaults.go; the zero value of a struct is not its default.

// Process is one command line run inside a task's container (Aurora's Process).
type Process struct {
	Name        string `json:"name"`
	Cmdline     string `json:"cmdline"`
	MaxFailures int    `json:"max_failures"`
	Daemon      bool   `json:"daemon"`
	Ephemeral   bool   `json:"ephemeral"`
	MinDuration int    `json:"min_duration"`
	Final       bool   `json:"final"`
	// Logger says where the process's output goes and how its log files
	// rotate (Aurora's Logger); nil: Borealis's default, rotating at
	// 100 MiB with 5 backups ([DefaultRotatePolicy]).
	Logger *Logger `json:"logger,omitempty"`
	// Resources is Thermos's per-process resources, which Aurora reserves
	// for future use: parsed, not acted on (the task's Resources limit the
	// container). omitempty keeps recorded workflow histories as before.
	Resources *Resources `json:"resources,omitempty"`
}

// Logger is Aurora's process Logger.
type Logger struct {
	// Destination is where output goes: "file", "console" or "both"
	// (Aurora's default "file"; Borealis always keeps the files and also
	// copies output to the container's log for `task logs`).
	Destination string `json:"destination,omitempty"`
	// Mode is "standard" (files grow whole) or "rotate" (Aurora's default
	// "standard"; see [Logger.Rotation]).
	Mode string `json:"mode,omitempty"`
	// Rotate sizes rotation in mode "rotate"; nil: Aurora's RotatePolicy
	// defaults.
	Rotate *RotatePolicy `json:"rotate,omitempty"`
}

// RotatePolicy is Aurora's RotatePolicy: a log file is rotated when it
// reaches LogSize bytes, keeping Backups old files.
type RotatePolicy struct {
	LogSize int64 `json:"log_size"`
	Backups int   `json:"backups"`
}

// DefaultRotatePolicy is Aurora's RotatePolicy defaults, which Borealis also
// applies to a process without a Logger (Aurora's own default then is no
// rotation: a deliberate difference, docs/decisions.md).
var DefaultRotatePolicy = RotatePolicy{LogSize: 100 << 20, Backups: 5}

// Rotation returns the rotation the process's logs get: nil for whole
// files (mode "standard"), else the sizes.
func (p Process) Rotation() *RotatePolicy {
	switch {
	case p.Logger == nil:
		r := DefaultRotatePolicy
		return &r
	case p.Logger.Mode != "rotate":
		return nil
	case p.Logger.Rotate == nil:
		r := DefaultRotatePolicy
		return &r
	}
	r := *p.Logger.Rotate
	return &r
}

// Constraint orders processes: every process in Order runs after the one
// before it has finished successfully. It is built by order(a, b, ...).
type Constraint struct {
	Order []string `json:"order"`
}

// Resources is what a task may use. RAM and Disk are bytes.
type Resources struct {
	CPU  float64 `json:"cpu"`
	RAM  int64   `json:"ram"`
	Disk int64   `json:"disk"`
	GPU  int     `json:"gpu"`
}

// Task is a set of processes run together in one container.
type Task struct {
	Name             string       `json:"name"`
	Processes        []Process    `json:"processes"`
	Constraints      []Constraint `json:"constraints"`
	Resources        *Resources   `json:"resources"`
	MaxFailures      int          `json:"max_failures"`
	MaxConcurrency   int          `json:"max_concurrency"`
	FinalizationWait int          `json:"finalization_wait"`
	// User is Thermos's task user (Aurora's workaround for MESOS-3546):
	// parsed, not acted on; tasks run as the worker's tasks.uid/tasks.gid
	// or a Docker user parameter. A pointer so that an unset user is no
	// template value ({{user}} stays unbound, as in Aurora); omitempty
	// keeps recorded workflow histories as before.
	User *string `json:"user,omitempty"`
}

// HTTPHealthChecker checks GET <endpoint> on the task's health port.
type HTTPHealthChecker struct {
	Endpoint             string `json:"endpoint"`
	ExpectedResponse     string `json:"expected_response"`
	ExpectedResponseCode int    `json:"expected_response_code"`
}

// ShellHealthChecker runs a command inside the task's container.
type ShellHealthChecker struct {
	ShellCommand string `json:"shell_command"`
}

// HealthCheckerConfig is a choice: exactly one of HTTP or Shell is set.
type HealthCheckerConfig struct {
	HTTP  *HTTPHealthChecker  `json:"http,omitempty"`
	Shell *ShellHealthChecker `json:"shell,omitempty"`
}

// HealthCheckConfig holds the health-check timing and counting parameters (docs/semantics.md §3).
type HealthCheckConfig struct {
	HealthChecker           HealthCheckerConfig `json:"health_checker"`
	InitialIntervalSecs     float64             `json:"initial_interval_secs"`
	IntervalSecs            float64             `json:"interval_secs"`
	MaxConsecutiveFailures  int                 `json:"max_consecutive_failures"`
	MinConsecutiveSuccesses int                 `json:"min_consecutive_successes"`
	TimeoutSecs             float64             `json:"timeout_secs"`
}

// QueueUpdateStrategy keeps up to BatchSize instances in flight.
type QueueUpdateStrategy struct {
	BatchSize int `json:"batch_size"`
}

// BatchUpdateStrategy starts the next group only when none is in flight.
type BatchUpdateStrategy struct {
	BatchSize           int  `json:"batch_size"`
	AutopauseAfterBatch bool `json:"autopause_after_batch"`
}

// VariableBatchUpdateStrategy uses BatchSizes in turn, then repeats the last.
type VariableBatchUpdateStrategy struct {
	BatchSizes          []int `json:"batch_sizes"`
	AutopauseAfterBatch bool  `json:"autopause_after_batch"`
}

// UpdateStrategy is a choice: exactly one field is set.
type UpdateStrategy struct {
	Queue         *QueueUpdateStrategy         `json:"queue,omitempty"`
	Batch         *BatchUpdateStrategy         `json:"batch,omitempty"`
	VariableBatch *VariableBatchUpdateStrategy `json:"variable_batch,omitempty"`
}

// Update orders (UpdateConfig.UpdateOrder).
const (
	UpdateOrderStopFirst  = "stop_first"
	UpdateOrderStartFirst = "start_first"
)

// UpdateConfig is a job's update policy (docs/semantics.md §5).
type UpdateConfig struct {
	BatchSize              int             `json:"batch_size"`
	WatchSecs              int             `json:"watch_secs"`
	MaxPerShardFailures    int             `json:"max_per_shard_failures"`
	MaxTotalFailures       int             `json:"max_total_failures"`
	RollbackOnFailure      bool            `json:"rollback_on_failure"`
	WaitForBatchCompletion bool            `json:"wait_for_batch_completion"`
	PulseIntervalSecs      *int            `json:"pulse_interval_secs,omitempty"`
	UpdateStrategy         *UpdateStrategy `json:"update_strategy,omitempty"`
	HealthyDeadlineSecs    *int            `json:"healthy_deadline_secs,omitempty"`
	UpdateOrder            string          `json:"update_order"`
	// SlaAware makes the update SLA-aware (Aurora 0.21): an update stops an
	// instance only when the job keeps its SLA without it, as the job's
	// SlaPolicy says (docs/semantics: see docs/concepts.md SLA section). It
	// needs an SlaPolicy. omitempty keeps recorded workflow histories
	// decoding as before.
	SlaAware bool `json:"sla_aware,omitempty"`
}

// CountSlaPolicy is an SLA of a number of instances: at least Count of the
// job's active instances must have been RUNNING for DurationSecs. Used by
// SLA-aware updates: an update stops an instance only when the job keeps its
// SLA without it (docs/semantics: see docs/concepts.md SLA section).
type CountSlaPolicy struct {
	// Count is the number of instances that must stay RUNNING.
	Count int `json:"count"`
	// DurationSecs is how long an instance must have been RUNNING to count.
	DurationSecs int `json:"duration_secs"`
}

// PercentageSlaPolicy is an SLA of a share of instances: at least Percentage
// percent of the job's active instances must have been RUNNING for
// DurationSecs. Used by SLA-aware updates: an update stops an instance only
// when the job keeps its SLA without it (docs/semantics: see
// docs/concepts.md SLA section).
type PercentageSlaPolicy struct {
	// Percentage is the share of active instances that must stay RUNNING.
	Percentage float64 `json:"percentage"`
	// DurationSecs is how long an instance must have been RUNNING to count.
	DurationSecs int `json:"duration_secs"`
}

// CoordinatorSlaPolicy hands the SLA decision to an external coordinator:
// before an instance is stopped, CoordinatorURL is asked and its JSON answer's
// StatusKey field (a boolean) says whether it may go. Used by SLA-aware
// updates: an update stops an instance only when the job keeps its SLA
// without it (docs/semantics: see docs/concepts.md SLA section).
type CoordinatorSlaPolicy struct {
	// CoordinatorURL is the http or https address of the coordinator.
	CoordinatorURL string `json:"coordinator_url"`
	// StatusKey names the field of the coordinator's answer that allows the
	// stop; "drain" by default.
	StatusKey string `json:"status_key"`
}

// SlaPolicy is a job's SLA, a choice: exactly one field is set (Aurora's
// sla_policy, 0.21). SLA-aware updates: an update stops an instance only when
// the job keeps its SLA without it (docs/semantics: see docs/concepts.md SLA
// section).
type SlaPolicy struct {
	Count       *CountSlaPolicy       `json:"count,omitempty"`
	Percentage  *PercentageSlaPolicy  `json:"percentage,omitempty"`
	Coordinator *CoordinatorSlaPolicy `json:"coordinator,omitempty"`
}

// Docker names the image a task's container runs.
type Docker struct {
	Image      string            `json:"image"`
	Parameters []DockerParameter `json:"parameters,omitempty"`
}

// DockerParameter is an Aurora docker parameter (name/value, like a docker run flag).
type DockerParameter struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Container is a choice: exactly one field is set. Docker is the only kind
// Borealis runs: a Mesos container with a DockerImage is resolved at load
// time to the Docker container that runs its image with its volumes
// (ResolveMesos), so a loaded job's Mesos is always nil unless it has a
// problem that validation reports.
type Container struct {
	Docker *Docker `json:"docker,omitempty"`
	// Mesos is Aurora's Mesos (unified) container; omitempty keeps recorded
	// workflow histories as before.
	Mesos *Mesos `json:"mesos,omitempty"`
}

// Mesos is Aurora's Mesos container: a filesystem image and host volumes.
type Mesos struct {
	// Image is the image the task runs; nil: Aurora runs the task on the
	// host's filesystem, which Borealis does not (see ResolveMesos).
	Image   *MesosImage `json:"image,omitempty"`
	Volumes []Volume    `json:"volumes,omitempty"`
}

// MesosImage is the choice of a Mesos container's image (Aurora's
// Choice([AppcImage, DockerImage])): exactly one field is set.
type MesosImage struct {
	Docker *DockerImage `json:"docker,omitempty"`
	// Appc is parsed so that the refusal can name it: Borealis runs no appc
	// images.
	Appc *AppcImage `json:"appc,omitempty"`
}

// DockerImage is a Docker image by name and tag (run as NAME:TAG).
type DockerImage struct {
	Name string `json:"name"`
	Tag  string `json:"tag"`
}

// AppcImage is an appc image, refused by validation.
type AppcImage struct {
	Name    string `json:"name"`
	ImageID string `json:"image_id"`
}

// Volume modes (Volume.Mode), Aurora's Mode enumeration.
const (
	VolumeReadOnly  = "RO"
	VolumeReadWrite = "RW"
)

// Volume mounts a host path into a Mesos container. It runs as the Docker
// parameter volume HOST:CONTAINER:ro (or :rw), held to the same checks.
type Volume struct {
	ContainerPath string `json:"container_path"`
	HostPath      string `json:"host_path"`
	Mode          string `json:"mode"`
}

// Announcer configures service discovery (docs/semantics.md §1, issue 5).
type Announcer struct {
	PrimaryPort string            `json:"primary_port"`
	Portmap     map[string]string `json:"portmap,omitempty"`
	ZkPath      string            `json:"zk_path,omitempty"`
}

// Metadata is a free key/value pair attached to a job.
type Metadata struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// HTTPLifecycleConfig is how a task with a health port is asked to leave (docs/semantics.md §4).
type HTTPLifecycleConfig struct {
	Port                     string `json:"port"`
	GracefulShutdownEndpoint string `json:"graceful_shutdown_endpoint"`
	ShutdownEndpoint         string `json:"shutdown_endpoint"`
	GracefulShutdownWaitSecs int    `json:"graceful_shutdown_wait_secs"`
	ShutdownWaitSecs         int    `json:"shutdown_wait_secs"`
}

// LifecycleConfig configures graceful shutdown.
type LifecycleConfig struct {
	HTTP *HTTPLifecycleConfig `json:"http,omitempty"`
}

// PartitionPolicy is Aurora's PartitionPolicy: what the scheduler does with
// a task whose agent is partitioned away. Parsed, not acted on: Borealis has
// one Docker host per worker and no partition-aware scheduler.
type PartitionPolicy struct {
	Reschedule bool `json:"reschedule"`
	DelaySecs  int  `json:"delay_secs"`
}

// AuroraExecutorName is Aurora's name of its own (Thermos) executor, the
// default ExecutorConfig.Name.
const AuroraExecutorName = "AuroraExecutor"

// ExecutorConfig is Aurora's ExecutorConfig: which Mesos executor runs the
// task and the data it is given. Parsed, not acted on: Borealis runs every
// task's processes with its own in-container runner.
type ExecutorConfig struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

// Cron collision policies (Job.CronCollisionPolicy), Aurora's
// CronCollisionPolicy without the deprecated RUN_OVERLAP.
const (
	// CronKillExisting kills the run still active, then starts the new one.
	CronKillExisting = "KILL_EXISTING"
	// CronCancelNew skips the scheduled time while a run is active.
	CronCancelNew = "CANCEL_NEW"
)

// Job is one Aurora job: a task run as Instances instances.
type Job struct {
	Name              string            `json:"name"`
	Role              string            `json:"role"`
	Cluster           string            `json:"cluster"`
	Environment       string            `json:"environment"`
	Task              *Task             `json:"task"`
	Instances         int               `json:"instances"`
	Service           bool              `json:"service"`
	MaxTaskFailures   int               `json:"max_task_failures"`
	HealthCheckConfig HealthCheckConfig `json:"health_check_config"`
	UpdateConfig      UpdateConfig      `json:"update_config"`
	Container         *Container        `json:"container,omitempty"`
	Constraints       map[string]string `json:"constraints,omitempty"`
	Announce          *Announcer        `json:"announce,omitempty"`
	Metadata          []Metadata        `json:"metadata,omitempty"`
	Contact           string            `json:"contact,omitempty"`
	Tier              string            `json:"tier,omitempty"`
	Priority          int               `json:"priority"`
	Production        bool              `json:"production"`
	Lifecycle         LifecycleConfig   `json:"lifecycle"`
	TaskLinks         map[string]string `json:"task_links,omitempty"`
	EnableHooks       bool              `json:"enable_hooks"`
	// SlaPolicy is the job's SLA, used by SLA-aware updates
	// (UpdateConfig.SlaAware): an update stops an instance only when the job
	// keeps its SLA without it (docs/semantics: see docs/concepts.md SLA
	// section). nil: no SLA.
	SlaPolicy *SlaPolicy `json:"sla_policy,omitempty"`
	// CronSchedule makes the job a cron job (docs/semantics.md §9): a
	// five-field cron expression, minute hour day-of-month month
	// day-of-week, in UTC (see ParseCron). Empty: not a cron job. omitempty
	// keeps the JSON of other jobs, and so recorded workflow histories, as
	// before.
	CronSchedule string `json:"cron_schedule,omitempty"`
	// CronCollisionPolicy says what a scheduled time of a cron job does
	// while the job's previous run is still active (docs/semantics.md §9):
	// CronKillExisting (the default for a cron job, set at load) or
	// CronCancelNew. Empty on a job that is not a cron job; omitempty as
	// for CronSchedule.
	CronCollisionPolicy string `json:"cron_collision_policy,omitempty"`
	// PartitionPolicy is Aurora's partition policy, parsed and shown, not
	// acted on. nil: unset. omitempty keeps the JSON of other jobs, and so
	// recorded workflow histories, as before.
	PartitionPolicy *PartitionPolicy `json:"partition_policy,omitempty"`
	// ExecutorConfig is Aurora's executor choice, parsed and shown, not
	// acted on. nil: unset (Aurora's ExecutorConfig(), the Thermos
	// executor); omitempty as for PartitionPolicy.
	ExecutorConfig *ExecutorConfig `json:"executor_config,omitempty"`
}

// IsCron reports whether the job is a cron job: it has a cron_schedule.
func (j Job) IsCron() bool { return j.CronSchedule != "" }
