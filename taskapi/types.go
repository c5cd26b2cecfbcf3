package taskapi

import (
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/health"
)

// StartTaskInput asks for one task run of an instance. TaskID is made by the
// workflow and is new for every run; a retried StartTask adopts the container
// the first attempt made.
type StartTaskInput struct {
	JobKey   string     `json:"job_key"`
	Instance int        `json:"instance"`
	TaskID   string     `json:"task_id"`
	Job      config.Job `json:"job"`
}

// StartTaskResult is where the task runs.
type StartTaskResult struct {
	ContainerID string         `json:"container_id"`
	Host        string         `json:"host"`
	Ports       map[string]int `json:"ports,omitempty"`
	Sandbox     string         `json:"sandbox"`
	Adopted     bool           `json:"adopted"`
	// DiskNote says why the disk limit is not enforced, when it is not.
	DiskNote string `json:"disk_note,omitempty"`
}

// WaitTaskInput names the task whose end to wait for.
type WaitTaskInput struct {
	TaskID string `json:"task_id"`
}

// WaitTaskResult is how the task's container ended.
type WaitTaskResult struct {
	ExitCode  int  `json:"exit_code"`
	OOMKilled bool `json:"oom_killed"`
	// Lost is true when the container is gone (Docker says so); the task is LOST.
	Lost    bool   `json:"lost"`
	Reason  string `json:"reason,omitempty"`
	EndedAt int64  `json:"ended_at_ms"`
	// Restart is the worker's flapping back-off when the task ended, which
	// decides whether the task flapped and how long its successor waits;
	// nil from a worker without one (the job's own applies).
	Restart *RestartPolicy `json:"restart_policy,omitempty"`
}

// StopTaskInput stops a task the docs/semantics.md §4 way: HTTP lifecycle when the task
// has a health port, then SIGTERM, final processes within finalization_wait,
// then SIGKILL.
type StopTaskInput struct {
	TaskID string `json:"task_id"`
	// Host and HealthPort reach the task's lifecycle endpoints; HealthPort 0
	// (no health port) or a nil Lifecycle skips the HTTP steps.
	Host             string                      `json:"host"`
	HealthPort       int                         `json:"health_port"`
	Lifecycle        *config.HTTPLifecycleConfig `json:"lifecycle,omitempty"`
	FinalizationWait int                         `json:"finalization_wait_secs"`
	// Remove lists ended tasks whose containers to remove once this task
	// has stopped (their sandboxes stay): what the task's end makes surplus.
	Remove []string `json:"remove,omitempty"`
}

// StopTaskResult lists what the stop did, for the task's events.
type StopTaskResult struct {
	Steps []string `json:"steps"`
	// Exit is how the container ended, when the stop saw it exit; the
	// workflow need not wait for WaitTask to tell it then.
	Exit *WaitTaskResult `json:"exit,omitempty"`
}

// HealthCheckSpec says how to check one task (docs/semantics.md §3).
type HealthCheckSpec struct {
	// Kind is "http", "shell" or "none".
	Kind         string  `json:"kind"`
	Host         string  `json:"host,omitempty"`
	Port         int     `json:"port,omitempty"`
	Endpoint     string  `json:"endpoint,omitempty"`
	Expected     string  `json:"expected_response,omitempty"`
	ExpectedCode int     `json:"expected_response_code,omitempty"`
	ShellCommand string  `json:"shell_command,omitempty"`
	TimeoutSecs  float64 `json:"timeout_secs"`
	// Sandbox is the task's host sandbox directory, where .healthchecksnooze is looked for.
	Sandbox string        `json:"sandbox"`
	Params  health.Params `json:"params"`
}

// WatchHealthInput runs health checks for a task until Until is reached.
// Resume carries the counter of an earlier call, so a second call (after
// RUNNING) goes on counting where the first stopped.
type WatchHealthInput struct {
	TaskID string          `json:"task_id"`
	Check  HealthCheckSpec `json:"check"`
	// Until is health.StatusRunning (return once RUNNING or FAILED) or
	// health.StatusFailed (return only once FAILED).
	Until  health.Status   `json:"until"`
	Resume *HealthProgress `json:"resume,omitempty"`
}

// HealthProgress is the counter and recent results of a task's checks; it
// is heartbeated after every check so a retried activity resumes the count.
type HealthProgress struct {
	Counter health.State   `json:"counter"`
	History health.History `json:"history"`
	// LastCheckMs is when the last check ran (unix ms); the next is due an interval later.
	LastCheckMs int64 `json:"last_check_ms"`
	// Snoozed says the sandbox held .healthchecksnooze at the last check
	// or heartbeat, read by the worker where the sandbox is.
	Snoozed bool `json:"snoozed,omitempty"`
}

// WatchHealthResult is the status the watch ended on.
type WatchHealthResult struct {
	Status   health.Status  `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Progress HealthProgress `json:"progress"`
}

// ReconcileInput names an instance and the tasks it still owns.
type ReconcileInput struct {
	JobKey   string   `json:"job_key"`
	Instance int      `json:"instance"`
	Keep     []string `json:"keep"`
	// FinalizationWait is the grace between SIGTERM and SIGKILL given to
	// each orphan; 0 kills at once.
	FinalizationWait int `json:"finalization_wait_secs,omitempty"`
}

// ReconcileResult lists the containers removed because no task owns them.
type ReconcileResult struct {
	Removed []string `json:"removed,omitempty"`
}

// ExecInput runs Command with /bin/sh -c in the task's container
// (`borealis task run`); its launch templates are already filled.
type ExecInput struct {
	TaskID  string `json:"task_id"`
	Command string `json:"command"`
}

// ExecResult is how the command ended.
type ExecResult struct {
	ExitCode int    `json:"exit_code"`
	Output   string `json:"output"`
}

// AdmitJobInput is a job config to check before a job is created or updated
// to it.
type AdmitJobInput struct {
	JobKey string     `json:"job_key"`
	Job    config.Job `json:"job"`
}

// AdmitJobResult is an admitted config's verdict: Warnings lists what the
// worker accepts but says something about (shown by the CLI).
type AdmitJobResult struct {
	Warnings []string `json:"warnings,omitempty"`
	// MaxInstances is the worker's cap on a job's instances
	// (jobs.max_instances), for the workflows to hold `job add` to.
	MaxInstances int `json:"max_instances"`
}
