package workflows

import (
	"github.com/borealis-dev/borealis/config"
)

// UpdateStatus is the state of a job update (docs/semantics.md §5).
type UpdateStatus string

// Update states: the active ones, then the final ones.
const (
	UpdateRollingForward           UpdateStatus = "ROLLING_FORWARD"
	UpdateRollingBack              UpdateStatus = "ROLLING_BACK"
	UpdateRollForwardPaused        UpdateStatus = "ROLL_FORWARD_PAUSED"
	UpdateRollBackPaused           UpdateStatus = "ROLL_BACK_PAUSED"
	UpdateRollForwardAwaitingPulse UpdateStatus = "ROLL_FORWARD_AWAITING_PULSE"
	UpdateRollBackAwaitingPulse    UpdateStatus = "ROLL_BACK_AWAITING_PULSE"
	UpdateRolledForward            UpdateStatus = "ROLLED_FORWARD"
	UpdateRolledBack               UpdateStatus = "ROLLED_BACK"
	UpdateAborted                  UpdateStatus = "ABORTED"
	UpdateError                    UpdateStatus = "ERROR"
	UpdateFailed                   UpdateStatus = "FAILED"
)

// Active reports whether an update in this state has not finished.
func (s UpdateStatus) Active() bool {
	switch s {
	case UpdateRolledForward, UpdateRolledBack, UpdateAborted, UpdateError, UpdateFailed:
		return false
	}
	return true
}

// Instance update actions (docs/semantics.md §5), each recorded at most once per instance.
const (
	InstanceUpdating       = "INSTANCE_UPDATING"
	InstanceUpdated        = "INSTANCE_UPDATED"
	InstanceUpdateFailed   = "INSTANCE_UPDATE_FAILED"
	InstanceRollingBack    = "INSTANCE_ROLLING_BACK"
	InstanceRolledBack     = "INSTANCE_ROLLED_BACK"
	InstanceRollbackFailed = "INSTANCE_ROLLBACK_FAILED"
)

// UpdateEvent is a change of an update's state.
type UpdateEvent struct {
	Timestamp int64        `json:"timestamp"`
	Status    UpdateStatus `json:"status"`
	Message   string       `json:"message,omitempty"`
}

// InstanceEvent is one instance's progress in an update. Message is set on
// the events an SLA-aware update adds while it checks the job's SLA, and on
// INSTANCE_UPDATE_FAILED and INSTANCE_ROLLBACK_FAILED: why the instance
// failed, as its workflow said (its last attempt's).
type InstanceEvent struct {
	InstanceID int    `json:"instanceId"`
	Timestamp  int64  `json:"timestamp"`
	Action     string `json:"action"`
	Message    string `json:"message,omitempty"`
}

// SLAWait is an instance an SLA-aware update holds back because stopping
// its task now would break the job's SLA (docs/concepts.md, "SLA-aware updates").
type SLAWait struct {
	InstanceID int `json:"instanceId"`
	// Since is when the update first found it may not go (Unix ms).
	Since  int64  `json:"since"`
	Reason string `json:"reason"`
}

// UpdateProgress counts instances, for the CLI and the Web UI.
type UpdateProgress struct {
	Total    int `json:"total"`
	Done     int `json:"done"`
	InFlight int `json:"inFlight"`
	Failed   int `json:"failed"`
	// Batch is the current batch, counting from 1 (0 before the first).
	Batch int `json:"batch"`
	// InFlightIDs are the instances in flight, in the order they started;
	// the info query sets it (a workflow's result leaves it out).
	InFlightIDs []int `json:"inFlightIds,omitempty"`
}

// UpdateInfo is what `update info --write-json` prints (docs/semantics.md §6), plus progress.
type UpdateInfo struct {
	UpdateID       string          `json:"updateId"`
	Job            string          `json:"job"`
	Status         UpdateStatus    `json:"status"`
	Started        int64           `json:"started"`
	LastModified   int64           `json:"lastModified"`
	UpdateEvents   []UpdateEvent   `json:"updateEvents"`
	InstanceEvents []InstanceEvent `json:"instanceEvents"`
	Progress       UpdateProgress  `json:"progress"`
	Steps          []Step          `json:"steps,omitempty"`
	// SLAWaits lists the instances waiting for the job's SLA, oldest first.
	SLAWaits []SLAWait `json:"slaWaits,omitempty"`
}

// UpdateInput starts an update workflow.
type UpdateInput struct {
	UpdateID string `json:"update_id"`
	JobKey   string `json:"job_key"`
	// Job is the new config; its version is UpdateID.
	Job config.Job `json:"job"`
	// Configs holds the versions instances ran before, for rollback.
	Configs map[string]config.Job `json:"configs"`
	Steps   []Step                `json:"steps"`
	// JobWorkflowID is where to record progress.
	JobWorkflowID string `json:"job_workflow_id"`
}

// StartUpdateRequest asks a job's workflow to start an update.
type StartUpdateRequest struct {
	UpdateID string     `json:"update_id"`
	Job      config.Job `json:"job"`
	// Instances limits the update to these instances (empty: all).
	Instances []int `json:"instances,omitempty"`
}

// StartUpdateResult names the update started.
type StartUpdateResult struct {
	UpdateID   string `json:"update_id"`
	WorkflowID string `json:"workflow_id"`
	Steps      []Step `json:"steps"`
	// Warnings are what the worker said when it admitted the config.
	Warnings []string `json:"warnings,omitempty"`
}

// Record operations an update asks of the job's record.
const (
	RecordSet    = "set"
	RecordAdd    = "add"
	RecordRemove = "remove"
	// RecordBatch applies the records of Batch, in order.
	RecordBatch = "batch"
)

// RecordRequest tells the job's workflow what an update did to an instance.
type RecordRequest struct {
	Key      string `json:"key"`
	Op       string `json:"op"`
	Instance int    `json:"instance"`
	Version  string `json:"version"`
	// Watch is handed to an added instance, to judge its first task.
	Watch *InstanceRequest `json:"watch,omitempty"`
	// Batch holds the records of a RecordBatch; their own keys are unused.
	Batch []RecordRequest `json:"batch,omitempty"`
}

// UpdateDone tells the job's workflow an update finished.
type UpdateDone struct {
	UpdateID string       `json:"update_id"`
	Status   UpdateStatus `json:"status"`
}
