package cli

import (
	"context"
	"fmt"
	"io"

	"go.temporal.io/sdk/converter"
	"golang.org/x/sync/errgroup"

	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// What `job status` and `job list` read of a job: its workflow's record,
// its instances' statuses and the live health of its running tasks.

// jobParallelism bounds the jobs a pattern's `job status`, or `job list`,
// reads at once (each reads its instances queryParallelism at a time).
const jobParallelism = 4

// jobStatus is what `job status` shows of one job.
type jobStatus struct {
	snap *jobSnapshot
	// live is the live health of its running tasks, by instance (nil when
	// not read).
	live map[int]*taskapi.HealthProgress
}

// jobStatuses reads the jobs of keys, killed instances included,
// jobParallelism at a time, in the order of keys; with live, the live
// health of their running tasks too. The first failure fails them all.
func (tc *temporalConn) jobStatuses(ctx context.Context, keys []string, live bool) ([]jobStatus, error) {
	out := make([]jobStatus, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobParallelism)
	for i, k := range keys {
		g.Go(func() error {
			snap, err := tc.snapshot(gctx, k, snapshotOptions{ended: true})
			if err != nil {
				return err
			}
			out[i].snap = snap
			if live {
				out[i].live = tc.liveHealth(gctx, snap)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// matchingJobKeys lists the running jobs that match, in key order.
func (tc *temporalConn) matchingJobKeys(ctx context.Context, match keyPattern) ([]string, error) {
	keys, err := tc.runningJobKeys(ctx)
	if err != nil {
		return nil, err
	}
	return match.filter(keys), nil
}

// printStatuses prints the jobs' tables one after another, a blank line
// between two.
func printStatuses(w io.Writer, statuses []jobStatus, look statusLook) error {
	for i, s := range statuses {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := writeStatus(w, s.snap, s.live, look); err != nil {
			return err
		}
	}
	return nil
}

// liveHealth reads the health progress of each running task from its
// WatchHealth activity's last heartbeat, which is fresher than what the
// workflow recorded and adds nothing to any history. Failures are ignored:
// the workflow's record is the fallback.
func (tc *temporalConn) liveHealth(ctx context.Context, snap *jobSnapshot) map[int]*taskapi.HealthProgress {
	out := make([]*taskapi.HealthProgress, len(snap.instances))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(queryParallelism)
	dc := converter.GetDefaultDataConverter()
	for i, s := range snap.instances {
		if s.Active == nil {
			continue
		}
		g.Go(func() error {
			desc, err := tc.DescribeWorkflow(gctx, workflows.InstanceWorkflowID(snap.key, s.InstanceID), "")
			if err != nil {
				return nil
			}
			for _, pa := range desc.RawResponse.GetPendingActivities() {
				if pa.GetActivityType().GetName() != taskapi.WatchHealth || pa.GetHeartbeatDetails() == nil {
					continue
				}
				var p taskapi.HealthProgress
				if dc.FromPayloads(pa.GetHeartbeatDetails(), &p) == nil {
					out[i] = &p
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	m := map[int]*taskapi.HealthProgress{}
	for i, p := range out {
		if p != nil {
			m[snap.instances[i].InstanceID] = p
		}
	}
	return m
}
