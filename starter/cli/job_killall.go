package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

func newJobKillAllCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "killall KEY",
		Short:   "Kill every instance of a job and end the job",
		Example: `  borealis job killall devcluster/www-data/prod/hello`,
		Args:    exactArgs(1),
		RunE:    func(cmd *cobra.Command, args []string) error { return runJobKillAll(cmd.Context(), a, args[0]) },
	}
	return cmd
}

func runJobKillAll(ctx context.Context, a *app, keyArg string) error {
	// Unknown jobs fail here, before a Web UI address is shown for them.
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{Check: checkExists})
	if err != nil {
		return err
	}
	defer tc.Close()
	key := job.Key
	k := key.String()
	a.printWebUI(tc.st, workflows.JobWorkflowID(k), false)
	var res workflows.OpResult
	killAll := func() error { return tc.updateJob(ctx, k, workflows.UpdateKillAll, &res) }
	// The instances to watch are those of the job's record; without it the
	// killall runs unwatched.
	view, err := tc.queryJob(ctx, k)
	if err != nil {
		err = killAll()
	} else {
		ids := view.InstanceIDs()
		rep := a.newReporter()
		poll := func(ctx context.Context) (progress.Progress, bool) {
			statuses, err := tc.queryInstances(ctx, k, ids, true)
			if err != nil {
				return progress.Progress{}, false
			}
			return killProgress(ids, statuses), true
		}
		err = watchWhile(ctx, rep, poll, killAll)
		if err == nil {
			rep.Update(opProgress("KILLED", res, 0))
		}
		rep.Done()
	}
	if err != nil {
		return err
	}
	if err := reportOp(a.out, "Killed", key.String(), res); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "Job killall succeeded: %s\n", key)
	return nil
}
