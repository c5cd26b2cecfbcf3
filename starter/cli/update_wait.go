package cli

import (
	"context"
	"fmt"
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
		Use:   "wait KEY [ID]",
		Short: "Follow an update (the job's active one without ID) until it ends: exit 0 rolled forward, 4 rolled back, 20 otherwise",
		Example: `  borealis update wait devcluster/www-data/prod/hello
  borealis update wait devcluster/www-data/prod/hello 3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c --timeout 10m`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := ""
			if len(args) == 2 {
				id = args[1]
			}
			return runUpdateWait(cmd.Context(), a, o, args[0], id)
		},
	}
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up waiting after this long (exit 9); 0 waits forever")
	return cmd
}

// runUpdateWait follows update id of the job, or without id the job's
// active update (none exits 6 with Aurora's "No active update found for
// this job.").
func runUpdateWait(ctx context.Context, a *app, o updateWaitOptions, keyArg, id string) error {
	var tc *temporalConn
	var k string
	if id == "" {
		var err error
		if tc, k, id, err = a.activeUpdate(ctx, keyArg); err != nil {
			return err
		}
		defer tc.Close()
		if id == "" {
			return errNoActiveUpdate()
		}
		fmt.Fprintf(a.out, "Waiting for update %s of %s\n", id, k)
	} else {
		var job openedJob
		var err error
		if tc, job, err = a.openJob(ctx, keyArg, openJobOptions{Check: checkExists}); err != nil {
			return err
		}
		defer tc.Close()
		k = job.Key.String()
		// The first read tells an unknown update (exit 6) before anything is printed.
		if _, err := tc.updateInfo(ctx, k, id); err != nil && exitCode(err) == ExitInvalidParameter {
			return err
		}
	}
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), false)
	info, err := followUpdate(ctx, a, tc, k, id, o.timeout, a.out)
	if err != nil {
		return err
	}
	return reportEnd(a.out, info, k, id)
}
