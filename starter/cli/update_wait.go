package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

type updateWaitOptions struct {
	timeout time.Duration
}

func newUpdateWaitCommand(a *app) *cobra.Command {
	var o updateWaitOptions
	cmd := &cobra.Command{
		Use:   "wait KEY ID",
		Short: "Follow an update until it ends: exit 0 rolled forward, 4 rolled back, 20 otherwise",
		Example: `  borealis update wait devcluster/www-data/prod/hello 3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c
  borealis update wait devcluster/www-data/prod/hello 3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c --timeout 10m`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdateWait(cmd.Context(), a, o, args[0], args[1])
		},
	}
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up waiting after this long (exit 9); 0 waits forever")
	return cmd
}

func runUpdateWait(ctx context.Context, a *app, o updateWaitOptions, keyArg, id string) error {
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{Check: checkExists})
	if err != nil {
		return err
	}
	defer tc.Close()
	k := job.Key.String()
	// The first read tells an unknown update (exit 6) before anything is printed.
	if _, err := tc.updateInfo(ctx, k, id); err != nil && exitCode(err) == ExitInvalidParameter {
		return err
	}
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), false)
	info, err := followUpdate(ctx, a, tc, k, id, o.timeout)
	if err != nil {
		return err
	}
	return reportEnd(a.out, info, k, id)
}
