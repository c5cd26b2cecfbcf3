package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

type jobRestartOptions struct {
	batchSize int
	watchSecs int
	// maxPerInstanceFailures is how many more times an instance whose new
	// task failed is restarted (Aurora's --max-per-instance-failures).
	maxPerInstanceFailures int
	// maxTotalFailures is how many instances may fail past their retries
	// before the restart stops (Aurora's --max-total-failures).
	maxTotalFailures int
	// restartThreshold is how many seconds a new task has to become
	// RUNNING (Aurora's --restart-threshold; 0: no deadline).
	restartThreshold int
	// timeout bounds the command's wait; the restart goes on without it.
	timeout   time.Duration
	writeJSON bool
}

func newJobRestartCommand(a *app) *cobra.Command {
	var o jobRestartOptions
	cmd := &cobra.Command{
		Use:   "restart KEY[/INSTANCES]",
		Short: "Restart instances of a job batch by batch (a durable rolling restart)",
		Example: `  borealis job restart devcluster/www-data/prod/hello
  borealis job restart devcluster/www-data/prod/hello/0-3 --batch-size 2 --watch-secs 10
  borealis job restart devcluster/www-data/prod/hello --max-per-instance-failures 2 --max-total-failures 1 --timeout 10m
  borealis job restart devcluster/www-data/prod/hello --write-json | jq .failed`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("watch-secs") {
				o.watchSecs = -1
			}
			return runJobRestart(cmd.Context(), a, o, args[0])
		},
	}
	cmd.Flags().IntVar(&o.batchSize, "batch-size", 1, "instances restarted at once")
	cmd.Flags().IntVar(&o.watchSecs, "watch-secs", 0, "seconds a new task must stay RUNNING to count as restarted (default: the job's update_config.watch_secs)")
	cmd.Flags().IntVar(&o.maxPerInstanceFailures, "max-per-instance-failures", 0,
		"restart an instance whose new task failed up to this many more times (after the instances not restarted yet)")
	cmd.Flags().IntVar(&o.maxTotalFailures, "max-total-failures", 0,
		"stop the restart once more instances than this have failed past their retries")
	cmd.Flags().IntVar(&o.restartThreshold, "restart-threshold", 60,
		"seconds a new task has, from its container's start, to become RUNNING before its instance counts as failed (0: no deadline)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up waiting after this long (exit 9; the restart goes on in the job workflow); 0 waits forever")
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print the instances restarted as one JSON object, once the restart ends; the rest goes to stderr")
	return cmd
}

// validate checks the options' numbers (exit 6).
func (o jobRestartOptions) validate() error {
	if o.batchSize < 1 {
		return errorf(ExitInvalidParameter, "--batch-size %d: want a number > 0", o.batchSize)
	}
	for _, f := range []struct {
		name string
		n    int
	}{
		{"max-per-instance-failures", o.maxPerInstanceFailures},
		{"max-total-failures", o.maxTotalFailures},
		{"restart-threshold", o.restartThreshold},
	} {
		if f.n < 0 {
			return errorf(ExitInvalidParameter, "--%s %d: want a number ≥ 0", f.name, f.n)
		}
	}
	return nil
}

func runJobRestart(ctx context.Context, a *app, o jobRestartOptions, spec string) error {
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Check: checkQuery,
		Before: func(jobkey.Key, []int) error { return o.validate() }})
	if err != nil {
		return err
	}
	defer tc.Close()
	key, ids := job.Key, job.IDs
	if job.View.Cron != nil {
		// Said before anything is printed (the job's workflow refuses it too).
		return errorf(ExitCommandFailure, "job %s is a cron job: job restart is not supported for it (cron start runs it now, cron schedule changes it)", key)
	}
	wctx := ctx
	if o.timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	res, err := restartJob(wctx, a, tc, key, ids, o)
	// The server may answer that the deadline passed a moment before wctx
	// says so itself: a timeout with --timeout set is the --timeout.
	if err != nil && (errors.Is(wctx.Err(), context.DeadlineExceeded) || (o.timeout > 0 && exitCode(err) == ExitTimeout)) {
		return restartTimedOut(ctx, tc, key.String(), o.timeout)
	}
	if err != nil {
		return err
	}
	notes := a.notesOut(o.writeJSON)
	if res.Aborted != "" {
		fmt.Fprintf(notes, "Restart stopped: %s (--max-total-failures %d)\n", res.Aborted, o.maxTotalFailures)
		if len(res.Skipped) > 0 {
			fmt.Fprintf(notes, "Not restarted: instances %s of %s\n", jobkey.FormatInstances(res.Skipped), key)
		}
	}
	done := restartedOnly(res)
	done.Skipped, done.Aborted = res.Skipped, res.Aborted
	if err := a.printOp(o.writeJSON, "Restarted", key.String(), done); err != nil {
		return err
	}
	fmt.Fprintf(notes, "Job restart succeeded: %s\n", key)
	return nil
}

// restartJob restarts ids of the job (all when nil) in the job workflow,
// which retries failed instances and keeps the failure budget, and shows
// its progress.
func restartJob(ctx context.Context, a *app, tc *temporalConn, key jobkey.Key, ids []int, o jobRestartOptions) (workflows.OpResult, error) {
	var err error
	if o.watchSecs < 0 {
		if o.watchSecs, err = jobWatchSecs(ctx, tc, key.String(), ids); err != nil {
			return workflows.OpResult{}, err
		}
	}
	targets := "every instance"
	if ids != nil {
		targets = "instances " + jobkey.FormatInstances(ids)
	}
	fmt.Fprintf(a.notesOut(o.writeJSON), "Restarting %s of %s (batch size %d, watch %d s)\n", targets, key, o.batchSize, o.watchSecs)
	a.printWebUI(tc.st, workflows.JobWorkflowID(key.String()), o.writeJSON)
	return restartPass(ctx, a, tc, key, ids, o)
}

// restartedOnly is res without the instances the restart never got to.
func restartedOnly(res workflows.OpResult) workflows.OpResult {
	out := res
	out.Instances = slices.DeleteFunc(slices.Clone(res.Instances), func(id int) bool { return slices.Contains(res.Skipped, id) })
	out.Skipped = nil
	return out
}

// restartPass runs the rolling restart of ids (all when nil) in the job
// workflow and shows its progress, read from its instances while the
// workflow works.
func restartPass(ctx context.Context, a *app, tc *temporalConn, key jobkey.Key, ids []int, o jobRestartOptions) (workflows.OpResult, error) {
	var res workflows.OpResult
	req := workflows.RestartRequest{Instances: ids, BatchSize: o.batchSize, WatchSecs: o.watchSecs,
		MaxPerInstanceFailures: o.maxPerInstanceFailures, MaxTotalFailures: &o.maxTotalFailures,
		RestartThresholdSecs: o.restartThreshold}
	restart := func() error { return tc.updateJob(ctx, key.String(), workflows.UpdateRestart, &res, req) }
	// Without a first look at the instances the restart runs unwatched (and
	// fails with the reason the look failed for, if it still holds).
	snap, err := tc.snapshot(ctx, key.String(), snapshotOptions{only: ids})
	if err != nil {
		err = restart()
		return res, err
	}
	targets := ids
	if targets == nil {
		for _, s := range snap.instances {
			targets = append(targets, s.InstanceID)
		}
	}
	// A THROTTLED task (a flapping instance's) is the one the restart
	// starts at once: it counts as new. Tasks that had ended already are
	// left out.
	before := map[int]string{}
	ended := map[string]bool{}
	for _, s := range snap.instances {
		if s.Active != nil && s.Active.Status != workflows.StatusThrottled {
			before[s.InstanceID] = s.Active.TaskID
		}
		for _, t := range s.Inactive {
			ended[t.TaskID] = true
		}
	}
	watch := time.Duration(o.watchSecs) * time.Second
	rep := a.opReporter(o.writeJSON)
	poll := func(ctx context.Context) (progress.Progress, bool) {
		statuses, err := tc.queryInstances(ctx, key.String(), targets, true)
		if err != nil {
			return progress.Progress{}, false
		}
		for i := range statuses {
			statuses[i].Inactive = slices.DeleteFunc(statuses[i].Inactive, func(t workflows.TaskInfo) bool { return ended[t.TaskID] })
		}
		return restartProgress(targets, o.batchSize, watch, before, statuses, time.Now()), true
	}
	err = watchWhile(ctx, rep, poll, restart)
	if err == nil {
		state, done := "RESTARTED", restartedOnly(res)
		if res.Aborted != "" {
			state = "STOPPED"
		}
		rep.Update(opProgress(state, done, (len(done.Instances)+o.batchSize-1)/o.batchSize))
	}
	rep.Done()
	return res, err
}

// restartTimedOut is the exit-9 error of a --timeout that passed, saying
// whether the restart goes on in the job workflow.
func restartTimedOut(ctx context.Context, tc *temporalConn, key string, timeout time.Duration) error {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queryTimeout)
	defer cancel()
	if view, err := tc.queryJob(qctx, key); err == nil && view.Busy == "restart" {
		return errorf(ExitTimeout, "timed out after %s waiting for the restart of %s; it goes on in the job workflow (borealis job status %s)", timeout, key, key)
	}
	return errorf(ExitTimeout, "timed out after %s waiting for the restart of %s", timeout, key)
}

// jobWatchSecs is the update_config.watch_secs of the config the first of
// ids (or of the job) runs, as Aurora's restart takes it from the job.
func jobWatchSecs(ctx context.Context, tc *temporalConn, key string, ids []int) (int, error) {
	view, err := tc.queryJob(ctx, key)
	if err != nil {
		return 0, err
	}
	all := view.InstanceIDs()
	if len(ids) == 0 {
		ids = all
	}
	if len(ids) > 0 {
		if cfg, ok := view.Config(ids[0]); ok {
			return cfg.UpdateConfig.WatchSecs, nil
		}
	}
	if cfg, ok := view.Configs[""]; ok {
		return cfg.UpdateConfig.WatchSecs, nil
	}
	return 0, errorf(ExitCommandFailure, "job %s has no config to take watch_secs from; pass --watch-secs", key)
}
