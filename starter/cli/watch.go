package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

// Live progress of the commands that wait: update start --wait, update
// wait, job create --wait-until, job restart and job killall. Each builds a
// progress.Progress whenever it polls; the Reporter draws a bar on a
// terminal and prints plain lines elsewhere.

// maxDetailInstances bounds the instances whose states a progress line lists.
const maxDetailInstances = progress.MaxListed

// newReporter shows progress on stdout: a bar on a terminal, else lines.
func (a *app) newReporter() progress.Reporter { return progress.New(a.out) }

// updateProgress is an update's progress as the Reporter shows it: the
// counts, the instances in flight, and those that failed with the reason
// their failure event gives.
func updateProgress(info workflows.UpdateInfo) progress.Progress {
	p := info.Progress
	return progress.Progress{State: string(info.Status), Total: p.Total, Done: p.Done,
		InFlight: p.InFlight, Failed: p.Failed, Batch: p.Batch,
		InFlightIDs: p.InFlightIDs, Failures: updateFailures(info.InstanceEvents)}
}

// updateFailures are the instances an update failed to update or to roll
// back, in the order they failed.
func updateFailures(events []workflows.InstanceEvent) []progress.Failure {
	var out []progress.Failure
	for _, e := range events {
		switch e.Action {
		case workflows.InstanceUpdateFailed:
			out = append(out, progress.Failure{Instance: e.InstanceID, Reason: e.Message})
		case workflows.InstanceRollbackFailed:
			out = append(out, progress.Failure{Instance: e.InstanceID, Rollback: true, Reason: e.Message})
		}
	}
	return out
}

// progressLine is an update's state and counts in one line.
func progressLine(info workflows.UpdateInfo) string {
	return progress.Line(updateProgress(info))
}

// progressPrinter feeds an update's progress to a Reporter, plain lines on
// w when it has none.
type progressPrinter struct {
	w io.Writer
	r progress.Reporter
}

func (p *progressPrinter) update(info workflows.UpdateInfo) {
	if p.r == nil {
		p.r = progress.NewLines(p.w)
	}
	p.r.Update(updateProgress(info))
}

func (p *progressPrinter) done() {
	if p.r != nil {
		p.r.Done()
	}
}

// watchWhile runs op, a call that blocks until a job's workflow has done
// something, while a goroutine polls every pollInterval and shows what poll
// reports (ok false: nothing to show this time). It returns op's error once
// the poller has stopped, so the caller can show the final state.
func watchWhile(ctx context.Context, rep progress.Reporter, poll func(context.Context) (progress.Progress, bool), op func() error) error {
	pctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(pollInterval)
		defer ticker.Stop()
		for {
			if p, ok := poll(pctx); ok && pctx.Err() == nil {
				rep.Update(p)
			}
			select {
			case <-pctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	err := op()
	cancel()
	wg.Wait()
	return err
}

// opProgress is the final progress of a kill or restart from its result.
func opProgress(state string, res workflows.OpResult, batches int) progress.Progress {
	failed := 0
	for _, id := range res.Instances {
		if _, bad := res.Failed[id]; bad {
			failed++
		}
	}
	return progress.Progress{State: state, Total: len(res.Instances), Done: len(res.Instances) - failed,
		Failed: failed, Batch: batches}
}

// runningSince is when the task last became RUNNING (zero when it has not).
func runningSince(t *workflows.TaskInfo) time.Time {
	for i := len(t.TaskEvents) - 1; i >= 0; i-- {
		if t.TaskEvents[i].Status == workflows.StatusRunning {
			return time.UnixMilli(t.TaskEvents[i].Timestamp)
		}
	}
	return time.Time{}
}

// restartProgress estimates a rolling restart's progress from its
// instances' status: ids in the order the workflow restarts them,
// batchSize at a time; before holds each instance's active task when the
// restart began. An instance is done once a new task has been RUNNING for
// watch, failed once a new task has ended FAILED or LOST, or the instance
// has ended. The batch is the first one not yet through.
func restartProgress(ids []int, batchSize int, watch time.Duration, before map[int]string, statuses []workflows.InstanceStatus, now time.Time) progress.Progress {
	byID := map[int]workflows.InstanceStatus{}
	for _, s := range statuses {
		byID[s.InstanceID] = s
	}
	done := map[int]bool{}
	failed := map[int]bool{}
	for _, id := range ids {
		s, ok := byID[id]
		if !ok {
			continue
		}
		if t := s.Active; t != nil && t.TaskID != before[id] && t.Status == workflows.StatusRunning {
			if at := runningSince(t); !at.IsZero() && now.Sub(at) >= watch {
				done[id] = true
				continue
			}
		}
		for _, t := range s.Inactive {
			if t.TaskID != before[id] && (t.Status == workflows.StatusFailed || t.Status == workflows.StatusLost) {
				failed[id] = true
			}
		}
		if s.Done && !done[id] {
			failed[id] = true
		}
	}
	p := progress.Progress{State: "RESTARTING", Total: len(ids), Done: len(done), Failed: len(failed)}
	batchSize = max(batchSize, 1)
	for start := 0; start < len(ids); start += batchSize {
		batch := ids[start:min(start+batchSize, len(ids))]
		for _, id := range batch {
			if !done[id] && !failed[id] {
				p.InFlight++
			}
		}
		if p.InFlight > 0 {
			p.Batch = start/batchSize + 1
			break
		}
	}
	return p
}

// killProgress is a killall's progress: an instance is done once it has ended.
func killProgress(ids []int, statuses []workflows.InstanceStatus) progress.Progress {
	p := progress.Progress{State: "KILLING", Total: len(ids)}
	ended := map[int]bool{}
	for _, s := range statuses {
		if s.Done {
			ended[s.InstanceID] = true
		}
	}
	for _, id := range ids {
		if ended[id] {
			p.Done++
		} else {
			p.InFlight++
		}
	}
	return p
}

// waitProgress is job create --wait-until's progress: the instances that
// reached state, those whose latest task failed (they may still get
// there), and each instance's state when there are few.
func waitProgress(snap *jobSnapshot, state workflows.TaskStatus) progress.Progress {
	p := progress.Progress{State: "waiting for " + string(state), Total: len(snap.instances)}
	var detail []string
	for _, s := range snap.instances {
		ok, err := instanceReached(s, state)
		last := latestTask(s)
		switch {
		case ok:
			p.Done++
		case err != nil || (last != nil && (last.Status == workflows.StatusFailed || last.Status == workflows.StatusLost)):
			p.Failed++
		default:
			p.InFlight++
		}
		status := "none"
		if last != nil {
			status = string(last.Status)
		}
		detail = append(detail, fmt.Sprintf("%d=%s", s.InstanceID, status))
	}
	if len(detail) <= maxDetailInstances {
		p.Detail = strings.Join(detail, " ")
	}
	return p
}
