package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
)

// cannotTransition is the error of an operation an update's state does not
// allow, in Aurora's words (its JobUpdateStateMachine). The CLI reports an
// operation on a finished update as "No active update found for this job.".
func cannotTransition(from, to UpdateStatus) error {
	msg := fmt.Sprintf("Cannot transition update from %s to %s", from, to)
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeUpdateNotActive, nil)
}

// UpdateWorkflow rolls one job update forward batch by batch, gated on
// health, and back on failure (SPEC §5). It never touches a container: it
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

type update struct {
	in      UpdateInput
	cfg     config.UpdateConfig
	logger  log.Logger
	info    UpdateInfo
	pace    pace
	replies map[string]InstanceReply

	// status is the state; forward tells the direction work goes in.
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
	u.info.Progress = u.progress()
	done := UpdateDone{UpdateID: u.in.UpdateID, Status: final}
	if err := workflow.SignalExternalWorkflow(ctx, u.in.JobWorkflowID, "", SignalUpdateDone, done).Get(ctx, nil); err != nil {
		u.logger.Error("tell the job the update is done", "error", err)
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

func (u *update) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryUpdateInfo, func() (UpdateInfo, error) {
		info := u.info
		info.Progress = u.progress()
		return info, nil
	}); err != nil {
		return err
	}
	// Each operation follows Aurora's JobUpdateStateMachine: the state it
	// leads to from the current one, or a refusal (docs/concepts.md).
	finished := func(to UpdateStatus) error {
		if u.abort {
			return cannotTransition(UpdateAborted, to)
		}
		if !u.status.Active() {
			return cannotTransition(u.status, to)
		}
		return nil
	}
	ops := []struct {
		name     string
		validate func() error
		apply    func(ctx workflow.Context)
	}{
		{UpdatePause, func() error { return finished(pick(!u.back, UpdateRollForwardPaused, UpdateRollBackPaused)) }, func(ctx workflow.Context) {
			// ROLLING_* and *_AWAITING_PULSE → *_PAUSED; a paused update stays paused.
			if !u.paused {
				u.paused = true
				u.setStatus(ctx, u.activeStatus(), "paused by user")
			}
		}},
		{UpdateResume, func() error { return finished(pick(!u.back, UpdateRollingForward, UpdateRollingBack)) }, func(ctx workflow.Context) {
			// *_PAUSED → ROLLING_*, or *_AWAITING_PULSE when pulses have lapsed;
			// an update that is not paused stays as it is.
			if u.paused {
				u.paused = false
				u.setStatus(ctx, u.activeStatus(), "resumed by user")
			}
		}},
		{UpdateAbort, func() error { return finished(UpdateAborted) }, func(ctx workflow.Context) {
			u.abort = true
		}},
		{UpdateRollback, func() error { return finished(UpdateRollingBack) }, func(ctx workflow.Context) {
			// Any active state → ROLLING_BACK (awaiting a pulse still when
			// pulses have lapsed): a paused update rolls back at once, and a
			// rollback under way goes on, resumed if it was paused.
			switch {
			case !u.back:
				u.back, u.paused = true, false
				u.userRollback = true
				u.setStatus(ctx, u.activeStatus(), "rollback requested by user")
			case u.paused:
				u.paused = false
				u.setStatus(ctx, u.activeStatus(), "rollback resumed by user")
			}
		}},
		{UpdatePulse, func() error { return nil }, func(ctx workflow.Context) {
			if !u.status.Active() || u.cfg.PulseIntervalSecs == nil {
				return
			}
			u.pulses++
			u.pulsed = true
			u.setStatus(ctx, u.activeStatus(), "")
			n := u.pulses
			workflow.Go(ctx, func(ctx workflow.Context) {
				_ = workflow.Sleep(ctx, time.Duration(*u.cfg.PulseIntervalSecs)*time.Second)
				if u.pulses == n && u.status.Active() {
					u.pulsed = false
					u.setStatus(ctx, u.activeStatus(), "pulses lapsed")
					u.wake++
				}
			})
		}},
	}
	for _, op := range ops {
		op := op
		err := workflow.SetUpdateHandlerWithOptions(ctx, op.name,
			func(ctx workflow.Context) (UpdateStatus, error) {
				op.apply(ctx)
				u.wake++
				if u.abort {
					return UpdateAborted, nil
				}
				return u.status, nil
			},
			workflow.UpdateHandlerOptions{Validator: op.validate})
		if err != nil {
			return err
		}
	}
	return nil
}

// canStart tells whether new instances may start now.
func (u *update) canStart() bool {
	s := u.activeStatus()
	return s == UpdateRollingForward || s == UpdateRollingBack
}

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

// drive works through steps in one direction, pacing them; it returns when
// every step is done, or earlier when the update is aborted, fails, or
// (forward only) turns to roll back.
func (u *update) drive(ctx workflow.Context, steps []Step, forward bool) (stop bool, err error) {
	queue := append([]Step(nil), steps...)
	strategy := NewStrategy(u.cfg, forward, len(steps))
	if !forward && strategy.pace.Variable && len(steps) > 0 {
		strategy.legacyBack = workflow.GetVersion(ctx, mirrorGroupsVersionID, workflow.DefaultVersion, 1) == workflow.DefaultVersion
	}
	group, autopausedAt := 0, 0
	for {
		if u.abort {
			return true, nil
		}
		if forward && u.back {
			return true, nil
		}
		if len(queue) == 0 && len(u.flight) == 0 {
			return false, nil
		}
		if u.canStart() && len(queue) > 0 {
			n := strategy.Next(len(queue), len(u.flight))
			if !strategy.Queue() && n > 0 {
				if group > 0 && autopausedAt != group && u.autopauses(ctx, strategy, forward) {
					autopausedAt = group
					u.paused = true
					u.setStatus(ctx, u.activeStatus(), fmt.Sprintf("paused after batch %d", group))
					continue
				}
				group++
				u.info.Progress.Batch = group
			}
			u.startAll(ctx, queue[:n], forward)
			queue = queue[n:]
			u.showDetails(ctx)
		}
		if err := u.await(ctx); err != nil {
			return true, err
		}
		if u.handleReplies(ctx, forward) {
			return true, nil
		}
		u.sendCleared(ctx, forward)
	}
}

// autopauses reports whether the update pauses before its next group:
// with autopause_after_batch, while rolling forward only (Aurora's rule).
func (u *update) autopauses(ctx workflow.Context, s Strategy, forward bool) bool {
	if !s.pace.Autopause {
		return false
	}
	if forward {
		return true
	}
	return workflow.GetVersion(ctx, forwardAutopauseVersionID, workflow.DefaultVersion, 1) == workflow.DefaultVersion
}

// await waits for an answer or an operation. Requests unanswered for
// resendEvery are sent again, to notice instances whose workflow ended.
func (u *update) await(ctx workflow.Context) error {
	wake := u.wake
	woken := func() bool { return u.wake != wake || u.hasReply() }
	if workflow.GetVersion(ctx, resendVersionID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return workflow.Await(ctx, woken)
	}
	if u.batched {
		// One timer serves every wait until it fires (a timer per wait
		// would add an event to the history for every reply).
		if u.resendDue == nil {
			u.resendDue = workflow.NewTimer(ctx, resendEvery)
		}
		if err := workflow.Await(ctx, func() bool { return woken() || u.resendDue.IsReady() }); err != nil {
			return err
		}
		if !u.resendDue.IsReady() {
			return nil
		}
		u.resendDue = nil
	} else {
		ok, err := workflow.AwaitWithTimeout(ctx, resendEvery, woken)
		if err != nil || ok {
			return err
		}
	}
	var unanswered []*inFlight
	for _, f := range u.flight {
		if _, answered := u.replies[f.key]; !answered && f.sent != nil && f.gate == gateNone {
			unanswered = append(unanswered, f)
		}
	}
	if !u.batched {
		for _, f := range unanswered {
			if !signalInstance(ctx, u.in.JobKey, f.step.Instance, *f.sent) {
				u.replies[f.key] = endedReply(*f.sent, f.step.Instance)
			}
		}
		return nil
	}
	return u.deliver(ctx, nil, unanswered)
}

func (u *update) hasReply() bool {
	for _, f := range u.flight {
		if _, ok := u.replies[f.key]; ok {
			return true
		}
	}
	return false
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

// startAll sends instances on their way: in batched runs with one
// SendMessages for all of them, else one after the other.
func (u *update) startAll(ctx workflow.Context, steps []Step, forward bool) {
	if !u.batched {
		for _, s := range steps {
			u.start(ctx, s, forward)
		}
		return
	}
	if len(steps) == 0 {
		return
	}
	fs := make([]*inFlight, len(steps))
	for i, s := range steps {
		fs[i] = u.track(ctx, s, forward)
	}
	u.sendAll(ctx, u.gate(ctx, fs, forward), forward)
}

// start sends one instance on its way.
func (u *update) start(ctx workflow.Context, s Step, forward bool) {
	u.send(ctx, u.track(ctx, s, forward), forward)
}

// track records that an instance is on its way.
func (u *update) track(ctx workflow.Context, s Step, forward bool) *inFlight {
	f := &inFlight{step: s}
	u.flight = append(u.flight, f)
	if forward {
		u.touched = append(u.touched, s)
		u.instanceEvent(ctx, s.Instance, InstanceUpdating)
	} else {
		u.instanceEvent(ctx, s.Instance, InstanceRollingBack)
	}
	return f
}

// send asks the instance (or the job, for an added one) to act.
func (u *update) send(ctx workflow.Context, f *inFlight, forward bool) {
	if u.batched {
		u.sendAll(ctx, []*inFlight{f}, forward)
		return
	}
	rec, req := u.prepare(ctx, f, forward)
	if rec != nil {
		u.record(ctx, *rec)
	}
	if req != nil {
		u.signalInstance(ctx, f, *req)
	}
}

// sendAll asks several instances (and the job, for what it records, with
// recs besides) to act with one SendMessages.
func (u *update) sendAll(ctx workflow.Context, fs []*inFlight, forward bool, recs ...RecordRequest) {
	for _, f := range fs {
		if rec, _ := u.prepare(ctx, f, forward); rec != nil {
			recs = append(recs, *rec)
		}
	}
	var toSend []*inFlight
	for _, f := range fs {
		if f.sent != nil {
			toSend = append(toSend, f)
		}
	}
	if err := u.deliver(ctx, recs, toSend); err != nil {
		u.logger.Error("send requests", "error", err)
	}
}

// deliver records recs in the job (one signal) and sends each instance in
// fs its request; an instance whose workflow has ended is answered for.
func (u *update) deliver(ctx workflow.Context, recs []RecordRequest, fs []*inFlight) error {
	var msgs []Message
	if len(recs) > 0 {
		batch := u.recordKey(ctx, RecordRequest{Op: RecordBatch, Batch: recs})
		msgs = append(msgs, Message{WorkflowID: u.in.JobWorkflowID, Record: &batch})
	}
	first := len(msgs)
	for _, f := range fs {
		msgs = append(msgs, Message{WorkflowID: InstanceWorkflowID(u.in.JobKey, f.step.Instance), Request: f.sent})
	}
	delivered, err := sendMessages(ctx, msgs)
	if err != nil {
		return err
	}
	if first > 0 && !delivered[0] {
		u.logger.Error("record in the job: its workflow has ended", "records", len(recs))
	}
	for i, f := range fs {
		if !delivered[first+i] {
			u.replies[f.key] = endedReply(*f.sent, f.step.Instance)
		}
	}
	return nil
}

// prepare makes the next attempt's request for f: what the job records
// (nil: nothing) and what the instance is asked (also kept in f.sent; nil
// when the job's workflow is asked instead, for an added instance).
func (u *update) prepare(ctx workflow.Context, f *inFlight, forward bool) (*RecordRequest, *InstanceRequest) {
	f.attempts++
	dir := "fwd"
	if !forward {
		dir = "back"
	}
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	f.key = fmt.Sprintf("%s/%s/%d/%d", me, dir, f.step.Instance, f.attempts)
	watch := InstanceRequest{Key: f.key, Kind: RequestReplace, ReplyTo: me, WatchSecs: u.cfg.WatchSecs}
	if u.cfg.HealthyDeadlineSecs != nil {
		watch.HealthyDeadlineSecs = *u.cfg.HealthyDeadlineSecs
	}

	// What the instance runs after this step, by direction and action.
	version, job := u.in.UpdateID, u.in.Job
	if !forward {
		version, job = f.step.From, u.in.Configs[f.step.From]
	}
	add := (forward && f.step.Action == ActionAdd) || (!forward && f.step.Action == ActionRemove)
	remove := (forward && f.step.Action == ActionRemove) || (!forward && f.step.Action == ActionAdd)
	f.sent = nil
	if add && f.attempts > 1 && workflow.GetVersion(ctx, retryAddedVersionID, workflow.DefaultVersion, 1) >= 1 {
		// The job has the instance since the first attempt: its failed
		// task is replaced, as a changed instance's would be.
		add = false
	}
	switch {
	case add:
		return &RecordRequest{Op: RecordAdd, Instance: f.step.Instance, Version: version, Watch: &watch}, nil
	case remove:
		f.sent = &InstanceRequest{Key: f.key, Kind: RequestKill, ReplyTo: me}
		return nil, f.sent
	default:
		watch.Job, watch.ConfigVersion = &job, version
		f.sent = &watch
		return &RecordRequest{Op: RecordSet, Instance: f.step.Instance, Version: version}, f.sent
	}
}

func (u *update) signalInstance(ctx workflow.Context, f *inFlight, req InstanceRequest) {
	f.sent = &req
	if !signalInstance(ctx, u.in.JobKey, f.step.Instance, req) {
		u.replies[f.key] = endedReply(req, f.step.Instance)
	}
}

// recordKey gives r the next record key of this update.
func (u *update) recordKey(ctx workflow.Context, r RecordRequest) RecordRequest {
	u.recSeq++
	r.Key = fmt.Sprintf("%s/record/%d", workflow.GetInfo(ctx).WorkflowExecution.ID, u.recSeq)
	return r
}

// record tells the job's workflow what an instance runs now.
func (u *update) record(ctx workflow.Context, r RecordRequest) {
	r = u.recordKey(ctx, r)
	if err := workflow.SignalExternalWorkflow(ctx, u.in.JobWorkflowID, "", SignalRecord, r).Get(ctx, nil); err != nil {
		u.logger.Error("record in the job", "instance", r.Instance, "error", err)
	}
}

// handleReplies settles the instances that answered. It reports whether
// the update must stop going this way (the failure budget ran out).
func (u *update) handleReplies(ctx workflow.Context, forward bool) bool {
	budgetGone := false
	var still, resend []*inFlight
	var removed []RecordRequest
	for _, f := range u.flight {
		r, ok := u.replies[f.key]
		if !ok {
			still = append(still, f)
			continue
		}
		delete(u.replies, f.key)
		if u.abort {
			continue
		}
		if r.Outcome == OutcomeRunning || r.Outcome == OutcomeKilled {
			u.info.Progress.Done++
			if f.step.Action == ActionRemove && forward || f.step.Action == ActionAdd && !forward {
				rec := RecordRequest{Op: RecordRemove, Instance: f.step.Instance, Version: ""}
				if u.batched {
					removed = append(removed, rec)
				} else {
					u.record(ctx, rec)
				}
			}
			u.instanceEvent(ctx, f.step.Instance, pick(forward, InstanceUpdated, InstanceRolledBack))
			continue
		}
		if f.attempts <= u.cfg.MaxPerShardFailures {
			u.logger.Info("instance failed; trying again", "instance", f.step.Instance, "attempt", f.attempts, "reason", r.Message)
			if u.batched {
				resend = append(resend, f)
			} else {
				u.send(ctx, f, forward)
			}
			still = append(still, f)
			continue
		}
		u.failed++
		u.info.Progress.Done++
		u.instanceEvent(ctx, f.step.Instance, pick(forward, InstanceUpdateFailed, InstanceRollbackFailed))
		if u.failed > u.cfg.MaxTotalFailures {
			budgetGone = true
		}
	}
	u.flight = still
	resend = u.gate(ctx, resend, forward)
	if len(removed) > 0 || len(resend) > 0 {
		u.sendAll(ctx, resend, forward, removed...)
	}
	u.showDetails(ctx)
	if budgetGone && forward {
		u.back = true
	}
	return budgetGone
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

// unchanged is the error for an update that changes nothing.
func unchanged() error {
	return temporal.NewNonRetryableApplicationError("Job is unchanged by proposed update.", ErrTypeUnchanged, nil)
}
