package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/borealis-dev/borealis/internal/version"
)

// The start-up gate of a rolling upgrade (docs/operations.md, "Upgrading
// Borealis while jobs and updates run"). workflow.GetVersion lets a newer
// build replay what an older one recorded, not the other way round: once a
// newer worker has recorded a version marker in a history, an older worker
// that picks up the next workflow task of that workflow ignores the marker
// and takes the old path. So a worker does not poll while a worker with a
// lower workflows number (version.Workflows, read from its Temporal
// identity) polls the same task queue: it waits until they are gone.

const (
	// olderWorkerWindow is how recently a poller must have polled to count
	// as running. Temporal lists a stopped poller for minutes with the time
	// of its last poll, while a live worker polls again at least as often
	// as a long poll times out (the server answers an idle poll after about
	// 60 s, the SDK gives up after 70 s) and at once after each task: an
	// idle worker's last access was at most 59 s old over 150 s of asking
	// the dev server every 2 s. 75 s covers a live idle worker with margin
	// for load and clock skew between this host and Temporal's; it is also
	// how long, at most, a newer worker waits after the last older one
	// stopped.
	olderWorkerWindow = 75 * time.Second
	// olderWorkerRecheck is how often the waiting worker asks again: the
	// handover takes at most this much longer than the window.
	olderWorkerRecheck = 5 * time.Second
)

// queuePoller is one entry of a task queue's pollers.
type queuePoller struct {
	Identity   string
	LastAccess time.Time
}

// olderWorker is a running worker of a build with fewer workflow versions.
type olderWorker struct {
	Identity  string
	Version   string
	Workflows int
}

// olderWorkers is the workers among pollers, deduplicated by identity and
// sorted, whose identity (version.WorkerIdentity) has a workflows number
// lower than self and which polled within window before now. Identities
// that do not parse (other tools, workers built before identities carried
// the version) and workers of the same or a higher number do not count.
func olderWorkers(pollers []queuePoller, now time.Time, self int, window time.Duration) []olderWorker {
	var out []olderWorker
	for _, p := range pollers {
		v, n, ok := version.ParseIdentity(p.Identity)
		if !ok || n >= self || p.LastAccess.IsZero() || now.Sub(p.LastAccess) > window {
			continue
		}
		if slices.ContainsFunc(out, func(o olderWorker) bool { return o.Identity == p.Identity }) {
			continue
		}
		out = append(out, olderWorker{Identity: p.Identity, Version: v, Workflows: n})
	}
	slices.SortFunc(out, func(a, b olderWorker) int { return strings.Compare(a.Identity, b.Identity) })
	return out
}

// taskQueueDescriber is the part of the Temporal client the gate uses.
type taskQueueDescriber interface {
	DescribeTaskQueue(ctx context.Context, queue string, kind enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error)
}

// describeOlderWorkers is olderWorkers for both kinds of pollers of queue
// (workflow and activity), as Temporal lists them now.
func describeOlderWorkers(ctx context.Context, tc taskQueueDescriber, queue string, now time.Time) ([]olderWorker, error) {
	var pollers []queuePoller
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := tc.DescribeTaskQueue(rctx, queue, kind)
		cancel()
		if err != nil {
			return nil, err
		}
		for _, p := range resp.GetPollers() {
			var last time.Time
			if p.GetLastAccessTime() != nil {
				last = p.GetLastAccessTime().AsTime()
			}
			pollers = append(pollers, queuePoller{Identity: p.GetIdentity(), LastAccess: last})
		}
	}
	return olderWorkers(pollers, now, version.Workflows, olderWorkerWindow), nil
}

// waitForOlderWorkers returns true once no older worker polls queue,
// asking every recheck (olderWorkerRecheck), and false if ctx ended first
// (SIGTERM). It logs one line when it starts waiting (again only if the
// older workers change) and one when they are gone. When Temporal cannot
// say who polls, it logs a warning and returns true: the worker starts as
// it did before the gate, and an unreachable Temporal stops it at Start
// (the SDK asks the server for its capabilities) as it always did.
func waitForOlderWorkers(ctx context.Context, tc taskQueueDescriber, queue string, logger *slog.Logger, recheck time.Duration) bool {
	var waited []olderWorker
	for {
		older, err := describeOlderWorkers(ctx, tc, queue, time.Now())
		if ctx.Err() != nil {
			return false
		}
		if err != nil {
			logger.Warn("cannot list the workers polling the task queue; starting without waiting for older builds",
				"task_queue", queue, "error", err)
			return true
		}
		if len(older) == 0 {
			if waited != nil {
				logger.Info("older workers are gone; starting to poll", "task_queue", queue)
			}
			return true
		}
		if !slices.Equal(older, waited) {
			names := make([]string, len(older))
			for i, o := range older {
				names[i] = fmt.Sprintf("%s (workflows %d)", o.Identity, o.Workflows)
			}
			logger.Warn(fmt.Sprintf("waiting for older workers to stop: a build with workflows %d must not poll beside one with fewer; "+
				"this worker starts polling once they are gone (stop them with SIGTERM; Temporal drops a stopped one within %s)",
				version.Workflows, olderWorkerWindow),
				"task_queue", queue, "older", strings.Join(names, ", "))
			waited = older
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(recheck):
		}
	}
}
