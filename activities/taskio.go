package activities

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
)

// ReadTaskLogs returns one page of the task's log (`borealis task logs`),
// from in.Cursor; with in.WaitSecs it follows a running task's output. The
// page is bounded by in.MaxBytes (0: the largest page). A task without a
// container is a non-retryable [taskapi.ErrTypeNotFound] error.
func (a *Activities) ReadTaskLogs(ctx context.Context, in taskapi.LogsInput) (taskapi.LogsPage, error) {
	limit := in.MaxBytes
	if limit == 0 {
		limit = dockerrun.MaxLogPage
	}
	// The runtime checks the page size and cursor; the wait is bounded here.
	if in.WaitSecs > taskapi.MaxLogWaitSecs {
		return taskapi.LogsPage{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("read logs of task %s: wait_secs %g, want at most %d", in.TaskID, in.WaitSecs, taskapi.MaxLogWaitSecs),
			taskapi.ErrTypeInvalidTask, nil)
	}
	wait := time.Duration(in.WaitSecs * float64(time.Second))
	from := dockerrun.LogCursor{Since: in.Cursor.Since, Skip: in.Cursor.Skip}
	page, err := whileHeartbeating(ctx, a, nil, func(ctx context.Context) (dockerrun.LogPage, error) {
		return a.Runtime.ReadLogs(ctx, in.TaskID, from, limit, wait)
	})
	if err != nil {
		return taskapi.LogsPage{}, runtimeError(ctx, "read logs of task "+in.TaskID, err)
	}
	return taskapi.LogsPage{
		Data:  page.Data,
		Next:  taskapi.LogCursor{Since: page.Next.Since, Skip: page.Next.Skip},
		Full:  page.Full,
		Ended: page.Ended,
	}, nil
}

// LocateTask reports where the task's container runs, after the runtime
// checked the container is Borealis's container of that task: its id, the
// Docker Engine's address and this worker's host name. A task without a
// container is a non-retryable [taskapi.ErrTypeNotFound] error.
func (a *Activities) LocateTask(ctx context.Context, in taskapi.LocateInput) (taskapi.TaskLocation, error) {
	loc, err := a.Runtime.Locate(ctx, in.TaskID)
	if err != nil {
		return taskapi.TaskLocation{}, runtimeError(ctx, "locate task "+in.TaskID, err)
	}
	host, err := os.Hostname()
	if err != nil {
		return taskapi.TaskLocation{}, temporal.NewApplicationError("locate task "+in.TaskID+": host name: "+err.Error(), taskapi.ErrTypeDocker, err)
	}
	return taskapi.TaskLocation{
		ContainerID:   loc.ContainerID,
		ContainerName: loc.ContainerName,
		Running:       loc.Running,
		WorkDir:       dockerrun.SandboxMountPath,
		Endpoint:      loc.Endpoint,
		Hostname:      host,
		TaskHost:      taskHostName(a),
	}, nil
}
