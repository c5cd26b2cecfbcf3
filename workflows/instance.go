package workflows

import (
	"fmt"
	"sort"
	"strings"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/taskapi"
)

// InstanceInput starts (or continues) the workflow of one instance.
type InstanceInput struct {
	JobKey   string     `json:"job_key"`
	Instance int        `json:"instance"`
	Job      config.Job `json:"job"`
	// ConfigVersion names Job: "" for the job's first config, else the update that set it.
	ConfigVersion string `json:"config_version,omitempty"`
	// Policy is the flapping back-off the job was created with, which
	// applies only until a worker reports the cluster's with a task's end
	// (jobs created before workers held it carry one; zero: the default).
	Policy taskapi.RestartPolicy `json:"policy"`
	// State is carried across continue-as-new; nil on the first run.
	State *InstanceState `json:"state,omitempty"`
	// CronRun names the cron run the instance belongs to, and NotifyEnded
	// the workflow (its job's) told when the instance ends ("": none, not
	// a cron run).
	CronRun     string `json:"cron_run,omitempty"`
	NotifyEnded string `json:"notify_ended,omitempty"`
}

// InstanceState is what an instance workflow remembers across runs.
type InstanceState struct {
	// Seq counts the tasks this instance has started; it makes task ids unique.
	Seq          int `json:"seq"`
	FailureCount int `json:"failure_count"`
	Restarts     int `json:"restarts"`
	// Flaps counts consecutive flapping tasks (docs/semantics.md §4).
	Flaps int `json:"flaps"`
	// Restart is the cluster's flapping back-off as the worker reported it
	// with the last task's end (nil: none reported yet).
	Restart *taskapi.RestartPolicy `json:"restart_policy,omitempty"`
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
	Old     *TaskInfo              `json:"old,omitempty"`
	OldStop *taskapi.StopTaskInput `json:"old_stop,omitempty"`
	// Done is set when the instance will run no more tasks.
	Done bool `json:"done,omitempty"`
}

// keepInactive is how many ended tasks an instance workflow remembers.
const keepInactive = 10

// InstanceWorkflow runs one instance of a job: one task (container) at a
// time through Aurora's task states, restarting per docs/semantics.md §4, until killed
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
	// killed is set when a kill ended the instance: the run removes the
	// container it would otherwise keep for `task logs` (removeKept).
	killed bool
}

// fastPathVersionID gates the fast path of instance workflows (workflow
// versioning: runs that started before it replay as they ran).
const fastPathVersionID = "local-task-ops"

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
	if w.killed && w.removesKept(ctx) {
		// The kill is answered once no container of the instance is left.
		w.awaitRemovals(ctx, false)
	}
	w.answerLeftovers(ctx)
	w.awaitRemovals(ctx, false)
	w.notifyEnded(ctx)
	return w.status(), nil
}

// notifyEnded tells the job of a cron run that the instance has ended, and
// how its last task ended (only instances of a cron run, so it adds
// nothing to the history of any other).
func (w *instance) notifyEnded(ctx workflow.Context) {
	if w.in.NotifyEnded == "" {
		return
	}
	e := CronInstanceEnded{RunID: w.in.CronRun, Instance: w.in.Instance, Status: StatusLost}
	if n := len(w.st.Inactive); n > 0 {
		e.Status = w.st.Inactive[n-1].Status
	}
	if delivered, err := send(ctx, viaActivity, Message{WorkflowID: w.in.NotifyEnded, CronEnded: &e}); err != nil || !delivered[0] {
		w.logger.Warn("tell the cron job the instance ended: it has ended", "to", w.in.NotifyEnded, "error", err)
	}
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

// historyFull reports whether this run's history is long enough to go on in
// a new run. Continuing as new costs the server's minimal interval between
// runs of one workflow id (a second on the dev server), so it is done only
// every few hundred events, not after every task.
func (w *instance) historyFull(ctx workflow.Context) bool {
	return historyFullAt(workflow.GetInfo(ctx).GetCurrentHistoryLength())
}

func (w *instance) now(ctx workflow.Context) int64 { return workflow.Now(ctx).UnixMilli() }

// event records a state change of the active task, and counts it in
// metrics.TaskTransitions (the SDK's handler skips replays).
func (w *instance) event(ctx workflow.Context, status TaskStatus, msg string) {
	t := w.st.Active
	t.Status = status
	t.TaskEvents = append(t.TaskEvents, TaskEvent{Timestamp: w.now(ctx), Status: status, Message: msg})
	w.countTransition(ctx, status)
	w.timeReplacement(ctx, status)
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
	var res taskapi.ReconcileResult
	err := workflow.ExecuteActivity(ctx, taskapi.Reconcile, taskapi.ReconcileInput{
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
