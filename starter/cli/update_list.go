package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/workflows"
)

type updateListOptions struct {
	statuses  []string
	writeJSON bool
}

func newUpdateListCommand(a *app) *cobra.Command {
	var o updateListOptions
	cmd := &cobra.Command{
		Use:   "list KEY",
		Short: "List a job's updates, newest first",
		Example: `  borealis update list devcluster/www-data/prod/hello
  borealis update list devcluster/www-data/prod/hello --status ROLLED_BACK --status FAILED --write-json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdateList(cmd.Context(), a, o, args[0])
		},
	}
	cmd.Flags().StringSliceVar(&o.statuses, "status", nil, "only updates in this state (repeatable or comma-separated, e.g. ROLLING_FORWARD,ROLLED_BACK)")
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print a JSON array of {updateId, job, status, started}")
	return cmd
}

// updateListJSON is one update of `update list --write-json`.
type updateListJSON struct {
	UpdateID string `json:"updateId"`
	Job      string `json:"job"`
	Status   string `json:"status"`
	Started  int64  `json:"started"`
}

func runUpdateList(ctx context.Context, a *app, o updateListOptions, keyArg string) error {
	var statuses []workflows.UpdateStatus
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{Check: checkExists, Before: func(jobkey.Key, []int) error {
		for _, s := range o.statuses {
			st, err := parseUpdateStatus(s)
			if err != nil {
				return err
			}
			statuses = append(statuses, st)
		}
		return nil
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	k := job.Key.String()
	updates, err := tc.listUpdates(ctx, k, statuses)
	if err != nil {
		return err
	}
	a.printWebUIAddress(webUIQuery(tc.st, updatesQuery(k, statuses)), o.writeJSON)
	if o.writeJSON {
		out := make([]updateListJSON, len(updates))
		for i, u := range updates {
			out[i] = updateListJSON{UpdateID: u.ID, Job: k, Status: string(u.Status), Started: u.Started.UnixMilli()}
		}
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(updates) == 0 {
		fmt.Fprintf(a.out, "No updates of %s\n", k)
		return nil
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "UPDATE ID\tSTATUS\tSTARTED")
	for _, u := range updates {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.ID, u.Status, formatMillis(u.Started.UnixMilli()))
	}
	return tw.Flush()
}
