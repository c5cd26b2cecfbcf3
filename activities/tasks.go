package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/jobkey"
)

// Reconcile removes the instance's containers that no task of in.Keep
// owns, such as those a crashed workflow run started and forgot: each is
// stopped (SIGTERM, then SIGKILL after in.FinalizationWait) and removed,
// its sandbox kept for its logs. Only Borealis's containers are listed, so
// nothing else is touched. It goes on past a failure and returns every
// failure at once (retryable).
func (a *Activities) Reconcile(ctx context.Context, in taskapi.ReconcileInput) (taskapi.ReconcileResult, error) {
	key, err := jobkey.Parse(in.JobKey)
	if err != nil {
		return taskapi.ReconcileResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("reconcile instance %d: %v", in.Instance, err), taskapi.ErrTypeInvalidTask, nil)
	}
	log := loggerOf(a).With("job", in.JobKey, "instance", in.Instance)
	var res taskapi.ReconcileResult
	return whileHeartbeating(ctx, a, nil, func(ctx context.Context) (taskapi.ReconcileResult, error) {
		list, err := a.Runtime.List(ctx, key)
		if err != nil {
			return res, runtimeError(ctx, "reconcile "+in.JobKey, err)
		}
		grace := time.Duration(max(in.FinalizationWait, 0)) * time.Second
		var errs []error
		for _, st := range list {
			if st.Instance != in.Instance || st.TaskID == "" || slices.Contains(in.Keep, st.TaskID) {
				continue
			}
			if err := a.Runtime.Stop(ctx, st.TaskID, grace); err != nil {
				errs = append(errs, fmt.Errorf("stop orphan %s: %w", st.TaskID, err))
				continue
			}
			if err := a.Runtime.Remove(ctx, st.TaskID, dockerrun.RemoveOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("remove orphan %s: %w", st.TaskID, err))
				continue
			}
			log.Info("removed orphan task container", "task", st.TaskID, "container", st.ContainerID)
			res.Removed = append(res.Removed, st.TaskID)
		}
		if len(errs) > 0 {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			err := errors.Join(errs...)
			return res, temporal.NewApplicationError(fmt.Sprintf("reconcile %s/%d: %v", in.JobKey, in.Instance, err), taskapi.ErrTypeDocker, err)
		}
		return res, nil
	})
}

// RemoveTask removes a finished task's container, keeping its sandbox (the
// task's logs). A task without a container is not an error.
func (a *Activities) RemoveTask(ctx context.Context, taskID string) error {
	_, err := whileHeartbeating(ctx, a, nil, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, a.Runtime.Remove(ctx, taskID, dockerrun.RemoveOptions{})
	})
	if err != nil {
		return runtimeError(ctx, "remove task "+taskID, err)
	}
	loggerOf(a).Info("removed task container", "task", taskID)
	return nil
}

// ExecInTask runs in.Command with /bin/sh -c in the task's running
// container, in its sandbox, as the task's user, with {{mesos.hostname}}
// filled as in the task's cmdlines. A command that exits non-zero is not an
// error; a task without a running container is a non-retryable
// [taskapi.ErrTypeNotFound] or [taskapi.ErrTypeConflict] error.
func (a *Activities) ExecInTask(ctx context.Context, in taskapi.ExecInput) (taskapi.ExecResult, error) {
	command := config.FillHostname(in.Command, taskHostName(a))
	code, out, err := a.Runtime.Exec(ctx, in.TaskID, health.ShellCommand(command))
	if err != nil {
		return taskapi.ExecResult{}, runtimeError(ctx, "run command in task "+in.TaskID, err)
	}
	return taskapi.ExecResult{ExitCode: code, Output: out}, nil
}
