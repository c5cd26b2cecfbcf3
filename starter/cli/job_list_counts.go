package cli

import (
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// instanceCounts are a job's numbers as `job list` shows them.
type instanceCounts struct {
	// instances the job has (killed ones are no longer its).
	instances int
	// running: those with a RUNNING task. During a start_first
	// replacement an instance has two tasks; it counts once, running when
	// either is.
	running int
	// healthy: of the running, those whose running task's latest health
	// check passed or was snoozed, or that have no check yet.
	healthy int
	// throttled: those whose next task waits out the flapping back-off.
	throttled int
}

// countInstances counts snap's instances, with live health (by instance)
// in place of what the workflow recorded when there is some.
func countInstances(snap *jobSnapshot, live map[int]*taskapi.HealthProgress) instanceCounts {
	c := instanceCounts{instances: len(snap.view.Instances)}
	for _, s := range snap.instances {
		running, healthy := false, false
		if t := s.Active; t != nil {
			if t.Status == workflows.StatusThrottled {
				c.throttled++
			}
			if t.Status == workflows.StatusRunning {
				progress := t.Health
				if p, ok := live[s.InstanceID]; ok {
					progress = p
				}
				running, healthy = true, passing(progress)
			}
		}
		if t := s.Replacing; t != nil && t.Status == workflows.StatusRunning {
			running, healthy = true, healthy || passing(t.Health)
		}
		if running {
			c.running++
		}
		if healthy {
			c.healthy++
		}
	}
	return c
}

// passing reports whether a RUNNING task's latest health check passed or
// was snoozed (§3.3 counts a snoozed check as a success); a task with no
// check recorded passed the ones that made it RUNNING, or has none.
func passing(p *taskapi.HealthProgress) bool {
	if p == nil {
		return true
	}
	last, ok := p.History.Last()
	return !ok || last.Healthy || last.Snoozed
}
