package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/taskapi"
)

// taskExited records how the active task ended and decides what is next.
func (w *instance) taskExited(ctx workflow.Context, r taskapi.WaitTaskResult, stopping stopReason, stopMsg string) {
	if r.Restart != nil {
		w.st.Restart = r.Restart
	}
	switch {
	case stopping == stopKill:
		w.event(ctx, StatusKilled, stopMsg)
	case stopping == stopRestart:
		w.event(ctx, StatusKilled, stopMsg)
	case stopping == stopUnhealthy:
		w.event(ctx, StatusFailed, stopMsg)
	default:
		status, msg := exitStatus(r)
		w.event(ctx, status, msg)
	}
	w.ended(ctx, stopping)
}

// exitStatus is the state a task that exited by itself ends in, and why.
func exitStatus(r taskapi.WaitTaskResult) (TaskStatus, string) {
	switch {
	case r.Lost:
		return StatusLost, r.Reason
	case r.ExitCode == 0:
		return StatusFinished, "Task finished"
	case r.OOMKilled:
		return StatusFailed, "OOM killed"
	case r.Reason != "":
		return StatusFailed, fmt.Sprintf("Exited with status %d: %s", r.ExitCode, r.Reason)
	default:
		return StatusFailed, fmt.Sprintf("Exited with status %d", r.ExitCode)
	}
}

// ended moves the active task to Inactive and applies the restart rules of
// docs/semantics.md §4; stopped says why the workflow stopped it, if it did.
func (w *instance) ended(ctx workflow.Context, stopped stopReason) {
	t := w.st.Active
	status := t.Status
	if status == StatusFailed {
		w.st.FailureCount++
		t.FailureCount = w.st.FailureCount
	}

	// Flapping: a task that ran under the threshold and was not stopped by
	// a user makes its successor wait.
	var ran time.Duration
	if started := startedAt(t); started > 0 {
		ran = time.Duration(w.now(ctx)-started) * time.Millisecond
	}
	userStopped := stopped == stopKill || stopped == stopRestart
	if !userStopped && ran < w.restartPolicy().FlappingThreshold {
		w.st.Flaps++
	} else {
		w.st.Flaps = 0
	}

	if w.st.Watch != nil && w.st.WatchTask == t.TaskID {
		req := *w.st.Watch
		w.st.Watch, w.st.WatchTask = nil, ""
		w.reply(ctx, req, OutcomeFailed, endedReason(t))
	}

	w.keepInactive(ctx, *t)
	w.st.Active = nil
	w.st.RunningSinceMs = 0

	switch {
	case stopped == stopKill:
		// A user kill never restarts, and takes a task kept by start_first along.
		w.st.Done = true
		w.killed = true
		w.retireOld(ctx, "Killed with its successor")
	case stopped == stopRestart, w.in.Job.Service, status == StatusLost:
		// A user restart always restarts; services always restart; LOST is not a failure.
		w.st.Restarts++
	case status == StatusFinished:
		w.st.Done = true
	case status == StatusFailed:
		if limit := w.in.Job.MaxTaskFailures; limit < 0 || w.st.FailureCount < limit {
			w.st.Restarts++
		} else {
			w.st.Done = true
		}
	}
}

// restartPolicy is the flapping back-off that applies: the cluster's, as
// the worker last reported it; before any report, the job's own, or the
// default when the job has none.
func (w *instance) restartPolicy() taskapi.RestartPolicy {
	switch {
	case w.st.Restart != nil:
		return *w.st.Restart
	case w.in.Policy != (taskapi.RestartPolicy{}):
		return w.in.Policy
	}
	return taskapi.DefaultRestartPolicy()
}

// startedAt is when the task's container started (its STARTING event), or 0.
func startedAt(t *TaskInfo) int64 {
	for _, e := range t.TaskEvents {
		if e.Status == StatusStarting {
			return e.Timestamp
		}
	}
	return 0
}
