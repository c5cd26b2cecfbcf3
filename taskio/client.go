package taskio

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/taskapi"
)

// ErrNoAnswer is returned when no worker ran the request in time.
var ErrNoAnswer = errors.New("no worker answered")

// Client sends task requests to the workers polling a task queue.
type Client struct {
	Temporal  client.Client
	TaskQueue string
}

// Exec runs a command in a task's container and returns how it ended.
func (c Client) Exec(ctx context.Context, in taskapi.ExecInput) (taskapi.ExecResult, error) {
	var r taskapi.ExecResult
	err := c.run(ctx, "exec", in.TaskID, ExecWorkflowName, ExecTimeout+time.Minute, in, &r)
	return r, err
}

// ReadLogs reads one page of a task's log.
func (c Client) ReadLogs(ctx context.Context, in taskapi.LogsInput) (taskapi.LogsPage, error) {
	var p taskapi.LogsPage
	wait := time.Duration(in.WaitSecs * float64(time.Second))
	err := c.run(ctx, "logs", in.TaskID, LogsWorkflowName, wait+2*readTimeout, in, &p)
	return p, err
}

// Locate reports where a task's container runs.
func (c Client) Locate(ctx context.Context, taskID string) (taskapi.TaskLocation, error) {
	var l taskapi.TaskLocation
	err := c.run(ctx, "locate", taskID, LocateWorkflowName, 2*readTimeout, taskapi.LocateInput{TaskID: taskID}, &l)
	return l, err
}

// WorkflowID is the id of one request: taskio/<op>/<task id>/<random>.
func WorkflowID(op, taskID string) string {
	return "taskio/" + op + "/" + taskID + "/" + rand.Text()
}

// run starts the request's workflow and waits for its result; when ctx
// ends first the workflow is cancelled.
func (c Client) run(ctx context.Context, op, taskID, workflowName string, timeout time.Duration, in, out any) error {
	run, err := c.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(op, taskID),
		TaskQueue:                c.TaskQueue,
		WorkflowExecutionTimeout: timeout,
	}, workflowName, in)
	if err != nil {
		return fmt.Errorf("%s task %s: start request: %w", op, taskID, err)
	}
	err = run.Get(ctx, out)
	if ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Temporal.CancelWorkflow(cctx, run.GetID(), run.GetRunID())
		return ctx.Err()
	}
	var timeoutErr *temporal.TimeoutError
	var activityErr *temporal.ActivityError
	if errors.As(err, &timeoutErr) && !errors.As(err, &activityErr) {
		return fmt.Errorf("%s task %s: %w on task queue %q within %s", op, taskID, ErrNoAnswer, c.TaskQueue, timeout)
	}
	if err != nil {
		return fmt.Errorf("%s task %s: %w", op, taskID, err)
	}
	return nil
}

// ErrorType is the activity error type (taskapi.ErrType*) behind err, or "".
func ErrorType(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return ""
}
