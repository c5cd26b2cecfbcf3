package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
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
		u.instanceFailed(ctx, f.step.Instance, forward, r.Message)
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
