package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/metrics"
)

// MinCheckInterval bounds how often WatchHealth checks when interval_secs
// is 0 (the config allows it), so that it never spins.
const MinCheckInterval = 100 * time.Millisecond

// WatchHealth checks a task until its health status reaches in.Until
// (RUNNING: return at RUNNING or FAILED; FAILED: return at FAILED), or the
// activity is cancelled (it returns a CanceledError carrying the progress).
//
// The first check runs at once, or an interval after the last one when it
// resumes; then one every interval_secs. The count resumes from the
// activity's heartbeat details when this is a retry, else from in.Resume;
// it is heartbeated after every check. Checks are skipped and count as
// successes while the sandbox holds .healthchecksnooze. With kind "none"
// the task is RUNNING at once; watching it for FAILED blocks, heartbeating,
// until cancelled.
func (a *Activities) WatchHealth(ctx context.Context, in taskapi.WatchHealthInput) (taskapi.WatchHealthResult, error) {
	if in.Until != health.StatusRunning && in.Until != health.StatusFailed {
		return taskapi.WatchHealthResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("watch health of task %s: until is %q, want RUNNING or FAILED", in.TaskID, in.Until),
			taskapi.ErrTypeInvalidHealthCheck, nil)
	}
	var progress taskapi.HealthProgress
	if in.Resume != nil {
		progress = *in.Resume
	}
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var hb taskapi.HealthProgress
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil {
			progress = hb
		} else {
			loggerOf(a).Warn("ignoring unreadable heartbeat details", "task", in.TaskID, "error", err)
		}
	}
	if in.Check.Kind == taskapi.CheckNone {
		return watchNone(ctx, a, in, progress)
	}
	checker, err := checkerFor(a, in)
	if err != nil {
		return taskapi.WatchHealthResult{}, err
	}
	w := &watcher{
		a:        a,
		in:       in,
		checker:  health.WithSnooze(checker, in.Check.Sandbox),
		counter:  health.Restore(in.Check.Params, progress.Counter),
		progress: progress,
		interval: max(time.Duration(in.Check.Params.IntervalSecs*float64(time.Second)), MinCheckInterval),
	}
	return w.run(ctx)
}

// watchNone handles a task without health checks.
func watchNone(ctx context.Context, a *Activities, in taskapi.WatchHealthInput, progress taskapi.HealthProgress) (taskapi.WatchHealthResult, error) {
	progress.Counter.Status = health.StatusRunning
	trackHealth(ctx, a, in.TaskID, health.StatusRunning, nil)
	if in.Until == health.StatusRunning {
		return taskapi.WatchHealthResult{Status: health.StatusRunning, Progress: progress}, nil
	}
	_, err := whileHeartbeating(ctx, a, nil, func(ctx context.Context) (struct{}, error) {
		<-ctx.Done()
		return struct{}{}, ctx.Err()
	})
	return taskapi.WatchHealthResult{}, err
}

// checkerFor builds the HTTP or shell checker of in.Check.
func checkerFor(a *Activities, in taskapi.WatchHealthInput) (health.Checker, error) {
	c := in.Check
	timeout := time.Duration(max(c.TimeoutSecs, 0) * float64(time.Second))
	switch c.Kind {
	case taskapi.CheckHTTP:
		return &health.HTTPChecker{
			Host: c.Host, Port: c.Port, Endpoint: c.Endpoint,
			ExpectedResponse: c.Expected, ExpectedResponseCode: c.ExpectedCode,
			Timeout: timeout, Client: a.HTTPClient,
		}, nil
	case taskapi.CheckShell:
		taskID := in.TaskID
		return &health.ShellChecker{
			Execer: health.ExecFunc(func(ctx context.Context, cmd []string) (int, string, error) {
				return a.Runtime.Exec(ctx, taskID, cmd)
			}),
			Command: config.FillHostname(c.ShellCommand, taskHostName(a)),
			Timeout: timeout,
			// The runner kills the check's whole process group at the
			// timeout, which docker exec cannot.
			Runner: dockerrun.RunnerMountPath,
		}, nil
	}
	return nil, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("watch health of task %s: unknown check kind %q", in.TaskID, c.Kind), taskapi.ErrTypeInvalidHealthCheck, nil)
}

// watcher runs one WatchHealth's checks.
type watcher struct {
	a        *Activities
	in       taskapi.WatchHealthInput
	checker  health.Checker
	counter  *health.Counter
	progress taskapi.HealthProgress
	interval time.Duration
}

// reached reports whether the status ends the watch.
func (w *watcher) reached(s health.Status) bool {
	return s == health.StatusFailed || (w.in.Until == health.StatusRunning && s == health.StatusRunning)
}

func (w *watcher) result() taskapi.WatchHealthResult {
	w.progress.Counter = w.counter.State()
	return taskapi.WatchHealthResult{Status: w.counter.Status(), Reason: w.counter.Reason(), Progress: w.progress}
}

func (w *watcher) run(ctx context.Context) (taskapi.WatchHealthResult, error) {
	trackHealth(ctx, w.a, w.in.TaskID, w.counter.Status(), nil)
	if w.reached(w.counter.Status()) {
		return w.result(), nil
	}
	log := loggerOf(w.a).With("task", w.in.TaskID, "check", w.in.Check.Kind)
	next := time.Now()
	if w.progress.LastCheckMs > 0 {
		next = time.UnixMilli(w.progress.LastCheckMs).Add(w.interval)
	}
	beat := time.NewTicker(heartbeatEvery(ctx, w.a))
	defer beat.Stop()
	for {
		if err := w.sleepUntil(ctx, next, beat.C); err != nil {
			return w.cancelled(err)
		}
		// A slow check (up to timeout_secs, plus the runner's slack for a
		// shell check) must not miss the activity's heartbeat timeout.
		r, _ := whileHeartbeating(ctx, w.a, func() []any { return []any{w.progress} },
			func(ctx context.Context) (health.CheckResult, error) { return health.Measure(ctx, w.checker), nil })
		if ctx.Err() != nil {
			return w.cancelled(ctx.Err()) // an abandoned check is not counted
		}
		w.progress.History.Add(r)
		count(ctx, metrics.HealthChecks, "result", checkResult(r))
		before := w.counter.Status()
		status := w.counter.Record(r.Outcome())
		trackHealth(ctx, w.a, w.in.TaskID, status, &r)
		w.progress.Counter = w.counter.State()
		w.progress.LastCheckMs = r.Time.UnixMilli()
		w.progress.Snoozed = r.Snoozed
		heartbeat(ctx, w.progress)
		if status != before {
			log.Info("health status changed", "status", status, "attempt", w.counter.Attempts(), "reason", w.counter.Reason())
		} else {
			log.Debug("health check", "attempt", w.counter.Attempts(), "healthy", r.Healthy, "snoozed", r.Snoozed, "reason", r.Reason)
		}
		if w.reached(status) {
			return w.result(), nil
		}
		next = r.Time.Add(w.interval)
	}
}

// cancelled ends a cancelled watch: it hands the progress back in the
// cancellation's details, so a workflow that waits for the cancellation
// (to continue as new mid-task) carries the count on.
func (w *watcher) cancelled(err error) (taskapi.WatchHealthResult, error) {
	if errors.Is(err, context.Canceled) {
		return w.result(), temporal.NewCanceledError(w.result().Progress)
	}
	return w.result(), err
}

// checkResult is the result tag of a health check's metric.
func checkResult(r health.CheckResult) string {
	switch {
	case r.Snoozed:
		return "snoozed"
	case r.Healthy:
		return "healthy"
	}
	return "unhealthy"
}

// sleepUntil waits until t, heartbeating the progress on every tick.
func (w *watcher) sleepUntil(ctx context.Context, t time.Time, beat <-chan time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-beat:
			// The snooze shows between checks too (job status reads it here).
			w.progress.Snoozed = w.in.Check.Sandbox != "" && health.Snoozed(w.in.Check.Sandbox)
			heartbeat(ctx, w.progress)
		}
	}
}
