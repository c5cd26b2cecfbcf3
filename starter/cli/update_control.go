package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

// newUpdateControlCommand makes pause, resume, abort or rollback: op is the
// Temporal update (workflows.UpdatePause, ...) the command sends to the
// job's active update, and its verb.
func newUpdateControlCommand(a *app, op, short string) *cobra.Command {
	return &cobra.Command{
		Use:     op + " KEY",
		Short:   short,
		Example: "  borealis update " + op + " devcluster/www-data/prod/hello",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdateControl(cmd.Context(), a, op, args[0])
		},
	}
}

func runUpdateControl(ctx context.Context, a *app, op, keyArg string) error {
	tc, k, id, err := a.activeUpdate(ctx, keyArg)
	if err != nil {
		return err
	}
	defer tc.Close()
	if id == "" {
		return errNoActiveUpdate()
	}
	var status workflows.UpdateStatus
	if err := tc.sendUpdate(ctx, workflows.UpdateWorkflowID(k, id), op, "", &status); err != nil {
		return tc.updateOpError(err, k, id, op)
	}
	fmt.Fprintf(a.out, "Update %s of %s: %s\n", id, k, status)
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), false)
	return nil
}

// activeUpdate parses a job key, connects to Temporal and asks the job for
// its active update: the connection (the caller closes it), the job key and
// the update's id, "" when the job has none.
func (a *app) activeUpdate(ctx context.Context, keyArg string) (*temporalConn, string, string, error) {
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{Check: checkQuery})
	if err != nil {
		return nil, "", "", err
	}
	return tc, job.Key.String(), job.View.Updating, nil
}
