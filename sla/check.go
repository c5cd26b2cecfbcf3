// Package sla decides whether a job keeps its SLA without one of its
// instances, as Aurora's SlaManager does (docs/concepts.md, "SLA-aware
// updates"), and runs that decision for workflows as the AwaitSLA activity.
package sla

import (
	"fmt"
	"slices"
	"time"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

// Settings are the worker's SLA settings (sla.* in config/settings).
type Settings struct {
	// CheckInterval is how often a waiting instance is asked about again.
	CheckInterval time.Duration
	// MinInstances: a job with fewer active instances skips the count and
	// percentage checks (Aurora's -min_required_instances_for_sla_check).
	MinInstances int
	// NonProduction checks the SLA of non-production jobs too.
	NonProduction bool
}

// DefaultSettings are Aurora's defaults: every 5 s, 20 instances, production only.
func DefaultSettings() Settings {
	return Settings{CheckInterval: 5 * time.Second, MinInstances: 20}
}

// Instance is what the check knows of one instance of the job.
type Instance struct {
	ID int
	// Active: its task is in an active state (not ended).
	Active bool
	// Running: its task is RUNNING, since RunningSince (the latest RUNNING).
	Running      bool
	RunningSince time.Time
	// Placed: its task has been given a container (not PENDING or THROTTLED).
	Placed bool
}

// Check decides whether instance id may stop now under a count or
// percentage policy p (a coordinator policy is asked over HTTP instead):
//   - a task that has no container yet stops at once: it is not serving;
//   - jobs that are not production (unless s.NonProduction) and jobs with
//     fewer than s.MinInstances active instances are not checked;
//   - otherwise the instances other than id and those in going that have
//     been RUNNING for longer than the policy's duration are counted
//     against the job's active instances; a policy that would let no
//     instance go is eased to let one go.
func Check(p config.SlaPolicy, instances []Instance, id int, going []int, production bool, now time.Time, s Settings) workflows.SLAVerdict {
	if v, done := precheck(instances, id); done {
		return v
	}
	total := 0
	for _, in := range instances {
		if in.Active {
			total++
		}
	}
	switch {
	case !production && !s.NonProduction:
		return allowed("not a production job: no SLA check")
	case total < s.MinInstances:
		return allowed(fmt.Sprintf("%d active instances, fewer than sla.min_instances %d: no SLA check", total, s.MinInstances))
	}
	duration := durationOf(p)
	up := 0
	for _, in := range instances {
		// A RUNNING task without a RUNNING event (zero RunningSince) has
		// not been up for any time, as in Aurora's meetsSLADuration.
		if in.ID == id || slices.Contains(going, in.ID) || !in.Running || in.RunningSince.IsZero() {
			continue
		}
		if now.Sub(in.RunningSince) > duration {
			up++
		}
	}
	switch {
	case p.Count != nil:
		need := p.Count.Count
		if total-need < 1 {
			need = total - 1
		}
		why := fmt.Sprintf("%d of %d active instances RUNNING for over %s without instance %d; count %d needed",
			up, total, duration, id, need)
		return verdict(up >= need, why)
	case p.Percentage != nil:
		need := p.Percentage.Percentage
		if int((1-need/100)*float64(total)) < 1 {
			need = float64(total-1) / float64(total) * 100
		}
		share := float64(up) / float64(total) * 100
		why := fmt.Sprintf("%.4g%% of %d active instances RUNNING for over %s without instance %d; %.4g%% needed",
			share, total, duration, id, need)
		return verdict(share >= need, why)
	}
	return allowed("no count or percentage policy")
}

// precheck settles the cases every policy shares: an instance that is not
// the job's, or whose task has no container, may go at once.
func precheck(instances []Instance, id int) (workflows.SLAVerdict, bool) {
	for _, in := range instances {
		if in.ID != id {
			continue
		}
		if !in.Active || !in.Placed {
			return allowed(fmt.Sprintf("instance %d has no task placed: no SLA check", id)), true
		}
		return workflows.SLAVerdict{}, false
	}
	return allowed(fmt.Sprintf("instance %d is not running: no SLA check", id)), true
}

func durationOf(p config.SlaPolicy) time.Duration {
	switch {
	case p.Count != nil:
		return time.Duration(p.Count.DurationSecs) * time.Second
	case p.Percentage != nil:
		return time.Duration(p.Percentage.DurationSecs) * time.Second
	}
	return 0
}

func allowed(why string) workflows.SLAVerdict {
	return workflows.SLAVerdict{Allowed: true, Reason: why}
}

func verdict(ok bool, why string) workflows.SLAVerdict {
	return workflows.SLAVerdict{Allowed: ok, Reason: why}
}
