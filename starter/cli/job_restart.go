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
	// timeout bounds the command's wait; the restart goes on without it.
	timeout time.Duration
	// refused is an unsupportedRestartFlags flag given, "" when none.
	refused string
}

// unsupportedRestartFlags are Aurora's `job restart` flags the job workflow
// cannot honour yet (docs/semantics.md §5.5): they are refused, never
// accepted and ignored. Each maps to why.
var unsupportedRestartFlags = map[string]string{
	"max-total-failures": "the restart runs in the job workflow, which restarts every instance and cannot stop " +
		"after N failed ones; without the flag, failed instances are reported and the command exits 4",
	"restart-threshold": "the job workflow has no deadline for a restarted instance to become RUNNING " +
		"(Aurora deprecated the flag too); --timeout bounds the command's wait",
}

func newJobRestartCommand(a *app) *cobra.Command {
	var o jobRestartOptions
	cmd := &cobra.Command{
		Use:   "restart KEY[/INSTANCES]",
		Short: "Restart instances of a job batch by batch (a durable rolling restart)",
		Example: `  borealis job restart devcluster/www-data/prod/hello
  borealis job restart devcluster/www-data/prod/hello/0-3 --batch-size 2 --watch-secs 10
  borealis job restart devcluster/www-data/prod/hello --max-per-instance-failures 2 --timeout 10m`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range []string{"max-total-failures", "restart-threshold"} {
				if cmd.Flags().Changed(name) {
					o.refused = name
				}
			}
			if !cmd.Flags().Changed("watch-secs") {
				o.watchSecs = -1
			}
			return runJobRestart(cmd.Context(), a, o, args[0])
		},
	}
	cmd.Flags().IntVar(&o.batchSize, "batch-size", 1, "instances restarted at once")
	cmd.Flags().IntVar(&o.watchSecs, "watch-secs", 0, "seconds a new task must stay RUNNING to count as restarted (default: the job's update_config.watch_secs)")
	cmd.Flags().IntVar(&o.maxPerInstanceFailures, "max-per-instance-failures", 0,
		"restart an instance whose new task failed up to this many more times (retries run by this command, after the workflow's pass)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up waiting after this long (exit 9; the restart goes on in the job workflow); 0 waits forever")
	cmd.Flags().Int("max-total-failures", 0, "Aurora's: not supported yet, refused (exit 5)")
	cmd.Flags().Int("restart-threshold", 0, "Aurora's: not supported yet, refused (exit 5)")
	return cmd
}

func runJobRestart(ctx context.Context, a *app, o jobRestartOptions, spec string) error {
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Check: checkQuery, Before: func(jobkey.Key, []int) error {
		if o.refused != "" {
			return errorf(ExitInvalidCommand, "--%s is not supported yet: %s", o.refused, unsupportedRestartFlags[o.refused])
		}
		if o.batchSize < 1 {
			return errorf(ExitInvalidParameter, "--batch-size %d: want a number > 0", o.batchSize)
		}
		if o.maxPerInstanceFailures < 0 {
			return errorf(ExitInvalidParameter, "--max-per-instance-failures %d: want a number ≥ 0", o.maxPerInstanceFailures)
		}
		return nil
	}})
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
	res, err := restartWithRetries(wctx, a, tc, key, ids, o)
	if err != nil && errors.Is(wctx.Err(), context.DeadlineExceeded) {
		return restartTimedOut(ctx, tc, key.String(), o.timeout)
	}
	if err != nil {
		return err
	}
	if err := reportOp(a.out, "Restarted", key.String(), res); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "Job restart succeeded: %s\n", key)
	return nil
}

// restartWithRetries restarts ids of the job (all when nil) in the job
// workflow, then, while instances failed and have retries left
// (--max-per-instance-failures), restarts those again. The result lists
// every instance restarted, and those whose last restart failed.
func restartWithRetries(ctx context.Context, a *app, tc *temporalConn, key jobkey.Key, ids []int, o jobRestartOptions) (workflows.OpResult, error) {
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
	fmt.Fprintf(a.out, "Restarting %s of %s (batch size %d, watch %d s)\n", targets, key, o.batchSize, o.watchSecs)
	a.printWebUI(tc.st, workflows.JobWorkflowID(key.String()), false)
	var total workflows.OpResult
	failures := map[int]int{}
	for retry := 0; ; retry++ {
		res, err := restartPass(ctx, a, tc, key, ids, o)
		if err != nil {
			return total, err
		}
		if retry == 0 {
			total.Instances = res.Instances
		}
		var again []int
		for _, id := range res.Instances {
			msg, bad := res.Failed[id]
			if !bad {
				delete(total.Failed, id)
				continue
			}
			if total.Failed == nil {
				total.Failed = map[int]string{}
			}
			total.Failed[id] = msg
			failures[id]++
			if failures[id] <= o.maxPerInstanceFailures {
				again = append(again, id)
			}
		}
		if len(again) == 0 {
			return total, nil
		}
		slices.Sort(again)
		fmt.Fprintf(a.out, "Restarting instances %s of %s again (retry %d of at most %d)\n",
			jobkey.FormatInstances(again), key, retry+1, o.maxPerInstanceFailures)
		ids = again
	}
}

// restartPass runs one rolling restart of ids (all when nil) in the job
// workflow and shows its progress, read from its instances while the
// workflow works.
func restartPass(ctx context.Context, a *app, tc *temporalConn, key jobkey.Key, ids []int, o jobRestartOptions) (workflows.OpResult, error) {
	var res workflows.OpResult
	req := workflows.RestartRequest{Instances: ids, BatchSize: o.batchSize, WatchSecs: o.watchSecs}
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
	// A THROTTLED task (a flapping instance's, as a retried one often is)
	// is the one the restart starts at once: it counts as new. Tasks that
	// had ended already (a retried instance's failed one) are left out.
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
	rep := a.newReporter()
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
		rep.Update(opProgress("RESTARTED", res, (len(res.Instances)+o.batchSize-1)/o.batchSize))
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
