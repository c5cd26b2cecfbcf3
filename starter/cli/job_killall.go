package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/jobkey"
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
	key, err := jobkey.Parse(keyArg)
	if err != nil {
		return withCode(ExitInvalidParameter, err)
	}
	tc, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	var res workflows.OpResult
	if err := tc.updateJob(ctx, key.String(), workflows.UpdateKillAll, &res); err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.JobWorkflowID(key.String()), false)
	if err := reportOp(a.out, "Killed", key.String(), res); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "Job killall succeeded: %s\n", key)
	return nil
}
