package activities

import (
	"context"
	"errors"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/runner"
)

// ReasonVanished is the reason of a task whose container is gone: the task
// is LOST.
const ReasonVanished = "container vanished"

// WaitTask blocks until the task's container is not running and reports how
// it ended, heartbeating meanwhile. Docker's wait is event driven: nothing
// is polled. A container that is gone (before or while waiting) is Lost with
// reason [ReasonVanished]; one the kernel killed for memory has reason
// "OOM killed"; one whose runner failed the task itself (the disk limit)
// has the reason from the runner's state file ("Disk limit exceeded. ...").
// An unreachable Docker daemon is a retryable error, never a lost task: the
// retried activity waits again. A cancelled activity returns the context's
// error.
func (a *Activities) WaitTask(ctx context.Context, in taskapi.WaitTaskInput) (taskapi.WaitTaskResult, error) {
	log := loggerOf(a).With("task", in.TaskID)
	st, err := whileHeartbeating(ctx, a, nil, func(ctx context.Context) (dockerrun.ExitStatus, error) {
		return a.Runtime.Wait(ctx, in.TaskID)
	})
	if ctx.Err() != nil {
		return taskapi.WaitTaskResult{}, ctx.Err()
	}
	if errors.Is(err, dockerrun.ErrNotFound) {
		log.Warn("task container vanished")
		count(ctx, metrics.ContainerExits, "outcome", "lost")
		return taskapi.WaitTaskResult{Lost: true, Reason: ReasonVanished, EndedAt: time.Now().UnixMilli(), Restart: restartPolicy(a)}, nil
	}
	if err != nil {
		return taskapi.WaitTaskResult{}, runtimeError(ctx, "wait for task "+in.TaskID, err)
	}
	res := exitResult(st.ExitCode, st.OOMKilled, st.Reason, st.FinishedAt)
	if reason := runnerReason(a, in.TaskID); reason != "" && res.ExitCode != 0 && !res.OOMKilled {
		res.Reason = reason
	}
	res.Restart = restartPolicy(a)
	// A container removed behind our back also ends the wait; then its exit
	// is not the task's own: it is lost.
	if _, err := a.Runtime.Inspect(ctx, in.TaskID); errors.Is(err, dockerrun.ErrNotFound) {
		log.Warn("task container vanished", "exit_code", st.ExitCode)
		res.Lost, res.Reason = true, ReasonVanished
	}
	count(ctx, metrics.ContainerExits, "outcome", exitOutcome(res))
	log.Info("task ended", "exit_code", res.ExitCode, "oom_killed", res.OOMKilled, "lost", res.Lost, "reason", res.Reason)
	return res, nil
}

// sandboxer is a runtime whose task sandboxes are directories the worker
// reads (dockerrun.Docker).
type sandboxer interface {
	Sandbox(taskID string) string
}

// runnerReason is the reason the task's runner gave for failing the task
// itself (runner.State.Reason, as "Disk limit exceeded. ..."), read from its
// state file; empty when there is none, the task did not fail, or the
// runtime's sandboxes are out of reach.
func runnerReason(a *Activities, taskID string) string {
	sb, ok := a.Runtime.(sandboxer)
	if !ok {
		return ""
	}
	st, err := runner.ReadState(sb.Sandbox(taskID))
	if err != nil {
		loggerOf(a).Debug("no runner state to read a reason from", "task", taskID, "error", err)
		return ""
	}
	if st.State != runner.TaskFailed {
		return ""
	}
	return st.Reason
}

// exitResult is how a container ended; a missing finish time is now.
func exitResult(code int, oomKilled bool, reason string, finished time.Time) taskapi.WaitTaskResult {
	res := taskapi.WaitTaskResult{ExitCode: code, OOMKilled: oomKilled, Reason: reason, EndedAt: finished.UnixMilli()}
	if finished.IsZero() {
		res.EndedAt = time.Now().UnixMilli()
	}
	if oomKilled {
		res.Reason = dockerrun.ReasonOOMKilled
	}
	return res
}

// exitOutcome is the outcome tag of a container exit's metric.
func exitOutcome(res taskapi.WaitTaskResult) string {
	switch {
	case res.Lost:
		return "lost"
	case res.OOMKilled:
		return "oom"
	}
	return "exited"
}
