package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/workflows"
)

func newJobKillCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kill KEY/INSTANCES",
		Short: "Kill instances of a job; they are not restarted",
		Example: `  borealis job kill devcluster/www-data/prod/hello/1
  borealis job kill devcluster/www-data/prod/hello/0-2,5`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runJobKill(cmd.Context(), a, args[0]) },
	}
	return cmd
}

func runJobKill(ctx context.Context, a *app, spec string) error {
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Before: func(_ jobkey.Key, ids []int) error {
		if ids == nil {
			return errorf(ExitInvalidParameter, "job kill %s: name the instances (KEY/INSTANCES), or use job killall", spec)
		}
		return nil
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	key, ids := job.Key, job.IDs
	var res workflows.OpResult
	if err := tc.updateJob(ctx, key.String(), workflows.UpdateKill, &res, workflows.KillRequest{Instances: ids}); err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.JobWorkflowID(key.String()), false)
	return reportOp(a.out, "Killed", key.String(), res)
}

// reportOp prints what a kill, restart or add did; any failed instance exits 4.
func reportOp(w io.Writer, did, key string, res workflows.OpResult) error {
	var ok, failed []int
	for _, id := range res.Instances {
		if _, bad := res.Failed[id]; bad {
			failed = append(failed, id)
		} else {
			ok = append(ok, id)
		}
	}
	if len(ok) > 0 {
		fmt.Fprintf(w, "%s instances %s of %s\n", did, jobkey.FormatInstances(ok), key)
	}
	if len(failed) == 0 {
		return nil
	}
	slices.Sort(failed)
	for _, id := range failed {
		fmt.Fprintf(w, "Instance %d failed: %s\n", id, res.Failed[id])
	}
	return errorf(ExitCommandFailure, "instances %s of %s failed", jobkey.FormatInstances(failed), key)
}
