package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

type jobRestartOptions struct {
	batchSize int
	watchSecs int
}

func newJobRestartCommand(a *app) *cobra.Command {
	var o jobRestartOptions
	cmd := &cobra.Command{
		Use:   "restart KEY[/INSTANCES]",
		Short: "Restart instances of a job batch by batch (a durable rolling restart)",
		Example: `  borealis job restart devcluster/www-data/prod/hello
  borealis job restart devcluster/www-data/prod/hello/0-3 --batch-size 2 --watch-secs 10`,
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
	return cmd
}

func runJobRestart(ctx context.Context, a *app, o jobRestartOptions, spec string) error {
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Before: func(jobkey.Key, []int) error {
		if o.batchSize < 1 {
			return errorf(ExitInvalidParameter, "--batch-size %d: want a number > 0", o.batchSize)
		}
		return nil
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	key, ids := job.Key, job.IDs
	if o.watchSecs < 0 {
		if o.watchSecs, err = jobWatchSecs(ctx, tc, key.String(), ids); err != nil {
			return err
		}
	}
	targets := "every instance"
	if ids != nil {
		targets = "instances " + jobkey.FormatInstances(ids)
	}
	fmt.Fprintf(a.out, "Restarting %s of %s (batch size %d, watch %d s)\n", targets, key, o.batchSize, o.watchSecs)
	a.printWebUI(tc.st, workflows.JobWorkflowID(key.String()), false)
	var res workflows.OpResult
	req := workflows.RestartRequest{Instances: ids, BatchSize: o.batchSize, WatchSecs: o.watchSecs}
	restart := func() error { return tc.updateJob(ctx, key.String(), workflows.UpdateRestart, &res, req) }
	// The restart's progress is read from its instances while the workflow
	// works; without a first look at them it runs unwatched (and fails with
	// the reason the look failed for, if it still holds).
	snap, err := tc.snapshot(ctx, key.String(), snapshotOptions{only: ids})
	if err != nil {
		err = restart()
	} else {
		targets := ids
		if targets == nil {
			for _, s := range snap.instances {
				targets = append(targets, s.InstanceID)
			}
		}
		before := map[int]string{}
		for _, s := range snap.instances {
			if s.Active != nil {
				before[s.InstanceID] = s.Active.TaskID
			}
		}
		watch := time.Duration(o.watchSecs) * time.Second
		rep := a.newReporter()
		poll := func(ctx context.Context) (progress.Progress, bool) {
			statuses, err := tc.queryInstances(ctx, key.String(), targets, true)
			if err != nil {
				return progress.Progress{}, false
			}
			return restartProgress(targets, o.batchSize, watch, before, statuses, time.Now()), true
		}
		err = watchWhile(ctx, rep, poll, restart)
		if err == nil {
			rep.Update(opProgress("RESTARTED", res, (len(res.Instances)+o.batchSize-1)/o.batchSize))
		}
		rep.Done()
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
