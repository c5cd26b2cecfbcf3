package taskio

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/taskapi"
)

// Workflow type names as registered with the worker.
const (
	ExecWorkflowName   = "TaskExecWorkflow"
	LogsWorkflowName   = "TaskLogsWorkflow"
	LocateWorkflowName = "TaskLocateWorkflow"
)

// Bounds of the requests. A command runs once: it may not be safe to run
// twice, so a lost worker fails it rather than running it again.
const (
	// ExecTimeout bounds a command run in a task.
	ExecTimeout = 10 * time.Minute
	// readTimeout bounds a read that does not wait (logs, locate).
	readTimeout = 30 * time.Second
	// heartbeatTimeout notices a lost worker during a followed log read.
	heartbeatTimeout = 20 * time.Second
)

// nonRetryable are the activity errors a retry cannot fix.
var nonRetryable = []string{taskapi.ErrTypeInvalidTask, taskapi.ErrTypeConflict, taskapi.ErrTypeNotFound}

// ExecWorkflow runs one command in a task's container (ExecInTask), once.
func ExecWorkflow(ctx workflow.Context, in taskapi.ExecInput) (taskapi.ExecResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: ExecTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var r taskapi.ExecResult
	err := workflow.ExecuteActivity(ctx, taskapi.ExecInTask, in).Get(ctx, &r)
	return r, err
}

// LogsWorkflow reads one page of a task's log (ReadTaskLogs).
func LogsWorkflow(ctx workflow.Context, in taskapi.LogsInput) (taskapi.LogsPage, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: readTimeout + time.Duration(in.WaitSecs*float64(time.Second)),
		HeartbeatTimeout:    heartbeatTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3, NonRetryableErrorTypes: nonRetryable},
	})
	var p taskapi.LogsPage
	err := workflow.ExecuteActivity(ctx, taskapi.ReadTaskLogs, in).Get(ctx, &p)
	return p, err
}

// LocateWorkflow finds a task's container (LocateTask).
func LocateWorkflow(ctx workflow.Context, in taskapi.LocateInput) (taskapi.TaskLocation, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: readTimeout,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3, NonRetryableErrorTypes: nonRetryable},
	})
	var l taskapi.TaskLocation
	err := workflow.ExecuteActivity(ctx, taskapi.LocateTask, in).Get(ctx, &l)
	return l, err
}
