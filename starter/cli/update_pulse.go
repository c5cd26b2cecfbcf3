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

// pulseOK is Aurora's pulse answer for an update that is still active.
const pulseOK = "OK"

func newUpdatePulseCommand(a *app) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "pulse KEY",
		Short: "Pulse the job's active update, so one with pulse_interval_secs keeps going",
		Example: `  borealis update pulse devcluster/www-data/prod/hello
  while borealis update pulse devcluster/www-data/prod/hello | grep -qv FINISHED; do sleep 30; done
  while [ "$(borealis update pulse devcluster/www-data/prod/hello --write-json | jq -r .pulse)" = OK ]; do sleep 30; done`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdatePulse(cmd.Context(), a, args[0], writeJSON)
		},
	}
	writeJSONFlag(cmd, &writeJSON, "the pulse's answer (OK or FINISHED) and the update's state")
	return cmd
}

func runUpdatePulse(ctx context.Context, a *app, keyArg string, writeJSON bool) error {
	tc, k, id, err := a.activeUpdate(ctx, keyArg)
	if err != nil {
		return err
	}
	defer tc.Close()
	notes := a.notesOut(writeJSON)
	out := updateStatusJSON{Job: k, UpdateID: id, Pulse: pulseFinished}
	if id == "" {
		fmt.Fprintf(notes, "Pulse: %s (no active update of %s)\n", pulseFinished, k)
		if writeJSON {
			return printJSON(a.out, out)
		}
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
		fmt.Fprintf(notes, "Pulse: %s (update %s of %s has finished)\n", pulseFinished, id, k)
	} else {
		out.Pulse = pulseOK
		fmt.Fprintf(notes, "Pulse: %s (update %s of %s is %s)\n", pulseOK, id, k, status)
	}
	out.Status = string(status)
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), writeJSON)
	if writeJSON {
		return printJSON(a.out, out)
	}
	return nil
}
