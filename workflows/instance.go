package workflows

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/health"
)

// InstanceInput starts (or continues) the workflow of one instance.
type InstanceInput struct {
	JobKey   string     `json:"job_key"`
	Instance int        `json:"instance"`
	Job      config.Job `json:"job"`
	// ConfigVersion names Job: "" for the job's first config, else the update that set it.
	ConfigVersion string        `json:"config_version,omitempty"`
	Policy        RestartPolicy `json:"policy"`
	// State is carried across continue-as-new; nil on the first run.
	State *InstanceState `json:"state,omitempty"`
}

// InstanceState is what an instance workflow remembers across runs.
type InstanceState struct {
	// Seq counts the tasks this instance has started; it makes task ids unique.
	Seq          int `json:"seq"`
	FailureCount int `json:"failure_count"`
	Restarts     int `json:"restarts"`
	// Flaps counts consecutive flapping tasks (SPEC §4).
	Flaps int `json:"flaps"`
	// Active is the task being watched, carried over when a run continues
	// as new while it runs.
	Active *TaskInfo `json:"active,omitempty"`
	// RunningSinceMs is when Active became RUNNING (0: not yet).
	RunningSinceMs int64 `json:"running_since_ms,omitempty"`
	// Inactive holds the latest ended tasks, oldest first.
	Inactive []TaskInfo `json:"inactive,omitempty"`
	// Seen holds the latest request keys handled, to drop duplicates.
	Seen []string `json:"seen,omitempty"`
	// Pending holds requests received but not yet acted on.
	Pending []InstanceRequest `json:"pending,omitempty"`
	// Watch is a restart or replace whose verdict is owed; WatchTask is
	// the task it judges, once started.
	Watch     *InstanceRequest `json:"watch,omitempty"`
	WatchTask string           `json:"watch_task,omitempty"`
	// NoThrottle starts the next task at once: a user or an update asked for it.
	NoThrottle bool `json:"no_throttle,omitempty"`
	// Kills are kill requests to answer once the task is gone.
	Kills []InstanceRequest `json:"kills,omitempty"`
	// Old is the task a start_first replace keeps running until its
	// successor is RUNNING; OldStop is how to stop it then.
	Old     *TaskInfo                 `json:"old,omitempty"`
	OldStop *activities.StopTaskInput `json:"old_stop,omitempty"`
	// Done is set when the instance will run no more tasks.
	Done bool `json:"done,omitempty"`
}

// Bounds on what an instance workflow keeps and how long its history grows.
const (
	keepInactive = 10
	keepSeen     = 200
	// defaultHistoryLimit is the history length (events) past which a run
	// continues as new, at the next task or while a task runs.
	defaultHistoryLimit = 1000
)

// historyLimit is defaultHistoryLimit; tests lower it to make a run
// continue as new at a moment they choose.
var historyLimit atomic.Int64

func init() { historyLimit.Store(defaultHistoryLimit) }

// historyFullAt reports whether a run whose history has n events is long
// enough to continue as new.
func historyFullAt(n int) bool { return int64(n) > historyLimit.Load() }

// InstanceWorkflow runs one instance of a job: one task (container) at a
// time through Aurora's task states, restarting per SPEC §4, until killed
// or, for non-service jobs, finished. It continues as new once its history
// passes historyLimit events, so it stays bounded however long the service
// runs and however often it restarts.
func InstanceWorkflow(ctx workflow.Context, in InstanceInput) (InstanceStatus, error) {
	w := &instance{in: in, logger: workflow.GetLogger(ctx)}
	if in.State != nil {
		w.st = *in.State
	}
	w.in.State = nil
	return w.run(ctx)
}

type instance struct {
	in       InstanceInput
	st       InstanceState
	logger   log.Logger
	requests workflow.ReceiveChannel
	// fast is set in runs at fastPathVersion: StartTask and StopTask run
	// as local activities, a task without health checks is RUNNING once
	// started, the container of an old task is removed without waiting,
	// and replies go out through SendMessages.
	fast bool
	// toRemove are ended tasks whose containers are to be removed, and
	// removals the RemoveTask local activities under way (fast path). They
	// are started once the next task is RUNNING, so a removal never delays a
	// start or a health check, and the run waits for them before it ends,
	// so no container outlives its record.
	toRemove []string
	removals []removal
	// removed are the containers the last StopTask removed.
	removed []string
}

// removal is one RemoveTask under way.
type removal struct {
	task string
	done workflow.Future
}

// fastPathVersionID gates the fast path of instance workflows (workflow
// versioning: runs that started before it replay as they ran).
const fastPathVersionID = "local-task-ops"

// Local activity options of the fast path: StartTask and StopTask adopt or
// find what an earlier attempt did, so a retry after a worker crash is safe.
var (
	startLocal = workflow.LocalActivityOptions{StartToCloseTimeout: 2 * time.Minute, RetryPolicy: retryForever}
	stopLocal  = workflow.LocalActivityOptions{RetryPolicy: retryForever}
)

var acts *activities.Activities

func (w *instance) run(ctx workflow.Context) (InstanceStatus, error) {
	w.requests = workflow.GetSignalChannel(ctx, SignalInstanceRequest)
	w.fast = workflow.GetVersion(ctx, fastPathVersionID, workflow.DefaultVersion, 1) >= 1
	if err := workflow.SetQueryHandler(ctx, QueryInstanceStatus, func() (InstanceStatus, error) {
		return w.status(), nil
	}); err != nil {
		return InstanceStatus{}, err
	}
	if err := w.reconcile(ctx); err != nil {
		return w.status(), err
	}
	for !w.st.Done {
		if w.historyFull(ctx) {
			return w.status(), w.continueAsNew(ctx)
		}
		if w.st.Active == nil {
			if err := w.startTask(ctx); err != nil {
				return w.status(), err
			}
			// A task killed while throttled, or one that could not start,
			// has ended already.
			continue
		}
		if err := w.watchTask(ctx); err != nil {
			return w.status(), err
		}
	}
	w.answerLeftovers(ctx)
	w.awaitRemovals(ctx, false)
	return w.status(), nil
}

// status is the answer to the status query.
func (w *instance) status() InstanceStatus {
	s := InstanceStatus{
		JobKey:       w.in.JobKey,
		InstanceID:   w.in.Instance,
		Inactive:     append([]TaskInfo(nil), w.st.Inactive...),
		FailureCount: w.st.FailureCount,
		Restarts:     w.st.Restarts,
		Done:         w.st.Done,
	}
	if w.st.Active != nil {
		a := *w.st.Active
		s.Active = &a
	}
	if w.st.Old != nil {
		o := *w.st.Old
		s.Replacing = &o
	}
	return s
}

// continueAsNew carries the state and every signal received so far into a new run.
func (w *instance) continueAsNew(ctx workflow.Context) error {
	w.awaitRemovals(ctx, false)
	w.drainSignals()
	in := w.in
	st := w.st
	in.State = &st
	return workflow.NewContinueAsNewError(ctx, InstanceWorkflowName, in)
}

// drainSignals moves every signal already received into Pending.
func (w *instance) drainSignals() {
	for {
		var req InstanceRequest
		if !w.requests.ReceiveAsync(&req) {
			return
		}
		w.st.Pending = append(w.st.Pending, req)
	}
}

// nextRequest returns the next pending request not seen before.
func (w *instance) nextRequest() (InstanceRequest, bool) {
	w.drainSignals()
	for len(w.st.Pending) > 0 {
		req := w.st.Pending[0]
		w.st.Pending = w.st.Pending[1:]
		if w.seen(req.Key) {
			continue
		}
		w.st.Seen = append(w.st.Seen, req.Key)
		if len(w.st.Seen) > keepSeen {
			w.st.Seen = w.st.Seen[len(w.st.Seen)-keepSeen:]
		}
		return req, true
	}
	return InstanceRequest{}, false
}

func (w *instance) seen(key string) bool {
	for _, k := range w.st.Seen {
		if k == key {
			return true
		}
	}
	return false
}

// answerLeftovers answers the requests still pending when the instance
// ends: a kill has nothing left to kill, a restart or replace cannot be done.
func (w *instance) answerLeftovers(ctx workflow.Context) {
	for _, req := range w.st.Kills {
		w.reply(ctx, req, OutcomeKilled, "")
	}
	w.st.Kills = nil
	if w.st.Watch != nil {
		w.reply(ctx, *w.st.Watch, OutcomeFailed, "instance has ended")
		w.st.Watch, w.st.WatchTask = nil, ""
	}
	for {
		req, ok := w.nextRequest()
		if !ok {
			return
		}
		if req.Kind == RequestKill {
			w.reply(ctx, req, OutcomeKilled, "instance had already ended")
		} else {
			w.reply(ctx, req, OutcomeFailed, "instance has ended")
		}
	}
}

func (w *instance) now(ctx workflow.Context) int64 { return workflow.Now(ctx).UnixMilli() }

// event records a state change of the active task, and counts it in
// metrics.TaskTransitions (the SDK's handler skips replays).
func (w *instance) event(ctx workflow.Context, status TaskStatus, msg string) {
	t := w.st.Active
	t.Status = status
	t.TaskEvents = append(t.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: status, Message: msg})
	w.countTransition(ctx, status)
	w.showDetails(ctx)
}

// countTransition counts a task's move to status in metrics.TaskTransitions.
func (w *instance) countTransition(ctx workflow.Context, status TaskStatus) {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"state": string(status)}).Counter("borealis_task_transitions").Inc(1)
}

// showDetails is what the Temporal Web UI shows for this instance: its task and state.
func (w *instance) showDetails(ctx workflow.Context) {
	t := w.st.Active
	details := fmt.Sprintf("**%s** task `%s`", t.Status, t.TaskID)
	if len(t.AssignedPorts) > 0 {
		names := make([]string, 0, len(t.AssignedPorts))
		//workflowcheck:ignore sorted right below
		for name := range t.AssignedPorts {
			names = append(names, name)
		}
		sort.Strings(names)
		for i, name := range names {
			names[i] = fmt.Sprintf("%s %s:%d", name, t.Host, t.AssignedPorts[name])
		}
		details += "\n\nports: " + strings.Join(names, ", ")
	}
	details += fmt.Sprintf("\n\nrestarts %d, failures %d", w.st.Restarts, w.st.FailureCount)
	workflow.SetCurrentDetails(ctx, details)
}

// with gives activity options a summary the Web UI shows, naming the instance.
func (w *instance) with(ctx workflow.Context, opts workflow.ActivityOptions, what string) workflow.Context {
	opts.Summary = fmt.Sprintf("%s, instance %d", what, w.in.Instance)
	return workflow.WithActivityOptions(ctx, opts)
}

// reconcile removes containers of this instance that no task owns, left by a
// crash between starting a container and recording it.
func (w *instance) reconcile(ctx workflow.Context) error {
	keep := []string{}
	if w.st.Active != nil {
		keep = append(keep, w.st.Active.TaskID)
	}
	if w.st.Old != nil {
		keep = append(keep, w.st.Old.TaskID)
	}
	if n := len(w.st.Inactive); n > 0 {
		keep = append(keep, w.st.Inactive[n-1].TaskID)
	}
	ctx = w.with(ctx, shortActivity, "reconcile containers")
	var res activities.ReconcileResult
	err := workflow.ExecuteActivity(ctx, acts.Reconcile, activities.ReconcileInput{
		JobKey: w.in.JobKey, Instance: w.in.Instance, Keep: keep,
	}).Get(ctx, &res)
	if err != nil {
		return fmt.Errorf("reconcile instance %d: %w", w.in.Instance, err)
	}
	if len(res.Removed) > 0 {
		w.logger.Warn("removed containers no task owns", "containers", res.Removed)
	}
	return nil
}

// startTask makes the next task: PENDING, THROTTLED when flapping, ASSIGNED,
// then STARTING once its container runs.
func (w *instance) startTask(ctx workflow.Context) error {
	w.st.Seq++
	j := w.in.Job
	w.st.Active = &TaskInfo{
		InstanceID:    w.in.Instance,
		TaskID:        fmt.Sprintf("%s-%s-%s-%d-%d-%s", j.Role, j.Environment, j.Name, w.in.Instance, w.st.Seq, w.runTag(ctx)),
		FailureCount:  w.st.FailureCount,
		ConfigVersion: w.in.ConfigVersion,
	}
	w.st.RunningSinceMs = 0
	w.event(ctx, StatusPending, "")
	if w.st.Watch != nil && w.st.WatchTask == "" {
		w.st.WatchTask = w.st.Active.TaskID
	}

	if w.st.Flaps > 0 && !w.st.NoThrottle {
		delay := w.in.Policy.Delay(w.st.Flaps)
		w.event(ctx, StatusThrottled, fmt.Sprintf("Rescheduling flapping task in %s", delay))
		killed, err := w.throttle(ctx, delay)
		if err != nil || killed {
			return err
		}
	}
	w.st.NoThrottle = false

	w.event(ctx, StatusAssigned, "")
	in := activities.StartTaskInput{JobKey: w.in.JobKey, Instance: w.in.Instance, TaskID: w.st.Active.TaskID, Job: w.in.Job}
	var started workflow.Future
	if w.fast {
		lopts := startLocal
		lopts.Summary = fmt.Sprintf("start task %s, instance %d", in.TaskID, w.in.Instance)
		started = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, lopts), acts.StartTask, in)
	} else {
		started = workflow.ExecuteActivity(w.with(ctx, startActivity, "start task "+in.TaskID), acts.StartTask, in)
	}
	var res activities.StartTaskResult
	err := started.Get(ctx, &res)
	if err != nil {
		// A final error (a missing image, a bad spec): the task fails
		// without a container and the restart rules decide what is next.
		w.event(ctx, StatusFailed, "Failed to start: "+rootCause(err))
		w.ended(ctx, stopNone)
		return nil
	}
	t := w.st.Active
	t.ContainerID, t.Host, t.AssignedPorts, t.Sandbox = res.ContainerID, res.Host, res.Ports, res.Sandbox
	msg := "Container " + shortID(res.ContainerID) + " started"
	if res.Adopted {
		msg = "Container " + shortID(res.ContainerID) + " adopted"
	}
	w.event(ctx, StatusStarting, msg)
	return nil
}

// uniqueTaskIDsVersionID gates task ids that differ between two runs
// started within a minute (workflow versioning: runs from before it name
// their tasks as they did).
const uniqueTaskIDsVersionID = "unique-task-ids"

// runTag is the part of a task id that tells this run from the instance's
// other runs. The run id's first 8 characters were used at first, but run
// ids begin with their time, so an instance killed and added again within
// about a minute (an update filling a hole, a rollback re-adding a removed
// instance) named its first task exactly as the killed one's; the run id's
// last 8 characters are random.
func (w *instance) runTag(ctx workflow.Context) string {
	run := workflow.GetInfo(ctx).WorkflowExecution.RunID
	if len(run) <= 8 {
		return run
	}
	if workflow.GetVersion(ctx, uniqueTaskIDsVersionID, workflow.DefaultVersion, 1) >= 1 {
		return run[len(run)-8:]
	}
	return run[:8]
}

// throttle waits out a flapping delay, acting on requests meanwhile. It
// reports whether the instance was killed.
func (w *instance) throttle(ctx workflow.Context, delay time.Duration) (bool, error) {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timer := workflow.NewTimer(tctx, delay)
	for {
		fired := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(workflow.Future) { fired = true })
		sel.AddReceive(w.requests, func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if fired {
			return false, nil
		}
		for {
			req, ok := w.nextRequest()
			if !ok {
				break
			}
			if req.Kind == RequestKill {
				w.st.Kills = append(w.st.Kills, req)
				w.event(ctx, StatusKilled, "Killed while throttled by request "+req.Key)
				w.ended(ctx, stopKill)
				return true, nil
			}
			w.acceptRestart(ctx, req)
			return false, nil
		}
	}
}

// acceptRestart takes a restart or replace request for the next task.
func (w *instance) acceptRestart(ctx workflow.Context, req InstanceRequest) {
	if w.st.Watch != nil {
		w.reply(ctx, *w.st.Watch, OutcomeFailed, "superseded by "+req.Key)
	}
	if req.Kind == RequestReplace && req.Job != nil {
		w.in.Job = *req.Job
		w.in.ConfigVersion = req.ConfigVersion
		if w.st.Active != nil && !w.st.Active.Status.Terminal() && w.st.Active.ContainerID == "" {
			w.st.Active.ConfigVersion = req.ConfigVersion
		}
	}
	w.st.Watch = &req
	w.st.WatchTask = ""
	if w.st.Active != nil && w.st.Active.ContainerID == "" {
		// The task has not started yet: the watch judges it.
		w.st.WatchTask = w.st.Active.TaskID
	}
	w.st.NoThrottle = true
}

// stopReason is why the workflow is stopping the active task.
type stopReason int

const (
	stopNone stopReason = iota
	stopKill
	stopRestart
	stopUnhealthy
)

// historyFull reports whether this run's history is long enough to go on in
// a new run. Continuing as new costs the server's minimal interval between
// runs of one workflow id (a second on the dev server), so it is done only
// every few hundred events, not after every task.
func (w *instance) historyFull(ctx workflow.Context) bool {
	return historyFullAt(workflow.GetInfo(ctx).GetCurrentHistoryLength())
}

// watchTask follows the active task until it ends or the run's history is
// full while it runs; the caller then goes on with Active still set.
func (w *instance) watchTask(ctx workflow.Context) error {
	t := w.st.Active
	taskCtx, cancelTask := workflow.WithCancel(ctx)
	defer cancelTask()

	// In the fast path a stop that saw the container exit ends the task at
	// once; WaitTask, which will tell the same soon after, is then left to
	// finish by itself rather than cancelled (a cancel costs more history).
	waitParent, cancelWait, keepWait := taskCtx, func() {}, false
	if w.fast {
		waitParent, cancelWait = workflow.WithCancel(ctx)
		defer func() {
			if !keepWait {
				cancelWait()
			}
		}()
	}
	waitCtx := w.with(waitParent, longActivity, "wait for task "+t.TaskID)
	exited := workflow.ExecuteActivity(waitCtx, acts.WaitTask, activities.WaitTaskInput{TaskID: t.TaskID})
	// stopped ends the task when the stop saw it exit.
	stopped := func(exit *activities.WaitTaskResult, stopping stopReason, stopMsg string) bool {
		if exit == nil {
			return false
		}
		keepWait = true
		cancelTask() // the health watch and timers
		w.taskExited(ctx, *exit, stopping, stopMsg)
		return true
	}

	check := activities.HealthCheckFor(w.in.Job, t.Host, t.AssignedPorts, t.Sandbox, w.in.Instance, t.TaskID)
	healthOpts := longActivity
	carry := check.Kind != activities.CheckNone && w.carriesHealth(ctx)
	// A run that continues as new mid-task waits for the cancelled health
	// watch to hand back its count (see carriesHealth).
	healthOpts.WaitForCancellation = carry
	healthCtx, cancelHealth := workflow.WithCancel(w.with(taskCtx, healthOpts, "health checks of task "+t.TaskID))
	defer cancelHealth()
	until := health.StatusRunning
	if t.Status == StatusRunning {
		until = health.StatusFailed
	}
	var healthF workflow.Future
	startedRunning := false
	if w.fast && check.Kind == activities.CheckNone && until == health.StatusRunning {
		// SPEC §3: no checker, so RUNNING as soon as it has started.
		progress := activities.HealthProgress{}
		progress.Counter.Status = health.StatusRunning
		t.Health = &progress
		w.st.RunningSinceMs = w.now(ctx)
		w.event(ctx, StatusRunning, "")
		startedRunning = true
		w.removeEnded(ctx)
	} else if until == health.StatusRunning || !w.idleWatch(ctx, check) {
		healthF = workflow.ExecuteActivity(healthCtx, acts.WatchHealth, activities.WatchHealthInput{
			TaskID: t.TaskID, Check: check, Until: until, Resume: t.Health,
		})
	}

	var deadline workflow.Future
	if w.st.Watch != nil && w.st.WatchTask == t.TaskID && w.st.Watch.HealthyDeadlineSecs > 0 && t.Status != StatusRunning {
		left := time.Duration(w.st.Watch.HealthyDeadlineSecs)*time.Second - time.Duration(w.now(ctx)-startedAt(t))*time.Millisecond
		deadline = workflow.NewTimer(taskCtx, max(left, 0))
	}
	var watchTimer workflow.Future
	armWatch := func() {
		if w.st.Watch == nil || w.st.WatchTask != t.TaskID || t.Status != StatusRunning || watchTimer != nil {
			return
		}
		left := time.Duration(w.st.Watch.WatchSecs)*time.Second - time.Duration(w.now(ctx)-w.st.RunningSinceMs)*time.Millisecond
		watchTimer = workflow.NewTimer(taskCtx, max(left, 0))
	}
	armWatch()
	if startedRunning {
		w.retireOld(ctx, "Replaced by "+t.TaskID)
	}
	oldExited := w.watchOld(taskCtx)

	stopping := stopNone
	stopMsg := ""
	for {
		var exit *activities.WaitTaskResult
		var exitErr error
		var healthRes *activities.WatchHealthResult
		var healthErr error
		gotRequest, watchDone, deadlinePassed := false, false, false

		sel := workflow.NewSelector(ctx)
		sel.AddFuture(exited, func(f workflow.Future) {
			var r activities.WaitTaskResult
			exitErr = f.Get(ctx, &r)
			exit = &r
		})
		if healthF != nil {
			sel.AddFuture(healthF, func(f workflow.Future) {
				var r activities.WatchHealthResult
				healthErr = f.Get(ctx, &r)
				healthRes = &r
			})
		}
		if watchTimer != nil {
			sel.AddFuture(watchTimer, func(workflow.Future) { watchDone = true })
		}
		if deadline != nil {
			sel.AddFuture(deadline, func(workflow.Future) { deadlinePassed = true })
		}
		var oldExit *activities.WaitTaskResult
		var oldExitErr error
		if oldExited != nil {
			sel.AddFuture(oldExited, func(f workflow.Future) {
				var r activities.WaitTaskResult
				oldExitErr = f.Get(ctx, &r)
				oldExit = &r
			})
		}
		sel.AddReceive(w.requests, func(workflow.ReceiveChannel, bool) { gotRequest = true })
		sel.Select(ctx)

		switch {
		case oldExit != nil:
			oldExited = nil
			if oldExitErr == nil && w.st.Old != nil {
				w.oldEnded(ctx, *oldExit)
			}
			// Otherwise the kept task was retired meanwhile, or the wait
			// was cancelled: nothing to record.
			continue

		case exit != nil:
			if exitErr != nil {
				return fmt.Errorf("wait for task %s: %w", t.TaskID, exitErr)
			}
			cancelHealth()
			w.taskExited(ctx, *exit, stopping, stopMsg)
			return nil

		case healthRes != nil || healthErr != nil:
			healthF = nil
			if healthErr != nil {
				// Only cancellation ends the watch with an error; the task's
				// exit decides what happens next.
				w.logger.Warn("health watch ended", "task", t.TaskID, "error", healthErr)
				continue
			}
			progress := healthRes.Progress
			t.Health = &progress
			switch healthRes.Status {
			case health.StatusRunning:
				w.st.RunningSinceMs = w.now(ctx)
				w.event(ctx, StatusRunning, healthRes.Reason)
				if w.fast {
					w.removeEnded(ctx)
				}
				if !w.idleWatch(ctx, check) {
					healthF = workflow.ExecuteActivity(healthCtx, acts.WatchHealth, activities.WatchHealthInput{
						TaskID: t.TaskID, Check: check, Until: health.StatusFailed, Resume: &progress,
					})
				}
				armWatch()
				w.retireOld(ctx, "Replaced by "+t.TaskID)
			case health.StatusFailed:
				if stopping == stopNone {
					stopping, stopMsg = stopUnhealthy, "Failed health check: "+healthRes.Reason
					w.event(ctx, StatusKilling, stopMsg)
					if stopped(w.stopTask(ctx), stopping, stopMsg) {
						return nil
					}
				}
			}

		case deadlinePassed:
			deadline = nil
			if w.st.Watch != nil && w.st.WatchTask == t.TaskID && t.Status != StatusRunning {
				req := *w.st.Watch
				w.st.Watch, w.st.WatchTask = nil, ""
				w.reply(ctx, req, OutcomeFailed, fmt.Sprintf("task %s not RUNNING within healthy_deadline_secs %d", t.TaskID, req.HealthyDeadlineSecs))
			}

		case watchDone:
			watchTimer = nil
			if w.st.Watch != nil {
				req := *w.st.Watch
				w.st.Watch, w.st.WatchTask = nil, ""
				w.reply(ctx, req, OutcomeRunning, "")
			}

		case gotRequest:
			for {
				req, ok := w.nextRequest()
				if !ok {
					break
				}
				if req.Kind == RequestKill {
					w.st.Kills = append(w.st.Kills, req)
					if stopping != stopKill {
						stopping, stopMsg = stopKill, "Killed by request "+req.Key
					}
				} else if stopping == stopNone && w.startsFirst(req) && t.ContainerID != "" && w.st.Old == nil {
					// start_first: the task runs on until its successor is RUNNING.
					old := w.stopInput(t)
					w.acceptRestart(ctx, req)
					w.st.Old, w.st.OldStop = t, &old
					t.TaskEvents = append(t.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: t.Status,
						Message: "Kept running until its successor is RUNNING (update_order start_first), request " + req.Key})
					w.st.Active, w.st.RunningSinceMs = nil, 0
					cancelTask()
					return nil
				} else if stopping != stopKill {
					w.acceptRestart(ctx, req)
					if stopping == stopNone {
						stopping, stopMsg = stopRestart, "Restarting by request "+req.Key
					}
				} else {
					w.reply(ctx, req, OutcomeFailed, "instance is being killed")
				}
			}
			if stopping != stopNone && t.Status != StatusKilling && t.Status != StatusRestarting {
				// A restart or replace shows as RESTARTING, a kill as KILLING.
				status := StatusKilling
				if stopping == stopRestart {
					status = StatusRestarting
				}
				w.event(ctx, status, stopMsg)
				if stopped(w.stopTask(ctx), stopping, stopMsg) {
					return nil
				}
			}
		}

		if stopping == stopNone && w.historyFull(ctx) {
			if carry && healthF != nil {
				cancelHealth()
				w.keepHealth(ctx, t, healthF)
			}
			cancelTask()
			return nil
		}
	}
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
	var r activities.WatchHealthResult
	err := f.Get(ctx, &r)
	var canceled *temporal.CanceledError
	switch {
	case err == nil:
		// It reached RUNNING or FAILED just now: the next run's watch
		// starts from that verdict and reports it at once.
		t.Health = &r.Progress
	case errors.As(err, &canceled) && canceled.HasDetails():
		var p activities.HealthProgress
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
func (w *instance) idleWatch(ctx workflow.Context, check activities.HealthCheckSpec) bool {
	return check.Kind == activities.CheckNone &&
		workflow.GetVersion(ctx, skipIdleWatchVersion, workflow.DefaultVersion, 1) >= 1
}

// stopTask stops the active task the SPEC §4 way. It returns the task's
// exit when the fast path saw it; otherwise the exit arrives through WaitTask.
func (w *instance) stopTask(ctx workflow.Context) *activities.WaitTaskResult {
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
func (w *instance) stopInput(t *TaskInfo) activities.StopTaskInput {
	in := activities.StopTaskInput{
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
func (w *instance) stop(ctx workflow.Context, t *TaskInfo, in activities.StopTaskInput) *activities.WaitTaskResult {
	exit, _ := w.stopOK(ctx, t, in)
	return exit
}

// stopOK is stop, also reporting whether the activity succeeded.
func (w *instance) stopOK(ctx workflow.Context, t *TaskInfo, in activities.StopTaskInput) (*activities.WaitTaskResult, bool) {
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
		stopped = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, lopts), acts.StopTask, in)
	} else {
		stopped = workflow.ExecuteActivity(w.with(ctx, opts, "stop task "+t.TaskID), acts.StopTask, in)
	}
	var res activities.StopTaskResult
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

// startsFirst reports whether a request replaces the task start_first.
func (w *instance) startsFirst(req InstanceRequest) bool {
	return req.Kind == RequestReplace && req.Job != nil && req.Job.UpdateConfig.UpdateOrder == config.UpdateOrderStartFirst
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
	return workflow.ExecuteActivity(w.with(ctx, longActivity, "wait for kept task "+old.TaskID), acts.WaitTask,
		activities.WaitTaskInput{TaskID: old.TaskID})
}

// oldEnded records the end of the task a start_first replace kept running,
// which exited by itself before its successor was RUNNING: it ended as any
// task does (a failure counts toward the instance's failures), and its
// successor, already under way, is not disturbed.
func (w *instance) oldEnded(ctx workflow.Context, r activities.WaitTaskResult) {
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
			w.awaitRemoval(ctx, removal{task: prev, done: workflow.ExecuteActivity(w.with(ctx, shortActivity, "remove container of task "+prev), acts.RemoveTask, prev)})
		}
	}
	w.st.Inactive = append(w.st.Inactive, t)
	if len(w.st.Inactive) > keepInactive {
		w.st.Inactive = w.st.Inactive[len(w.st.Inactive)-keepInactive:]
	}
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
		done := workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, opts), acts.RemoveTask, task)
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

// taskExited records how the active task ended and decides what is next.
func (w *instance) taskExited(ctx workflow.Context, r activities.WaitTaskResult, stopping stopReason, stopMsg string) {
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
func exitStatus(r activities.WaitTaskResult) (TaskStatus, string) {
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
// SPEC §4; stopped says why the workflow stopped it, if it did.
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
	if !userStopped && ran < w.in.Policy.FlappingThreshold {
		w.st.Flaps++
	} else {
		w.st.Flaps = 0
	}

	if w.st.Watch != nil && w.st.WatchTask == t.TaskID {
		req := *w.st.Watch
		w.st.Watch, w.st.WatchTask = nil, ""
		w.reply(ctx, req, OutcomeFailed, fmt.Sprintf("task %s ended %s", t.TaskID, status))
	}

	w.keepInactive(ctx, *t)
	w.st.Active = nil
	w.st.RunningSinceMs = 0

	switch {
	case stopped == stopKill:
		// A user kill never restarts, and takes a task kept by start_first along.
		w.st.Done = true
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

// reply answers a request by signal to the workflow that asked.
func (w *instance) reply(ctx workflow.Context, req InstanceRequest, outcome, msg string) {
	if req.ReplyTo == "" {
		return
	}
	r := InstanceReply{Key: req.Key, Instance: w.in.Instance, Outcome: outcome, Message: msg}
	if w.st.Active != nil {
		r.TaskID = w.st.Active.TaskID
	} else if n := len(w.st.Inactive); n > 0 {
		r.TaskID = w.st.Inactive[n-1].TaskID
	}
	if w.fast {
		delivered, err := sendMessages(ctx, []Message{{WorkflowID: req.ReplyTo, Reply: &r}})
		if err != nil || !delivered[0] {
			w.logger.Warn("reply to requester: it has ended", "to", req.ReplyTo, "key", req.Key, "error", err)
		}
		return
	}
	err := workflow.SignalExternalWorkflow(ctx, req.ReplyTo, "", SignalInstanceReply, r).Get(ctx, nil)
	if err != nil {
		// The requester is gone; nobody waits for the answer.
		w.logger.Warn("reply to requester", "to", req.ReplyTo, "key", req.Key, "error", err)
	}
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

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// rootCause is the innermost message of an activity error.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
