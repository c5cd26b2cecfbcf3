package workflows

import (
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/taskapi"
)

// TaskStatus is an Aurora task state (docs/semantics.md §4).
type TaskStatus string

// Aurora's task states.
const (
	StatusPending    TaskStatus = "PENDING"
	StatusThrottled  TaskStatus = "THROTTLED"
	StatusAssigned   TaskStatus = "ASSIGNED"
	StatusStarting   TaskStatus = "STARTING"
	StatusRunning    TaskStatus = "RUNNING"
	StatusFinished   TaskStatus = "FINISHED"
	StatusFailed     TaskStatus = "FAILED"
	StatusKilling    TaskStatus = "KILLING"
	StatusKilled     TaskStatus = "KILLED"
	StatusLost       TaskStatus = "LOST"
	StatusRestarting TaskStatus = "RESTARTING"
)

// Terminal reports whether a task in this state has ended.
func (s TaskStatus) Terminal() bool {
	switch s {
	case StatusFinished, StatusFailed, StatusKilled, StatusLost:
		return true
	}
	return false
}

// TaskEvent is one state change of a task (timestamps in epoch ms, docs/semantics.md §6).
type TaskEvent struct {
	Timestamp int64      `json:"timestamp"`
	Status    TaskStatus `json:"status"`
	Message   string     `json:"message,omitempty"`
}

// TaskInfo is one task (one run of an instance, one container).
type TaskInfo struct {
	InstanceID    int            `json:"instanceId"`
	TaskID        string         `json:"taskId"`
	Status        TaskStatus     `json:"status"`
	FailureCount  int            `json:"failureCount"`
	Host          string         `json:"host"`
	ContainerID   string         `json:"containerId"`
	AssignedPorts map[string]int `json:"assignedPorts"`
	TaskEvents    []TaskEvent    `json:"taskEvents"`
	// Sandbox is the task's host sandbox directory.
	Sandbox string `json:"sandbox,omitempty"`
	// ConfigVersion names the job config this task runs (an update's id, or "" for the job's first).
	ConfigVersion string `json:"configVersion,omitempty"`
	// Health is the last health-check progress seen by the workflow.
	Health *taskapi.HealthProgress `json:"health,omitempty"`
}

// RequestKind is what an InstanceRequest asks for.
type RequestKind string

// Instance request kinds.
const (
	// RequestKill stops the task for good; the instance workflow ends.
	RequestKill RequestKind = "kill"
	// RequestRestart replaces the task by a new one of the same config.
	RequestRestart RequestKind = "restart"
	// RequestReplace replaces the task by one of a new config.
	RequestReplace RequestKind = "replace"
)

// InstanceRequest asks an instance workflow to act. Key is unique per
// request (requester, operation, instance, sequence); a key seen before is
// dropped.
type InstanceRequest struct {
	Key  string      `json:"key"`
	Kind RequestKind `json:"kind"`
	// ReplyTo is the workflow id to signal the InstanceReply to ("" = none).
	ReplyTo string `json:"reply_to,omitempty"`
	// Job is the new config of a replace.
	Job *config.Job `json:"job,omitempty"`
	// ConfigVersion names Job (an update id).
	ConfigVersion string `json:"config_version,omitempty"`
	// WatchSecs is how long the new task must stay RUNNING to be a success.
	WatchSecs int `json:"watch_secs,omitempty"`
	// HealthyDeadlineSecs fails the new task's watch when it is not RUNNING
	// this long after it started (0: wait as long as it takes).
	HealthyDeadlineSecs int `json:"healthy_deadline_secs,omitempty"`
}

// Reply outcomes.
const (
	// OutcomeKilled: the task was killed; the instance is gone.
	OutcomeKilled = "KILLED"
	// OutcomeRunning: the new task stayed RUNNING for the watch time.
	OutcomeRunning = "RUNNING"
	// OutcomeFailed: the new task ended or failed before the watch time.
	OutcomeFailed = "FAILED"
)

// InstanceReply answers an InstanceRequest.
type InstanceReply struct {
	Key      string `json:"key"`
	Instance int    `json:"instance"`
	Outcome  string `json:"outcome"`
	TaskID   string `json:"task_id,omitempty"`
	Message  string `json:"message,omitempty"`
}

// InstanceStatus is what the status query of an instance workflow returns.
type InstanceStatus struct {
	JobKey     string    `json:"job"`
	InstanceID int       `json:"instanceId"`
	Active     *TaskInfo `json:"active,omitempty"`
	// Replacing is the task a start_first replace keeps running until Active
	// is RUNNING: for that moment the instance has two tasks.
	Replacing    *TaskInfo  `json:"replacing,omitempty"`
	Inactive     []TaskInfo `json:"inactive"`
	FailureCount int        `json:"failureCount"`
	Restarts     int        `json:"restarts"`
	// Done is true when the instance will run no more tasks.
	Done bool `json:"done"`
}
