package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
)

// SLA-aware updates (docs/concepts.md, "SLA-aware updates"): before an
// update stops an instance's task, it asks whether the job keeps its SLA
// without it; if not, the instance waits, asked again every
// sla.check_interval, while the rest of the update goes on. Checks run one
// at a time, so two instances are never let go on the same count.

// AwaitSLAName is the registered name of the activity that tells whether a
// job keeps its SLA without one of its instances (package sla runs it).
const AwaitSLAName = "AwaitSLA"

// SLAInput asks whether instance Instance of job JobKey may stop now.
type SLAInput struct {
	JobKey   string `json:"job_key"`
	Instance int    `json:"instance"`
	// Policy is the job's sla_policy that applies (docs/concepts.md).
	Policy config.SlaPolicy `json:"policy"`
	// Production is true for a production job (production = True or tier
	// preferred); the count and percentage policies are checked only for
	// those, unless the worker says otherwise.
	Production bool `json:"production"`
	// Going lists the instances the update has already let go and not yet
	// seen back: they are not counted as up, whatever their status says.
	Going []int `json:"going,omitempty"`
	// Wait makes the activity ask again every sla.check_interval until the
	// instance may go; without it, it answers after one check.
	Wait bool `json:"wait,omitempty"`
}

// SLAVerdict is the answer to an SLAInput.
type SLAVerdict struct {
	Allowed bool `json:"allowed"`
	// Reason says why, in words for update info and the Web UI.
	Reason string `json:"reason"`
}

// Activity options of AwaitSLA: one check answers within a minute (a
// coordinator's answer included); a wait heartbeats until it may go.
var (
	slaCheckActivity = activityOptions(time.Minute, 0)
	slaWaitActivity  = activityOptions(10*365*24*time.Hour, 30*time.Second)
)

// slaGate is where an instance of an SLA-aware update stands.
type slaGate int

const (
	// gateNone: nothing to wait for (not SLA-aware, or its request went out).
	gateNone slaGate = iota
	// gateWaiting: waiting for the SLA to let its task stop.
	gateWaiting
	// gateCleared: the SLA lets it go; its request goes out next.
	gateCleared
)

// Aurora's words for the instance events of an SLA-aware stop.
const (
	slaChecking = "Checking SLA before continuing."
	slaPassed   = "SLA check passed, continuing."
	// slaFailedPrefix starts the note of a check that said no, and why.
	slaFailedPrefix = "SLA check failed: "
)

// slaAware reports whether this update waits for the job's SLA.
func (u *update) slaAware() bool { return u.cfg.SlaAware && u.in.Job.SlaPolicy != nil }

// slaPolicy is the policy that applies to stopping f's task, or nil: going
// forward the new config's, rolling back the config the instance ran before
// (Aurora's rule). Starting an added instance stops nothing.
func (u *update) slaPolicy(f *inFlight, forward bool) *config.SlaPolicy {
	add := (forward && f.step.Action == ActionAdd) || (!forward && f.step.Action == ActionRemove)
	if add && f.attempts == 0 {
		return nil
	}
	if forward {
		return u.in.Job.SlaPolicy
	}
	if f.step.Action == ActionAdd {
		return nil // it did not exist before the update
	}
	return u.in.Configs[f.step.From].SlaPolicy
}

// slaRunning is the config f's instance runs while the update considers
// stopping it: its production flag decides whether the SLA applies.
func (u *update) slaRunning(f *inFlight, forward bool) config.Job {
	if forward && f.attempts == 0 {
		return u.in.Configs[f.step.From]
	}
	return u.in.Job
}

// gate holds back the instances of fs whose request would stop a task of
// an SLA-aware update, and returns the others, to send now.
func (u *update) gate(ctx workflow.Context, fs []*inFlight, forward bool) []*inFlight {
	if !u.slaAware() {
		return fs
	}
	var now []*inFlight
	for _, f := range fs {
		if u.slaPolicy(f, forward) == nil {
			now = append(now, f)
			continue
		}
		f.gate = gateWaiting
		u.gated = append(u.gated, f)
		u.instanceNote(ctx, f.step.Instance, pick(forward, InstanceUpdating, InstanceRollingBack), slaChecking)
	}
	return now
}

// sendCleared sends the requests of the instances the SLA let go; while
// the update may not start instances (paused, awaiting a pulse) they wait
// for a new check.
func (u *update) sendCleared(ctx workflow.Context, forward bool) {
	var cleared []*inFlight
	for _, f := range u.flight {
		if f.gate != gateCleared {
			continue
		}
		if !u.canStart() || u.abort {
			f.gate = gateWaiting
			u.gated = append([]*inFlight{f}, u.gated...)
			continue
		}
		f.gate = gateNone
		cleared = append(cleared, f)
	}
	if len(cleared) > 0 {
		u.sendAll(ctx, cleared, forward)
	}
}

// dropGated forgets the instances still waiting for the SLA when the update
// turns back: their tasks were never stopped, so there is nothing to undo.
func (u *update) dropGated(ctx workflow.Context) {
	if len(u.gated) == 0 {
		return
	}
	for _, f := range u.gated {
		f.gate = gateNone
		u.flight = slices.DeleteFunc(u.flight, func(g *inFlight) bool { return g == f })
		u.touched = slices.DeleteFunc(u.touched, func(s Step) bool { return s == f.step })
		u.slaWaitOver(f.step.Instance)
	}
	u.gated = nil
	u.showDetails(ctx)
}

// runSLAGate checks the waiting instances one at a time, for as long as
// the update runs; it is started once, by SLA-aware updates only.
func (u *update) runSLAGate(ctx workflow.Context) {
	for {
		err := workflow.Await(ctx, func() bool { return len(u.gated) > 0 && u.canStart() && !u.abort })
		if err != nil {
			return
		}
		f := u.gated[0]
		allowed := u.askSLA(ctx, f, !u.back)
		if f.gate != gateWaiting {
			// Dropped meanwhile: the update turned back or ended.
			u.gated = slices.DeleteFunc(u.gated, func(g *inFlight) bool { return g == f })
			continue
		}
		if allowed {
			u.gated = u.gated[1:]
			f.gate = gateCleared
			u.wake++
		}
	}
}

// askSLA asks once whether f may go and, when not, waits until it may. It
// reports false when the update stopped going meanwhile (paused, awaiting a
// pulse, aborted, turned back): the instance is asked again later.
func (u *update) askSLA(ctx workflow.Context, f *inFlight, forward bool) bool {
	policy := u.slaPolicy(f, forward)
	if policy == nil {
		return true
	}
	running := u.slaRunning(f, forward)
	in := SLAInput{
		JobKey: u.in.JobKey, Instance: f.step.Instance, Policy: *policy,
		Production: running.Production || running.Tier == "preferred",
	}
	for _, g := range u.flight {
		if g != f && g.gate != gateWaiting {
			in.Going = append(in.Going, g.step.Instance)
		}
	}
	action := pick(forward, InstanceUpdating, InstanceRollingBack)
	v, ok := u.callSLA(ctx, f, in, slaCheckActivity)
	if !ok {
		return false
	}
	if !v.Allowed {
		// The no is kept in the update's events (a coordinator's answer
		// quoted) and shown in its waits until the instance may go.
		u.instanceNote(ctx, f.step.Instance, action, slaFailedPrefix+v.Reason)
		u.slaWaiting(ctx, f.step.Instance, v.Reason)
		in.Wait = true
		if v, ok = u.callSLA(ctx, f, in, slaWaitActivity); !ok {
			return false
		}
	}
	u.slaWaitOver(f.step.Instance)
	u.instanceNote(ctx, f.step.Instance, action, slaPassed)
	u.logger.Info("SLA lets the instance go", "instance", f.step.Instance, "reason", v.Reason)
	return true
}

// callSLA runs the AwaitSLA activity, cancelled as soon as the update stops
// going or f no longer waits; ok is false then.
func (u *update) callSLA(ctx workflow.Context, f *inFlight, in SLAInput, opts workflow.ActivityOptions) (SLAVerdict, bool) {
	actx, cancel := workflow.WithCancel(ctx)
	opts.Summary = fmt.Sprintf("SLA of %s without instance %d", u.in.JobKey, in.Instance)
	fut := workflow.ExecuteActivity(workflow.WithActivityOptions(actx, opts), AwaitSLAName, in)
	done := false
	workflow.Go(ctx, func(ctx workflow.Context) {
		_ = workflow.Await(ctx, func() bool { return done || !u.canStart() || u.abort || f.gate != gateWaiting })
		if !done {
			cancel()
		}
	})
	var v SLAVerdict
	err := fut.Get(ctx, &v)
	done = true
	cancel()
	if err != nil {
		return v, false
	}
	return v, true
}

// slaWaiting shows that an instance waits for the SLA, and why.
func (u *update) slaWaiting(ctx workflow.Context, id int, reason string) {
	for i, w := range u.info.SLAWaits {
		if w.InstanceID == id {
			u.info.SLAWaits[i].Reason = reason
			u.showDetails(ctx)
			return
		}
	}
	u.info.SLAWaits = append(u.info.SLAWaits, SLAWait{InstanceID: id, Since: u.now(ctx), Reason: reason})
	u.info.LastModified = u.now(ctx)
	u.showDetails(ctx)
}

// slaWaitOver removes an instance from the SLA waits.
func (u *update) slaWaitOver(id int) {
	u.info.SLAWaits = slices.DeleteFunc(u.info.SLAWaits, func(w SLAWait) bool { return w.InstanceID == id })
}

// instanceNote records an instance event with a message, once per update.
func (u *update) instanceNote(ctx workflow.Context, id int, action, msg string) {
	k := fmt.Sprint(id, "/", action, "/", msg)
	if u.events[k] {
		return
	}
	u.events[k] = true
	u.info.InstanceEvents = append(u.info.InstanceEvents, InstanceEvent{InstanceID: id, Timestamp: u.now(ctx), Action: action, Message: msg})
	u.info.LastModified = u.now(ctx)
}
