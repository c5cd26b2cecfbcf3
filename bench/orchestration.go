package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/worker/registry"
	"github.com/borealis-dev/borealis/workflows"
)

// runLen is one workflow run's history length.
type runLen struct {
	run string
	n   int64
}

// historyLen describes a workflow's run (the latest when run is "").
func (b *bench) historyLen(ctx context.Context, id, run string) (runLen, error) {
	desc, err := b.tc.DescribeWorkflow(ctx, id, run)
	if err != nil {
		return runLen{}, err
	}
	info := desc.RawResponse.GetWorkflowExecutionInfo()
	return runLen{run: info.GetExecution().GetRunId(), n: info.GetHistoryLength()}, nil
}

// instanceHistories returns the latest run and history length of every instance workflow of key.
func (b *bench) instanceHistories(key string, n int) ([]runLen, error) {
	out := make([]runLen, n)
	var mu sync.Mutex
	var firstErr error
	parallel(n, 16, func(i int) {
		r, err := b.historyLen(b.ctx, workflows.InstanceWorkflowID(key, i), "")
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		out[i] = r
	})
	return out, firstErr
}

// historyGrowth is how many events the instance workflows added between
// before and after, across continue-as-new (the old run's end counted).
func (b *bench) historyGrowth(key string, before, after []runLen) (int64, error) {
	var sum int64
	for i := range before {
		if before[i].run == after[i].run {
			sum += after[i].n - before[i].n
			continue
		}
		old, err := b.historyLen(b.ctx, workflows.InstanceWorkflowID(key, i), before[i].run)
		if err != nil {
			return 0, err
		}
		sum += old.n - before[i].n + after[i].n
	}
	return sum, nil
}

// figureOrchestration: the update workflow of 1,000 instances, batch 100,
// with a fake container runtime that succeeds at once, so what is measured
// is Temporal, the workflows and the worker.
func (b *bench) figureOrchestration() error {
	n, batch := b.opt.orchN, b.opt.orchBatch
	fake := dockerrun.NewFake()
	queue := "bench-fake-" + b.session
	w := worker.New(b.tc, queue, workerOptions())
	registry.Register(w, &activities.Activities{Runtime: fake, Logger: quietLogger()}, b.tc)
	if err := w.Start(); err != nil {
		return err
	}
	b.onCleanup("fake worker", func(context.Context) error { w.Stop(); return nil })

	key := b.jobKey("orchestration")
	body := func(v int) string {
		return sleeperBody(n, fmt.Sprintf(" # v%d", v)) + fmt.Sprintf("    update_config: {batch_size: %d, watch_secs: 0}\n", batch)
	}
	j, err := loadJob(key, body(1))
	if err != nil {
		return err
	}
	t0 := time.Now()
	if _, err := b.createJob(queue, j, taskapi.DefaultRestartPolicy()); err != nil {
		return err
	}
	if _, err := b.waitAllRunning(key, n, 15*time.Minute); err != nil {
		return err
	}
	b.logf("orchestration: %d fake instances RUNNING after %s", n, time.Since(t0).Round(time.Millisecond))

	var rates, perUpdate []float64
	var jobPer, updPer []float64
	for r := range b.opt.runs {
		time.Sleep(2 * time.Second)
		before, err := b.instanceHistories(key, n)
		if err != nil {
			return err
		}
		jobBefore, err := b.historyLen(b.ctx, workflows.JobWorkflowID(key), "")
		if err != nil {
			return err
		}
		next, err := loadJob(key, body(r+2))
		if err != nil {
			return err
		}
		var prof *os.File
		if b.opt.profile && r == 0 {
			if prof, err = os.Create(filepath.Join(b.outDir, "orchestration.cpu.pprof")); err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		}
		t0 := time.Now()
		id, err := b.startUpdate(next, newID())
		if err != nil {
			return err
		}
		info, err := b.waitUpdate(id, 30*time.Minute)
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
			b.writeHeapProfile("orchestration.heap.pprof")
		}
		if err != nil {
			return err
		}
		elapsed := endedAt(info).Sub(t0)
		rate := float64(n) / elapsed.Seconds()

		after, err := b.instanceHistories(key, n)
		if err != nil {
			return err
		}
		grown, err := b.historyGrowth(key, before, after)
		if err != nil {
			return err
		}
		upd, err := b.historyLen(b.ctx, id, "")
		if err != nil {
			return err
		}
		jobAfter, err := b.historyLen(b.ctx, workflows.JobWorkflowID(key), "")
		if err != nil {
			return err
		}
		jobGrown := jobAfter.n - jobBefore.n
		if jobAfter.run != jobBefore.run {
			jobGrown = -1 // continued as new: not comparable
		}
		if b.opt.profile && r == 0 {
			mid := n / 2
			b.writeHistory("orchestration.update.history.txt", id, "")
			b.writeHistory(fmt.Sprintf("orchestration.instance%d.history.txt", mid), workflows.InstanceWorkflowID(key, mid), after[mid].run)
			b.writeHistory("orchestration.job.history.txt", workflows.JobWorkflowID(key), jobAfter.run)
		}
		per := float64(grown+upd.n) / float64(n)
		rates, perUpdate = append(rates, rate), append(perUpdate, per)
		jobPer, updPer = append(jobPer, float64(jobGrown)/float64(n)), append(updPer, float64(upd.n)/float64(n))
		b.logf("orchestration run %d: %d instance updates in %s = %.0f/s; history: instances +%d, update workflow %d, job workflow +%d events = %.1f (instances + update) per instance update",
			r+1, n, elapsed.Round(time.Millisecond), rate, grown, upd.n, jobGrown, per)
	}
	rm, em := median(rates), median(perUpdate)
	jobShare := fmt.Sprintf("adds %.1f more per instance", median(jobPer))
	if slices.ContainsFunc(jobPer, func(x float64) bool { return x < 0 }) {
		jobShare = "continued as new during the update, so its share was not counted"
	}
	b.addRow(fmt.Sprintf("Orchestration: update of %d instances, batch %d, fake runtime (instance updates/s)", n, batch), fmt.Sprintf("%.1f", rm), "—", "—", "≥ 200/s", rm >= 200)
	b.addRow("Orchestration: history events per instance update", fmt.Sprintf("%.1f", em), "—", "—", "≤ 15", em <= 15)
	b.note("Orchestration: dockerrun.NewFake() (every container operation succeeds at once), tasks without health checks, watch_secs 0, the in-process worker with bin/borealis-worker's options (worker/registry.WorkerOptions). Rate = instances / (update request → ROLLED_FORWARD). Events = (events the instance workflows' runs added during the update + the update workflow's history) / instances; of that, the update workflow is %.1f per instance; the job workflow (not counted) %s. Runs: %s /s; %s events.",
		median(updPer), jobShare, floats(rates, "%.1f"), floats(perUpdate, "%.1f"))
	return nil
}

func (b *bench) writeHeapProfile(name string) {
	runtime.GC()
	f, err := os.Create(filepath.Join(b.outDir, name))
	if err != nil {
		b.logf("heap profile: %v", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.logf("heap profile: %v", err)
	}
}

// writeHistory writes one line per event of a workflow run (time since its
// first event, type, and the activity, timer or signal it is about) to the
// results directory, for reading where the events and the time go.
func (b *bench) writeHistory(name, id, run string) {
	it := b.tc.GetWorkflowHistory(b.ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var sb strings.Builder
	var first time.Time
	fmt.Fprintf(&sb, "# %s run %s\n", id, run)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			b.logf("history %s: %v", id, err)
			return
		}
		t := ev.GetEventTime().AsTime()
		if first.IsZero() {
			first = t
		}
		what := ""
		switch {
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			what = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
			what = ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()
		case ev.GetSignalExternalWorkflowExecutionInitiatedEventAttributes() != nil:
			a := ev.GetSignalExternalWorkflowExecutionInitiatedEventAttributes()
			what = a.GetSignalName() + " → " + a.GetWorkflowExecution().GetWorkflowId()
		case ev.GetTimerStartedEventAttributes() != nil:
			what = ev.GetTimerStartedEventAttributes().GetStartToFireTimeout().AsDuration().String()
		case ev.GetMarkerRecordedEventAttributes() != nil:
			what = ev.GetMarkerRecordedEventAttributes().GetMarkerName()
		case ev.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil:
			what = ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
		case ev.GetStartChildWorkflowExecutionInitiatedEventAttributes() != nil:
			what = ev.GetStartChildWorkflowExecutionInitiatedEventAttributes().GetWorkflowId()
		}
		fmt.Fprintf(&sb, "%4d %8.3fs %-50s %s\n", ev.GetEventId(), t.Sub(first).Seconds(), ev.GetEventType().String(), what)
	}
	if err := os.WriteFile(filepath.Join(b.outDir, name), []byte(sb.String()), 0o644); err != nil {
		b.logf("history %s: %v", id, err)
	}
}
