package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

// updateStatusJSON is `update pause|resume|abort|rollback|pulse|wait
// --write-json` (docs/semantics.md §6.4): the update the command acted on
// and its state once it had. Pulse adds its answer (Pulse), and wait the
// message of the update's last event (Message).
type updateStatusJSON struct {
	Job      string `json:"job"`
	UpdateID string `json:"updateId"`
	Status   string `json:"status"`
	Pulse    string `json:"pulse,omitempty"`
	Message  string `json:"message,omitempty"`
}

// newUpdateControlCommand makes pause, resume, abort or rollback: op is the
// Temporal update (workflows.UpdatePause, ...) the command sends to the
// job's active update, and its verb.
func newUpdateControlCommand(a *app, op, short string) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   op + " KEY",
		Short: short,
		Example: "  borealis update " + op + " devcluster/www-data/prod/hello\n" +
			"  borealis update " + op + " devcluster/www-data/prod/hello --write-json | jq -r .status",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdateControl(cmd.Context(), a, op, args[0], writeJSON)
		},
	}
	writeJSONFlag(cmd, &writeJSON, "the update and its new state")
	return cmd
}

func runUpdateControl(ctx context.Context, a *app, op, keyArg string, writeJSON bool) error {
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
	fmt.Fprintf(a.notesOut(writeJSON), "Update %s of %s: %s\n", id, k, status)
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), writeJSON)
	if writeJSON {
		return printJSON(a.out, updateStatusJSON{Job: k, UpdateID: id, Status: string(status)})
	}
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
