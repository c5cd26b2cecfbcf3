package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/taskapi"
)

// stopReason is why the workflow is stopping the active task.
type stopReason int

const (
	stopNone stopReason = iota
	stopKill
	stopRestart
	stopUnhealthy
)

// stopLocal is how the fast path stops a task: StopTask as a local activity,
// which finds what an earlier attempt did, so a retry after a worker crash is
// safe (its StartToCloseTimeout is set per task, as stopActivity's).
var stopLocal = workflow.LocalActivityOptions{RetryPolicy: retryForever}

// stopTask stops the active task the docs/semantics.md §4 way. It returns the task's
// exit when the fast path saw it; otherwise the exit arrives through WaitTask.
func (w *instance) stopTask(ctx workflow.Context) *taskapi.WaitTaskResult {
	in := w.stopInput(w.st.Active)
	if !w.fast {
		w.stop(ctx, w.st.Active, in)
		return nil
	}
	// The same activity removes the containers this task's end makes
	// surplus: the newest ended task's (this one's becomes the kept one)
	// and any still to remove.
	in.Remove = append([]string(nil), w.toRemove...)
	if n := len(w.st.Inactive); n > 0 && w.st.Inactive[n-1].ContainerID != "" {
		in.Remove = append(in.Remove, w.st.Inactive[n-1].TaskID)
	}
	exit, ok := w.stopOK(ctx, w.st.Active, in)
	if ok {
		w.toRemove = nil
		w.removed = in.Remove
	}
	return exit
}

// stopInput is how to stop task t of the instance's current config.
func (w *instance) stopInput(t *TaskInfo) taskapi.StopTaskInput {
	in := taskapi.StopTaskInput{
		TaskID:           t.TaskID,
		Host:             t.Host,
		FinalizationWait: w.in.Job.Task.FinalizationWait,
	}
	if port, ok := t.AssignedPorts[config.HealthPortName]; ok && w.in.Job.Lifecycle.HTTP != nil {
		lc := *w.in.Job.Lifecycle.HTTP
		if p, ok := t.AssignedPorts[lc.Port]; ok {
			port = p
		}
		in.HealthPort, in.Lifecycle = port, &lc
	}
	return in
}

// stop runs the StopTask activity for t and records its steps in t's
// events; it returns the exit the stop saw, if it saw one.
func (w *instance) stop(ctx workflow.Context, t *TaskInfo, in taskapi.StopTaskInput) *taskapi.WaitTaskResult {
	exit, _ := w.stopOK(ctx, t, in)
	return exit
}

// stopOK is stop, also reporting whether the activity succeeded.
func (w *instance) stopOK(ctx workflow.Context, t *TaskInfo, in taskapi.StopTaskInput) (*taskapi.WaitTaskResult, bool) {
	opts := stopActivity
	opts.StartToCloseTimeout = time.Duration(in.FinalizationWait)*time.Second + time.Minute
	if in.Lifecycle != nil {
		opts.StartToCloseTimeout += time.Duration(in.Lifecycle.GracefulShutdownWaitSecs+in.Lifecycle.ShutdownWaitSecs) * time.Second
	}
	var stopped workflow.Future
	if w.fast {
		lopts := stopLocal
		lopts.StartToCloseTimeout = opts.StartToCloseTimeout
		lopts.Summary = fmt.Sprintf("stop task %s, instance %d", t.TaskID, w.in.Instance)
		stopped = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, lopts), taskapi.StopTask, in)
	} else {
		stopped = workflow.ExecuteActivity(w.with(ctx, opts, "stop task "+t.TaskID), taskapi.StopTask, in)
	}
	var res taskapi.StopTaskResult
	err := stopped.Get(ctx, &res)
	if err != nil {
		w.logger.Error("stop task", "task", t.TaskID, "error", err)
		return nil, false
	}
	for _, s := range res.Steps {
		t.TaskEvents = append(t.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: t.Status, Message: s})
	}
	return res.Exit, true
}

// retireOld stops the task a start_first replace kept running, now that its
// successor is RUNNING (or the instance ends).
func (w *instance) retireOld(ctx workflow.Context, why string) {
	old := w.st.Old
	if old == nil {
		return
	}
	old.TaskEvents = append(old.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: StatusRestarting, Message: why})
	old.Status = StatusRestarting
	w.stop(ctx, old, *w.st.OldStop)
	old.Status = StatusKilled
	old.TaskEvents = append(old.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: StatusKilled, Message: why})
	w.keepInactive(ctx, *old)
	w.st.Old, w.st.OldStop = nil, nil
}

// watchKeptVersionID gates watching the task a start_first replace keeps
// running for its own exit (workflow versioning: runs from before it
// notice that exit only when they stop the task).
const watchKeptVersionID = "watch-kept-task"

// watchOld starts waiting for the exit of the task a start_first replace
// keeps running, while its successor starts; it returns nil when there is
// none. The wait ends with ctx (the successor's watch).
func (w *instance) watchOld(ctx workflow.Context) workflow.Future {
	old := w.st.Old
	if old == nil || workflow.GetVersion(ctx, watchKeptVersionID, workflow.DefaultVersion, 1) < 1 {
		return nil
	}
	return workflow.ExecuteActivity(w.with(ctx, longActivity, "wait for kept task "+old.TaskID), taskapi.WaitTask,
		taskapi.WaitTaskInput{TaskID: old.TaskID})
}

// oldEnded records the end of the task a start_first replace kept running,
// which exited by itself before its successor was RUNNING: it ended as any
// task does (a failure counts toward the instance's failures), and its
// successor, already under way, is not disturbed.
func (w *instance) oldEnded(ctx workflow.Context, r taskapi.WaitTaskResult) {
	old := w.st.Old
	status, msg := exitStatus(r)
	old.Status = status
	old.TaskEvents = append(old.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: status, Message: msg + " while its successor was starting"})
	if status == StatusFailed {
		w.st.FailureCount++
		old.FailureCount = w.st.FailureCount
	}
	w.countTransition(ctx, status)
	w.keepInactive(ctx, *old)
	w.st.Old, w.st.OldStop = nil, nil
}

// keepInactive records an ended task, keeping the container of the newest
// ended task (for its logs) and removing the one before.
func (w *instance) keepInactive(ctx workflow.Context, t TaskInfo) {
	if n := len(w.st.Inactive); n > 0 && w.st.Inactive[n-1].ContainerID != "" {
		prev := w.st.Inactive[n-1].TaskID
		switch {
		case w.fast && slices.Contains(w.removed, prev):
			// The stop that ended t removed it already.
		case w.fast:
			// Removed once the next task is RUNNING (or sooner, when tasks
			// keep ending before that): see removeEnded.
			w.toRemove = append(w.toRemove, prev)
			if len(w.toRemove) > 1 {
				w.removeEnded(ctx)
			}
		default:
			w.awaitRemoval(ctx, removal{task: prev, done: workflow.ExecuteActivity(w.with(ctx, shortActivity, "remove container of task "+prev), taskapi.RemoveTask, prev)})
		}
	}
	w.st.Inactive = append(w.st.Inactive, t)
	if len(w.st.Inactive) > keepInactive {
		w.st.Inactive = w.st.Inactive[len(w.st.Inactive)-keepInactive:]
	}
}

// removal is one RemoveTask under way.
type removal struct {
	task string
	done workflow.Future
}

// removeLocal is how the fast path removes a container: RemoveTask as a
// local activity (a task without a container is no error, so it is safe to
// run again after a crash).
var removeLocal = workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Minute, RetryPolicy: retryForever}

// removeEnded starts removing the containers of toRemove, without waiting.
func (w *instance) removeEnded(ctx workflow.Context) {
	for _, task := range w.toRemove {
		opts := removeLocal
		opts.Summary = fmt.Sprintf("remove container of task %s, instance %d", task, w.in.Instance)
		done := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, opts), taskapi.RemoveTask, task)
		w.removals = append(w.removals, removal{task: task, done: done})
	}
	w.toRemove = nil
	w.awaitRemovals(ctx, true)
}

// awaitRemovals waits for the removals under way, starting those still to
// do; with doneOnly, it only collects those that have finished.
func (w *instance) awaitRemovals(ctx workflow.Context, doneOnly bool) {
	if !doneOnly && len(w.toRemove) > 0 {
		w.removeEnded(ctx)
	}
	var left []removal
	for _, r := range w.removals {
		if doneOnly && !r.done.IsReady() {
			left = append(left, r)
			continue
		}
		w.awaitRemoval(ctx, r)
	}
	w.removals = left
}

func (w *instance) awaitRemoval(ctx workflow.Context, r removal) {
	if err := r.done.Get(ctx, nil); err != nil {
		w.logger.Warn("remove ended task's container", "task", r.task, "error", err)
	}
}

// removeKeptVersionID gates removing, when a kill ends the instance, the
// container of its newest ended task, kept until then for `task logs`
// (workflow versioning: runs from before it leave that container behind).
const removeKeptVersionID = "remove-kept-on-kill"

// removesKept queues the removal of the container a killed instance keeps
// (its newest ended task's; the runtime saves its log in the sandbox first,
// where `task logs` reads it). It reports whether it did: not when there is
// none, nor in runs from before removeKeptVersionID. The version is asked
// only when there is a container to remove, so other runs gain no marker.
func (w *instance) removesKept(ctx workflow.Context) bool {
	n := len(w.st.Inactive)
	if n == 0 || w.st.Inactive[n-1].ContainerID == "" {
		return false
	}
	task := w.st.Inactive[n-1].TaskID
	if slices.Contains(w.toRemove, task) || slices.ContainsFunc(w.removals, func(r removal) bool { return r.task == task }) {
		return false
	}
	if workflow.GetVersion(ctx, removeKeptVersionID, workflow.DefaultVersion, 1) < 1 {
		return false
	}
	if w.fast {
		w.toRemove = append(w.toRemove, task)
		return true
	}
	w.removals = append(w.removals, removal{task: task,
		done: workflow.ExecuteActivity(w.with(ctx, shortActivity, "remove container of task "+task), taskapi.RemoveTask, task)})
	return true
}
