package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

// pulseFinished is Aurora's pulse answer for a job whose latest update has
// finished, or that has none (docs/semantics.md §5).
const pulseFinished = "FINISHED"

func newUpdatePulseCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "pulse KEY",
		Short: "Pulse the job's active update, so one with pulse_interval_secs keeps going",
		Example: `  borealis update pulse devcluster/www-data/prod/hello
  while borealis update pulse devcluster/www-data/prod/hello | grep -qv FINISHED; do sleep 30; done`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdatePulse(cmd.Context(), a, args[0])
		},
	}
}

func runUpdatePulse(ctx context.Context, a *app, keyArg string) error {
	tc, k, id, err := a.activeUpdate(ctx, keyArg)
	if err != nil {
		return err
	}
	defer tc.Close()
	if id == "" {
		fmt.Fprintf(a.out, "Pulse: %s (no active update of %s)\n", pulseFinished, k)
		return nil
	}
	var status workflows.UpdateStatus
	if err := tc.sendUpdate(ctx, workflows.UpdateWorkflowID(k, id), workflows.UpdatePulse, "", &status); err != nil {
		err = tc.updateOpError(err, k, id, workflows.UpdatePulse)
		if exitCode(err) != ExitInvalidParameter {
			return err
		}
		status = "" // finished meanwhile
	}
	if !status.Active() || status == "" {
		fmt.Fprintf(a.out, "Pulse: %s (update %s of %s has finished)\n", pulseFinished, id, k)
	} else {
		fmt.Fprintf(a.out, "Pulse: OK (update %s of %s is %s)\n", id, k, status)
	}
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), false)
	return nil
}
