package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/taskapi"
)

// watchTask follows the active task until it ends or the run's history is
// full while it runs; the caller then goes on with Active still set.
func (w *instance) watchTask(ctx workflow.Context) error {
	tw := w.newTaskWatch(ctx)
	defer tw.release()
	tw.begin()
	for {
		done, err := tw.handle(tw.next())
		if done || err != nil {
			return err
		}
	}
}

// taskWatch is one watch of the active task: the activities and timers that
// follow it, and what the workflow is doing to it. The watch loop waits for
// one event at a time (next) and handles it with the method of its kind.
//
// The order in which it starts activities and timers, and adds them to the
// loop's selector, is the order of the commands in the history: it must not
// change (workflow determinism, see replay_test.go).
type taskWatch struct {
	w   *instance
	ctx workflow.Context // the run's
	t   *TaskInfo

	// taskCtx holds what ends with the watch: the health watch, the timers
	// and the wait for the task a start_first replace keeps.
	taskCtx    workflow.Context
	cancelTask workflow.CancelFunc
	// waitCtx holds the task's WaitTask. In the fast path a stop that saw
	// the container exit ends the task at once; WaitTask, which will tell
	// the same soon after, is then left to finish by itself rather than
	// cancelled (a cancel costs more history): keepWait. Otherwise it is
	// taskCtx, and cancelWait is nil.
	waitCtx    workflow.Context
	cancelWait workflow.CancelFunc
	keepWait   bool
	// healthCtx holds the health watch.
	healthCtx    workflow.Context
	cancelHealth workflow.CancelFunc

	check taskapi.HealthCheckSpec
	// carry is set when a run that continues as new mid-task waits for the
	// cancelled health watch to hand back its count (see carriesHealth).
	carry bool

	exited     workflow.Future // the task's WaitTask
	health     workflow.Future // WatchHealth, nil when none runs
	deadline   workflow.Future // healthy_deadline_secs of the request watching the task
	watchTimer workflow.Future // watch_secs of that request, once the task is RUNNING
	oldExited  workflow.Future // WaitTask of the task a start_first replace keeps

	// stopping is why the workflow is stopping the task, if it is, and
	// stopMsg what its event says.
	stopping stopReason
	stopMsg  string
}

// watchEvent is what one select of the watch loop saw: the fields of one
// event are set.
type watchEvent struct {
	exit       *taskapi.WaitTaskResult
	exitErr    error
	health     *taskapi.WatchHealthResult
	healthErr  error
	watchDone  bool
	deadline   bool
	request    bool
	oldExit    *taskapi.WaitTaskResult
	oldExitErr error
}

// newTaskWatch makes the contexts of a watch of the active task.
func (w *instance) newTaskWatch(ctx workflow.Context) *taskWatch {
	tw := &taskWatch{w: w, ctx: ctx, t: w.st.Active}
	tw.taskCtx, tw.cancelTask = workflow.WithCancel(ctx)
	tw.waitCtx = tw.taskCtx
	if w.fast {
		tw.waitCtx, tw.cancelWait = workflow.WithCancel(ctx)
	}
	return tw
}

// release ends what the watch started and still runs, when watchTask
// returns: the health watch, then WaitTask (unless kept), then the rest.
func (tw *taskWatch) release() {
	if tw.cancelHealth != nil {
		tw.cancelHealth()
	}
	if tw.cancelWait != nil && !tw.keepWait {
		tw.cancelWait()
	}
	tw.cancelTask()
}

// begin starts following the task: its exit, its health, the timers of the
// request watching it, and the exit of the task start_first keeps.
func (tw *taskWatch) begin() {
	w, ctx, t := tw.w, tw.ctx, tw.t
	waitCtx := w.with(tw.waitCtx, longActivity, "wait for task "+t.TaskID)
	tw.exited = workflow.ExecuteActivity(waitCtx, taskapi.WaitTask, taskapi.WaitTaskInput{TaskID: t.TaskID})

	tw.check = taskapi.HealthCheckFor(w.in.Job, t.Host, t.AssignedPorts, t.Sandbox, w.in.Instance, t.TaskID)
	healthOpts := longActivity
	tw.carry = tw.check.Kind != taskapi.CheckNone && w.carriesHealth(ctx)
	healthOpts.WaitForCancellation = tw.carry
	tw.healthCtx, tw.cancelHealth = workflow.WithCancel(w.with(tw.taskCtx, healthOpts, "health checks of task "+t.TaskID))
	startedRunning := tw.startHealth()

	if w.st.Watch != nil && w.st.WatchTask == t.TaskID && w.st.Watch.HealthyDeadlineSecs > 0 && t.Status != StatusRunning {
		left := time.Duration(w.st.Watch.HealthyDeadlineSecs)*time.Second - time.Duration(w.now(ctx)-startedAt(t))*time.Millisecond
		tw.deadline = workflow.NewTimer(tw.taskCtx, max(left, 0))
	}
	tw.armWatch()
	if startedRunning {
		w.retireOld(ctx, "Replaced by "+t.TaskID)
	}
	tw.oldExited = w.watchOld(tw.taskCtx)
}

// startHealth starts the health watch, to RUNNING or, for a task RUNNING
// already, to FAILED. It reports whether the task is RUNNING at once: in
// the fast path, a task without health check is (docs/semantics.md §3).
func (tw *taskWatch) startHealth() bool {
	w, ctx, t := tw.w, tw.ctx, tw.t
	until := health.StatusRunning
	if t.Status == StatusRunning {
		until = health.StatusFailed
	}
	if w.fast && tw.check.Kind == taskapi.CheckNone && until == health.StatusRunning {
		progress := taskapi.HealthProgress{}
		progress.Counter.Status = health.StatusRunning
		t.Health = &progress
		w.st.RunningSinceMs = w.now(ctx)
		w.event(ctx, StatusRunning, "")
		w.removeEnded(ctx)
		return true
	}
	if until == health.StatusRunning || !w.idleWatch(ctx, tw.check) {
		tw.watchHealth(until, t.Health)
	}
	return false
}

// watchHealth runs WatchHealth until the task's health reaches until,
// resuming the count of resume.
func (tw *taskWatch) watchHealth(until health.Status, resume *taskapi.HealthProgress) {
	tw.health = workflow.ExecuteActivity(tw.healthCtx, taskapi.WatchHealth, taskapi.WatchHealthInput{
		TaskID: tw.t.TaskID, Check: tw.check, Until: until, Resume: resume,
	})
}

// armWatch starts the watch_secs timer of the request watching the task,
// once the task is RUNNING.
func (tw *taskWatch) armWatch() {
	w, t := tw.w, tw.t
	if w.st.Watch == nil || w.st.WatchTask != t.TaskID || t.Status != StatusRunning || tw.watchTimer != nil {
		return
	}
	left := time.Duration(w.st.Watch.WatchSecs)*time.Second - time.Duration(w.now(tw.ctx)-w.st.RunningSinceMs)*time.Millisecond
	tw.watchTimer = workflow.NewTimer(tw.taskCtx, max(left, 0))
}

// next waits for the watch's next event.
func (tw *taskWatch) next() watchEvent {
	ctx := tw.ctx
	var ev watchEvent
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(tw.exited, func(f workflow.Future) {
		var r taskapi.WaitTaskResult
		ev.exitErr = f.Get(ctx, &r)
		ev.exit = &r
	})
	if tw.health != nil {
		sel.AddFuture(tw.health, func(f workflow.Future) {
			var r taskapi.WatchHealthResult
			ev.healthErr = f.Get(ctx, &r)
			ev.health = &r
		})
	}
	if tw.watchTimer != nil {
		sel.AddFuture(tw.watchTimer, func(workflow.Future) { ev.watchDone = true })
	}
	if tw.deadline != nil {
		sel.AddFuture(tw.deadline, func(workflow.Future) { ev.deadline = true })
	}
	if tw.oldExited != nil {
		sel.AddFuture(tw.oldExited, func(f workflow.Future) {
			var r taskapi.WaitTaskResult
			ev.oldExitErr = f.Get(ctx, &r)
			ev.oldExit = &r
		})
	}
	sel.AddReceive(tw.w.requests, func(workflow.ReceiveChannel, bool) { ev.request = true })
	sel.Select(ctx)
	return ev
}

// handle acts on one event. It reports done when the watch is over: the
// task ended, start_first keeps it beside its successor, or the run's
// history is full; err ends the run.
func (tw *taskWatch) handle(ev watchEvent) (done bool, err error) {
	switch {
	case ev.oldExit != nil:
		tw.oldTaskExited(*ev.oldExit, ev.oldExitErr)
		return false, nil
	case ev.exit != nil:
		return true, tw.taskExited(*ev.exit, ev.exitErr)
	case ev.health != nil:
		tw.health = nil
		if ev.healthErr != nil {
			// Only cancellation ends the watch with an error; the task's
			// exit decides what happens next.
			tw.w.logger.Warn("health watch ended", "task", tw.t.TaskID, "error", ev.healthErr)
			return false, nil
		}
		if tw.healthResult(*ev.health) {
			return true, nil
		}
	case ev.deadline:
		tw.deadlinePassed()
	case ev.watchDone:
		tw.watchPassed()
	case ev.request:
		if tw.requests() {
			return true, nil
		}
	}
	return tw.handOver(), nil
}

// oldTaskExited handles the exit of the task a start_first replace keeps.
func (tw *taskWatch) oldTaskExited(r taskapi.WaitTaskResult, err error) {
	tw.oldExited = nil
	if err == nil && tw.w.st.Old != nil {
		tw.w.oldEnded(tw.ctx, r)
	}
	// Otherwise the kept task was retired meanwhile, or the wait was
	// cancelled: nothing to record.
}

// taskExited handles the task's exit, as WaitTask saw it.
func (tw *taskWatch) taskExited(r taskapi.WaitTaskResult, err error) error {
	if err != nil {
		return fmt.Errorf("wait for task %s: %w", tw.t.TaskID, err)
	}
	tw.cancelHealth()
	tw.w.taskExited(tw.ctx, r, tw.stopping, tw.stopMsg)
	return nil
}

// stopped ends the task when the stop that ended it saw it exit (fast
// path); it reports whether it did.
func (tw *taskWatch) stopped(exit *taskapi.WaitTaskResult) bool {
	if exit == nil {
		return false
	}
	tw.keepWait = true
	tw.cancelTask() // the health watch and timers
	tw.w.taskExited(tw.ctx, *exit, tw.stopping, tw.stopMsg)
	return true
}

// healthResult handles the health watch's verdict; it reports whether the
// task has ended.
func (tw *taskWatch) healthResult(r taskapi.WatchHealthResult) bool {
	w, ctx, t := tw.w, tw.ctx, tw.t
	progress := r.Progress
	t.Health = &progress
	switch r.Status {
	case health.StatusRunning:
		w.st.RunningSinceMs = w.now(ctx)
		w.event(ctx, StatusRunning, r.Reason)
		if w.fast {
			w.removeEnded(ctx)
		}
		if !w.idleWatch(ctx, tw.check) {
			tw.watchHealth(health.StatusFailed, &progress)
		}
		tw.armWatch()
		w.retireOld(ctx, "Replaced by "+t.TaskID)
	case health.StatusFailed:
		if tw.stopping == stopNone {
			tw.stopping, tw.stopMsg = stopUnhealthy, "Failed health check: "+r.Reason
			w.event(ctx, StatusKilling, tw.stopMsg)
			return tw.stopped(w.stopTask(ctx))
		}
	}
	return false
}

// deadlinePassed fails the request watching the task when the task is not
// RUNNING within its healthy_deadline_secs.
func (tw *taskWatch) deadlinePassed() {
	w, t := tw.w, tw.t
	tw.deadline = nil
	if w.st.Watch != nil && w.st.WatchTask == t.TaskID && t.Status != StatusRunning {
		req := *w.st.Watch
		w.st.Watch, w.st.WatchTask = nil, ""
		w.reply(tw.ctx, req, OutcomeFailed, notRunningWithin(t.TaskID, req.HealthyDeadlineSecs))
	}
}

// notRunningWithin is the failure of a watch whose task was not RUNNING
// within the request's healthy_deadline_secs.
func notRunningWithin(taskID string, secs int) string {
	return fmt.Sprintf("task %s not RUNNING within healthy_deadline_secs %d", taskID, secs)
}

// watchPassed answers the request watching the task: it stayed RUNNING for
// its watch_secs.
func (tw *taskWatch) watchPassed() {
	w := tw.w
	tw.watchTimer = nil
	if w.st.Watch != nil {
		req := *w.st.Watch
		w.st.Watch, w.st.WatchTask = nil, ""
		w.reply(tw.ctx, req, OutcomeRunning, "")
	}
}

// requests acts on the requests received: a kill, a restart or a replace
// stops the task (a start_first replace keeps it running beside its
// successor). It reports whether the watch is over.
func (tw *taskWatch) requests() bool {
	w, ctx, t := tw.w, tw.ctx, tw.t
	for {
		req, ok := w.nextRequest()
		if !ok {
			break
		}
		switch {
		case req.Kind == RequestKill:
			w.st.Kills = append(w.st.Kills, req)
			if tw.stopping != stopKill {
				tw.stopping, tw.stopMsg = stopKill, "Killed by request "+req.Key
			}
		case tw.stopping == stopNone && w.startsFirst(req) && t.ContainerID != "" && w.st.Old == nil:
			tw.keepForSuccessor(req)
			return true
		case tw.stopping != stopKill:
			w.acceptRestart(ctx, req)
			if tw.stopping == stopNone {
				tw.stopping, tw.stopMsg = stopRestart, "Restarting by request "+req.Key
			}
		default:
			w.reply(ctx, req, OutcomeFailed, "instance is being killed")
		}
	}
	if tw.stopping != stopNone && t.Status != StatusKilling && t.Status != StatusRestarting {
		// A restart or replace shows as RESTARTING, a kill as KILLING.
		status := StatusKilling
		if tw.stopping == stopRestart {
			status = StatusRestarting
		}
		w.event(ctx, status, tw.stopMsg)
		return tw.stopped(w.stopTask(ctx))
	}
	return false
}

// keepForSuccessor takes a start_first replace: the task runs on, as the
// instance's old task, until its successor is RUNNING.
func (tw *taskWatch) keepForSuccessor(req InstanceRequest) {
	w, ctx, t := tw.w, tw.ctx, tw.t
	old := w.stopInput(t)
	w.acceptRestart(ctx, req)
	w.st.Old, w.st.OldStop = t, &old
	t.TaskEvents = append(t.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: t.Status,
		Message: "Kept running until its successor is RUNNING (update_order start_first), request " + req.Key})
	w.st.Active, w.st.RunningSinceMs = nil, 0
	tw.cancelTask()
}

// handOver ends the watch of a task that runs on when the run's history is
// full, for the next run to take it over (with its health count, when the
// run carries it). It reports whether it did.
func (tw *taskWatch) handOver() bool {
	if tw.stopping != stopNone || !tw.w.historyFull(tw.ctx) {
		return false
	}
	if tw.carry && tw.health != nil {
		tw.cancelHealth()
		tw.w.keepHealth(tw.ctx, tw.t, tw.health)
	}
	tw.cancelTask()
	return true
}

// carryHealthVersionID gates carrying a task's health count across
// continue-as-new (workflow versioning: runs from before it start the count
// again in the new run).
const carryHealthVersionID = "carry-health-count"

// carriesHealth reports whether this run carries the health count of a
// task it hands to the next run: the cancelled WatchHealth is waited for,
// and its progress kept in the task, so the next run's watch resumes it
// (attempts, consecutive failures and successes) instead of starting again.
func (w *instance) carriesHealth(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, carryHealthVersionID, workflow.DefaultVersion, 1) >= 1
}

// keepHealth waits for the cancelled health watch f and keeps the progress
// it hands back (or its verdict, when it reached one first) in t.
func (w *instance) keepHealth(ctx workflow.Context, t *TaskInfo, f workflow.Future) {
	var r taskapi.WatchHealthResult
	err := f.Get(ctx, &r)
	var canceled *temporal.CanceledError
	switch {
	case err == nil:
		// It reached RUNNING or FAILED just now: the next run's watch
		// starts from that verdict and reports it at once.
		t.Health = &r.Progress
	case errors.As(err, &canceled) && canceled.HasDetails():
		var p taskapi.HealthProgress
		if canceled.Details(&p) == nil {
			t.Health = &p
		}
	default:
		w.logger.Warn("health watch ended without its count", "task", t.TaskID, "error", err)
	}
}

// skipIdleWatchVersion gates not watching a RUNNING task that has no health
// check (workflow versioning: runs from before it keep the idle activity).
const skipIdleWatchVersion = "skip-idle-health-watch"

// idleWatch reports whether watching a RUNNING task's health would only
// hold an activity slot: the task has no health check, so nothing can fail.
func (w *instance) idleWatch(ctx workflow.Context, check taskapi.HealthCheckSpec) bool {
	return check.Kind == taskapi.CheckNone &&
		workflow.GetVersion(ctx, skipIdleWatchVersion, workflow.DefaultVersion, 1) >= 1
}
