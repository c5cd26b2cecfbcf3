package cli

import (
	"context"
	"os"
	"os/signal"
	"strings"

	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

// runJobStatusWatch is `job status --watch`: the status of a job, or of the
// running jobs matching a pattern, shown again every interval until the
// job has ended (a pattern: until none matches any more) or Ctrl-C. Either
// way it exits 0; what fails the first reading fails the command as
// without --watch.
func runJobStatusWatch(ctx context.Context, a *app, o jobStatusOptions, arg string, ja jobArg) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	var (
		tc    *temporalConn
		addr  string
		frame statusFrameFunc
	)
	if ja.pattern == nil {
		c, job, err := a.openJob(ctx, ja.key, openJobOptions{})
		if err != nil {
			return err
		}
		tc, addr, frame = c, webUI(c.st, workflows.JobWorkflowID(job.Key.String())), c.keyFrames(job.Key.String())
	} else {
		c, err := a.dial(ctx)
		if err != nil {
			return err
		}
		tc, addr, frame = c, webUIQuery(c.st, runningJobsQuery()), c.patternFrames(*ja.pattern)
	}
	defer tc.Close()
	w := &statusWatcher{out: a.out, errOut: a.err, interval: o.watchInterval,
		terminal: progress.IsTerminal(a.out) && os.Getenv("TERM") != "dumb"}
	if w.terminal {
		// The first drawing clears the screen: the address goes above
		// every frame.
		a.openWebUI(addr)
		w.header = []string{"Every " + o.watchInterval.String() + ": borealis job status " + escapeText(arg) + " (Ctrl-C to stop)",
			"Web UI: " + addr}
	} else {
		a.printWebUIAddress(addr, false)
	}
	return w.run(ctx, frame)
}

// keyFrames reads one job's status for each frame of a watch; the watch is
// over once the job has ended (every instance killed, or descheduled) or
// was refused.
func (tc *temporalConn) keyFrames(key string) statusFrameFunc {
	return func(ctx context.Context, look statusLook) (string, bool, error) {
		statuses, err := tc.jobStatuses(ctx, []string{key}, true)
		if err != nil {
			return "", false, err
		}
		var b strings.Builder
		if err := printStatuses(&b, statuses, look); err != nil {
			return "", false, err
		}
		view := statuses[0].snap.view
		return b.String(), view.Ended || view.Refused != "", nil
	}
}

// patternFrames reads the status of the running jobs that match for each
// frame of a watch; the watch is over once none does. None at the first
// frame exits 6 as without --watch.
func (tc *temporalConn) patternFrames(match keyPattern) statusFrameFunc {
	first := true
	return func(ctx context.Context, look statusLook) (string, bool, error) {
		keys, err := tc.matchingJobKeys(ctx, match)
		if err != nil {
			return "", false, err
		}
		if len(keys) == 0 {
			if first {
				return "", true, errorf(ExitInvalidParameter, "%s", noJobsMatching(match))
			}
			return noJobsMatching(match) + "\n", true, nil
		}
		first = false
		statuses, err := tc.jobStatuses(ctx, keys, true)
		if err != nil {
			return "", false, err
		}
		var b strings.Builder
		if err := printStatuses(&b, statuses, look); err != nil {
			return "", false, err
		}
		return b.String(), false, nil
	}
}
