package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ErrTypeUpdateNotActive is the error type of an operation on an update
// that has finished (see cannotTransition), so callers can match it without
// parsing messages.
const ErrTypeUpdateNotActive = "UpdateNotActive"

// cannotTransition is the error of an operation an update's state does not
// allow, in Aurora's words (its JobUpdateStateMachine). The CLI reports an
// operation on a finished update as "No active update found for this job.".
func cannotTransition(from, to UpdateStatus) error {
	msg := fmt.Sprintf("Cannot transition update from %s to %s", from, to)
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeUpdateNotActive, nil)
}

// inFlightIDs are the instances in flight, in the order they started (nil
// when there are none).
func (u *update) inFlightIDs() []int {
	var ids []int
	for _, f := range u.flight {
		ids = append(ids, f.step.Instance)
	}
	return ids
}

// updateOp is an operation on an update workflow (a Temporal update without
// arguments): validate refuses it when the update's state does not allow
// it, apply does it.
type updateOp struct {
	name     string
	validate func() error
	apply    func(ctx workflow.Context)
}

// registerHandlers answers the info query and the update's operations.
func (u *update) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryUpdateInfo, func() (UpdateInfo, error) {
		info := u.info
		info.Progress = u.progress()
		info.Progress.InFlightIDs = u.inFlightIDs()
		return info, nil
	}); err != nil {
		return err
	}
	for _, op := range u.operations() {
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

// operations are the update's operations. Each follows Aurora's
// JobUpdateStateMachine: the state it leads to from the current one, or a
// refusal (docs/concepts.md).
func (u *update) operations() []updateOp {
	return []updateOp{
		{UpdatePause, func() error { return u.mayBecome(pick(!u.back, UpdateRollForwardPaused, UpdateRollBackPaused)) }, u.onPause},
		{UpdateResume, func() error { return u.mayBecome(pick(!u.back, UpdateRollingForward, UpdateRollingBack)) }, u.onResume},
		{UpdateAbort, func() error { return u.mayBecome(UpdateAborted) }, func(workflow.Context) { u.abort = true }},
		{UpdateRollback, func() error { return u.mayBecome(UpdateRollingBack) }, u.onRollback},
		{UpdatePulse, func() error { return nil }, u.onPulse},
	}
}

// mayBecome refuses an operation leading to state to when the update has
// finished (or is being aborted).
func (u *update) mayBecome(to UpdateStatus) error {
	if u.abort {
		return cannotTransition(UpdateAborted, to)
	}
	if !u.status.Active() {
		return cannotTransition(u.status, to)
	}
	return nil
}

// onPause: ROLLING_* and *_AWAITING_PULSE → *_PAUSED; a paused update stays paused.
func (u *update) onPause(ctx workflow.Context) {
	if !u.paused {
		u.paused = true
		u.setStatus(ctx, u.activeStatus(), "paused by user")
	}
}

// onResume: *_PAUSED → ROLLING_*, or *_AWAITING_PULSE when pulses have
// lapsed; an update that is not paused stays as it is.
func (u *update) onResume(ctx workflow.Context) {
	if u.paused {
		u.paused = false
		u.setStatus(ctx, u.activeStatus(), "resumed by user")
	}
}

// onRollback: any active state → ROLLING_BACK (awaiting a pulse still when
// pulses have lapsed): a paused update rolls back at once, and a rollback
// under way goes on, resumed if it was paused.
func (u *update) onRollback(ctx workflow.Context) {
	switch {
	case !u.back:
		u.back, u.paused = true, false
		u.userRollback = true
		u.setStatus(ctx, u.activeStatus(), "rollback requested by user")
	case u.paused:
		u.paused = false
		u.setStatus(ctx, u.activeStatus(), "rollback resumed by user")
	}
}

// onPulse keeps an update with pulse_interval_secs going for another
// interval; when no pulse follows within it, the update awaits one.
func (u *update) onPulse(ctx workflow.Context) {
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
}
