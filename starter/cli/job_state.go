package cli

import (
	"context"
	"slices"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/workflows"
)

// jobSnapshot is a job's record and the status of the instances asked for.
type jobSnapshot struct {
	key       string
	view      workflows.JobView
	instances []workflows.InstanceStatus // in id order
}

// snapshotOptions says which instances a snapshot covers.
type snapshotOptions struct {
	// only limits the snapshot to these instances of the job (nil: all);
	// one the job does not have exits 6.
	only []int
	// ended adds instances that were killed (found through visibility).
	ended bool
}

// snapshot reads the job's record, then the status of its instances.
func (tc *temporalConn) snapshot(ctx context.Context, key string, o snapshotOptions) (*jobSnapshot, error) {
	view, err := tc.queryJob(ctx, key)
	if err != nil {
		return nil, err
	}
	if view.Refused != "" {
		// A refused job never had an instance; instance workflows of an
		// earlier job of the same key are not its.
		if o.only != nil {
			return nil, errorf(ExitInvalidParameter, "job %s has no instance %s (the worker refused it)", key, jobkey.FormatInstances(o.only))
		}
		return &jobSnapshot{key: key, view: view}, nil
	}
	ids := view.InstanceIDs()
	if view.Cron != nil {
		// A cron job's instances are those of its active or latest run.
		ids = cronInstanceIDs(view.Cron)
		o.ended = false
	}
	if o.only != nil {
		var missing []int
		for _, id := range o.only {
			if !slices.Contains(ids, id) {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return nil, errorf(ExitInvalidParameter, "job %s has no instance %s", key, jobkey.FormatInstances(missing))
		}
		ids = o.only
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	statuses, err := tc.queryInstances(ctx, key, ids, false)
	if err != nil {
		return nil, err
	}
	if o.ended {
		// Killed instances are no longer in the job's record; visibility
		// still knows their workflows, which may be gone by now.
		more, err := tc.instanceIDsEver(ctx, key)
		if err != nil {
			return nil, err
		}
		more = slices.DeleteFunc(more, func(id int) bool { return slices.Contains(ids, id) })
		extra, err := tc.queryInstances(ctx, key, more, true)
		if err != nil {
			return nil, err
		}
		statuses = append(statuses, extra...)
		slices.SortFunc(statuses, func(a, b workflows.InstanceStatus) int { return a.InstanceID - b.InstanceID })
	}
	return &jobSnapshot{key: key, view: view, instances: statuses}, nil
}

// latestTask is the instance's active task, else its newest ended one.
func latestTask(s workflows.InstanceStatus) *workflows.TaskInfo {
	if s.Active != nil {
		return s.Active
	}
	if n := len(s.Inactive); n > 0 {
		return &s.Inactive[n-1]
	}
	return nil
}
