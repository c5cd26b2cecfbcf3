package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
)

// UpdateWorkflow rolls one job update forward batch by batch, gated on
// health, and back on failure (docs/semantics.md §5). It never touches a container: it
// asks instance workflows to replace or kill their task and waits for their
// verdict, and tells the job's workflow what each instance now runs.
func UpdateWorkflow(ctx workflow.Context, in UpdateInput) (UpdateInfo, error) {
	u := &update{in: in, logger: workflow.GetLogger(ctx), cfg: in.Job.UpdateConfig, replies: map[string]InstanceReply{}}
	return u.run(ctx)
}

// inFlight is one instance an update is waiting for.
type inFlight struct {
	step     Step
	key      string
	attempts int
	// sent is the request sent to the instance, to send again when it goes
	// unanswered; nil when the job's workflow was asked (an added instance).
	sent *InstanceRequest
	// gate tells whether the request waits for the job's SLA (SLA-aware updates).
	gate slaGate
}

// update is one run of UpdateWorkflow.
type update struct {
	in      UpdateInput
	cfg     config.UpdateConfig
	logger  log.Logger
	info    UpdateInfo
	pace    pace
	replies map[string]InstanceReply

	// status is the state, which the flags below lead to (activeStatus).
	status UpdateStatus
	paused bool
	pulsed bool // a pulse arrived within the interval
	pulses int
	abort  bool
	back   bool // a rollback was asked for or the failure budget ran out
	// userRollback is true when a user asked for the rollback.
	userRollback bool
	wake         int // bumped by every operation, so the main loop re-checks
	recSeq       int
	touched      []Step // steps started forward, in order
	flight       []*inFlight
	failed       int
	events       map[string]bool // instance/action pairs recorded
	// batched is set in runs at batchRequestsVersion: a batch's requests
	// and records go out together through SendMessages.
	batched bool
	// resendDue fires when unanswered requests are to be sent again.
	resendDue workflow.Future
	// gated are the instances waiting for the SLA to let them go, in turn.
	gated []*inFlight
}

// batchRequestsVersionID gates sending a batch's requests at once (workflow
// versioning: runs that started before it replay as they ran).
const batchRequestsVersionID = "batch-requests"

// Workflow versions of update behaviour that changed (runs that started
// before a change replay as they ran):
const (
	// mirrorGroupsVersionID: a VariableBatch rollback's groups mirror the
	// groups that went forward (before: the sizes again, in forward order).
	mirrorGroupsVersionID = "mirror-rollback-groups"
	// forwardAutopauseVersionID: autopause only while rolling forward
	// (before: a rollback paused after each group too).
	forwardAutopauseVersionID = "autopause-forward-only"
	// retryAddedVersionID: a failed added instance is retried by replacing
	// its task (before: the job was asked to add it again, and the update hung).
	retryAddedVersionID = "retry-added-by-replace"
)

func (u *update) now(ctx workflow.Context) int64 { return workflow.Now(ctx).UnixMilli() }

func (u *update) run(ctx workflow.Context) (UpdateInfo, error) {
	u.pace = paceOf(u.cfg)
	u.events = map[string]bool{}
	u.info = UpdateInfo{UpdateID: u.in.UpdateID, Job: u.in.JobKey, Started: u.now(ctx), Steps: u.in.Steps,
		UpdateEvents: []UpdateEvent{}, InstanceEvents: []InstanceEvent{}}
	u.info.Progress.Total = len(u.in.Steps)
	if err := u.registerHandlers(ctx); err != nil {
		return u.info, err
	}
	u.batched = workflow.GetVersion(ctx, batchRequestsVersionID, workflow.DefaultVersion, 1) >= 1
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalInstanceReply)
		for {
			var r InstanceReply
			ch.Receive(ctx, &r)
			u.replies[r.Key] = r
		}
	})

	if u.slaAware() {
		workflow.Go(ctx, u.runSLAGate)
	}
	u.setStatus(ctx, u.activeStatus(), "")
	final, msg := u.forward(ctx)
	if final == UpdateRollingBack {
		final, msg = u.rollBack(ctx)
	}
	u.setStatus(ctx, final, msg)
	u.timeUpdate(ctx, final)
	u.info.Progress = u.progress()
	done := UpdateDone{UpdateID: u.in.UpdateID, Status: final}
	if delivered, err := send(ctx, deliveryOf(ctx), Message{WorkflowID: u.in.JobWorkflowID, Done: &done}); err != nil || !delivered[0] {
		u.logger.Error("tell the job the update is done: it has ended", "error", err)
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return u.info, err
	}
	return u.info, nil
}

// activeStatus is the state an active update is in given its flags.
func (u *update) activeStatus() UpdateStatus {
	pulse := u.cfg.PulseIntervalSecs != nil && !u.pulsed
	switch {
	case !u.back && u.paused:
		return UpdateRollForwardPaused
	case !u.back && pulse:
		return UpdateRollForwardAwaitingPulse
	case !u.back:
		return UpdateRollingForward
	case u.paused:
		return UpdateRollBackPaused
	case pulse:
		return UpdateRollBackAwaitingPulse
	default:
		return UpdateRollingBack
	}
}

// canStart tells whether new instances may start now.
func (u *update) canStart() bool {
	s := u.activeStatus()
	return s == UpdateRollingForward || s == UpdateRollingBack
}

// setStatus records a state change and shows it in search attributes and the Web UI.
func (u *update) setStatus(ctx workflow.Context, s UpdateStatus, msg string) {
	if s == u.status && msg == "" {
		return
	}
	u.status = s
	u.info.Status = s
	u.info.LastModified = u.now(ctx)
	u.info.UpdateEvents = append(u.info.UpdateEvents, UpdateEvent{Timestamp: u.now(ctx), Status: s, Message: msg})
	if err := workflow.UpsertTypedSearchAttributes(ctx, UpdateStatusAttribute.ValueSet(string(s))); err != nil {
		u.logger.Warn("upsert update status", "error", err)
	}
	u.showDetails(ctx)
}

// showDetails writes the progress the Temporal Web UI shows for this workflow.
func (u *update) showDetails(ctx workflow.Context) {
	p := u.progress()
	details := fmt.Sprintf("**%s** — %d of %d instances done, %d in flight, %d failed", u.status, p.Done, p.Total, p.InFlight, p.Failed)
	if p.Batch > 0 && !u.pace.Queue {
		details += fmt.Sprintf(", batch %d", p.Batch)
	}
	if len(u.flight) > 0 {
		ids := make([]string, len(u.flight))
		for i, f := range u.flight {
			ids[i] = strconv.Itoa(f.step.Instance)
		}
		details += "\n\nin flight: " + strings.Join(ids, ", ")
	}
	for _, w := range u.info.SLAWaits {
		details += fmt.Sprintf("\n\ninstance %d waits for the job's SLA: %s", w.InstanceID, w.Reason)
	}
	workflow.SetCurrentDetails(ctx, details)
}

func (u *update) progress() UpdateProgress {
	p := u.info.Progress
	p.InFlight = len(u.flight)
	p.Failed = u.failed
	return p
}

// instanceEvent records an instance's action once per update.
func (u *update) instanceEvent(ctx workflow.Context, id int, action string) {
	k := fmt.Sprint(id, "/", action)
	if u.events[k] {
		return
	}
	u.events[k] = true
	u.info.InstanceEvents = append(u.info.InstanceEvents, InstanceEvent{InstanceID: id, Timestamp: u.now(ctx), Action: action})
	u.info.LastModified = u.now(ctx)
}

// forward rolls the update forward; it returns the final state, or
// ROLLING_BACK when the update must roll back.
func (u *update) forward(ctx workflow.Context) (UpdateStatus, string) {
	stop, err := u.drive(ctx, u.in.Steps, true)
	switch {
	case err != nil:
		return UpdateError, err.Error()
	case u.abort:
		return UpdateAborted, "aborted by user"
	case u.back:
		u.dropGated(ctx)
		if err := u.settle(ctx, true); err != nil {
			return UpdateError, err.Error()
		}
		if u.abort {
			return UpdateAborted, "aborted by user"
		}
		return UpdateRollingBack, ""
	case stop:
		return UpdateError, "stopped"
	}
	return UpdateRolledForward, ""
}

// settle waits for the instances in flight to finish before turning back.
func (u *update) settle(ctx workflow.Context, forward bool) error {
	for len(u.flight) > 0 && !u.abort {
		if err := u.await(ctx); err != nil {
			return err
		}
		u.handleReplies(ctx, forward)
	}
	return nil
}

// rollBack undoes every step started forward, in exactly the reverse order.
func (u *update) rollBack(ctx workflow.Context) (UpdateStatus, string) {
	if !u.userRollback {
		if !u.cfg.RollbackOnFailure {
			return UpdateFailed, fmt.Sprintf("%s failed and rollback_on_failure is off", instances(u.failed))
		}
		u.setStatus(ctx, u.activeStatus(), fmt.Sprintf("%s failed (max_total_failures %d): rolling back", instances(u.failed), u.cfg.MaxTotalFailures))
	}
	steps := slices.Clone(u.touched)
	slices.Reverse(steps)
	u.failed = 0
	u.info.Progress = UpdateProgress{Total: len(steps)}
	_, err := u.drive(ctx, steps, false)
	switch {
	case err != nil:
		return UpdateError, err.Error()
	case u.abort:
		return UpdateAborted, "aborted by user"
	case u.failed > u.cfg.MaxTotalFailures:
		return UpdateFailed, fmt.Sprintf("%s failed to roll back", instances(u.failed))
	}
	return UpdateRolledBack, ""
}

// instances says "1 instance" or "N instances".
func instances(n int) string {
	if n == 1 {
		return "1 instance"
	}
	return strconv.Itoa(n) + " instances"
}

// pick is a when cond holds, else b.
func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}
