package cli

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"

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
		Use:   "list CLUSTER[/ROLE[/ENV[/NAME]]]",
		Short: "List the updates of a job, or of every job matching a pattern, newest first",
		Long: `List the updates of a job, or of every job matching a pattern, newest first.

The argument is a job key, CLUSTER/ROLE/ENV/NAME, or a pattern as job list
takes it: each part a name or a glob (*, ?, [...]), missing parts matching
anything. A pattern lists the updates of every job it matches, killed jobs
included, with a JOB column; none matching is an empty list (exit 0).`,
		Example: `  borealis update list devcluster/www-data/prod/hello
  borealis update list devcluster/www-data/prod/hello --status ROLLED_BACK --status FAILED --write-json
  borealis update list 'devcluster/*/prod' --status ROLLING_FORWARD,ROLL_FORWARD_PAUSED`,
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

// jobUpdate is an update and the job it updates.
type jobUpdate struct {
	job string
	updateSummary
}

func runUpdateList(ctx context.Context, a *app, o updateListOptions, arg string) error {
	ja, err := parseJobArg(arg)
	if err != nil {
		return err
	}
	var statuses []workflows.UpdateStatus
	for _, s := range o.statuses {
		st, err := parseUpdateStatus(s)
		if err != nil {
			return err
		}
		statuses = append(statuses, st)
	}
	if ja.pattern != nil {
		return runUpdateListPattern(ctx, a, o, *ja.pattern, statuses)
	}
	tc, job, err := a.openJob(ctx, ja.key, openJobOptions{Check: checkExists})
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
	list := make([]jobUpdate, len(updates))
	for i, u := range updates {
		list[i] = jobUpdate{job: k, updateSummary: u}
	}
	if !o.writeJSON && len(updates) == 0 {
		fmt.Fprintf(a.out, "No updates of %s\n", k)
		return nil
	}
	return printUpdateList(a, o, list, false)
}

// runUpdateListPattern lists the updates of every job that matches, from
// visibility: jobs running or not, as long as their updates are kept.
func runUpdateListPattern(ctx context.Context, a *app, o updateListOptions, match keyPattern, statuses []workflows.UpdateStatus) error {
	tc, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	updates, err := tc.listUpdatesMatching(ctx, match, statuses)
	if err != nil {
		return err
	}
	a.printWebUIAddress(webUIQuery(tc.st, allUpdatesQuery(statuses)), o.writeJSON)
	if !o.writeJSON && len(updates) == 0 {
		fmt.Fprintf(a.out, "No updates of jobs matching %s\n", match)
		return nil
	}
	return printUpdateList(a, o, updates, true)
}

// printUpdateList prints the updates as a table, with a JOB column first
// when withJob, or as the JSON array of --write-json.
func printUpdateList(a *app, o updateListOptions, updates []jobUpdate, withJob bool) error {
	if o.writeJSON {
		out := make([]updateListJSON, len(updates))
		for i, u := range updates {
			out[i] = updateListJSON{UpdateID: u.ID, Job: u.job, Status: string(u.Status), Started: u.Started.UnixMilli()}
		}
		return printJSON(a.out, out)
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	job := func(u jobUpdate) string {
		if withJob {
			return u.job + "\t"
		}
		return ""
	}
	fmt.Fprintln(tw, job(jobUpdate{job: "JOB"})+"UPDATE ID\tSTATUS\tSTARTED")
	for _, u := range updates {
		fmt.Fprintf(tw, "%s%s\t%s\t%s\n", job(u), u.ID, u.Status, formatMillis(u.Started.UnixMilli()))
	}
	return tw.Flush()
}

// listUpdatesMatching lists the updates of the jobs that match, newest
// first (the same start: by job key), those in one of statuses when any
// are given. Visibility cannot match globs: the query asks for every
// update (in statuses) and the pattern picks among them.
func (tc *temporalConn) listUpdatesMatching(ctx context.Context, match keyPattern, statuses []workflows.UpdateStatus) ([]jobUpdate, error) {
	dc := converter.GetDefaultDataConverter()
	var out []jobUpdate
	err := tc.listExecutions(ctx, allUpdatesQuery(statuses), func(e *workflowpb.WorkflowExecutionInfo) {
		fields := e.GetSearchAttributes().GetIndexedFields()
		var key string
		if p := fields[workflows.JobKeyAttribute.GetName()]; p == nil || dc.FromPayload(p, &key) != nil {
			return
		}
		if _, err := jobkey.Parse(key); err != nil || !match.match(key) {
			return
		}
		id, ok := strings.CutPrefix(e.GetExecution().GetWorkflowId(), workflows.UpdateWorkflowID(key, ""))
		if !ok {
			return
		}
		u := jobUpdate{job: key, updateSummary: updateSummary{ID: id, Started: e.GetStartTime().AsTime()}}
		if p := fields[workflows.UpdateStatusAttribute.GetName()]; p != nil {
			_ = dc.FromPayload(p, &u.Status)
		}
		out = append(out, u)
	})
	slices.SortStableFunc(out, func(a, b jobUpdate) int {
		return cmp.Or(b.Started.Compare(a.Started), strings.Compare(a.job, b.job))
	})
	return out, err
}

// allUpdatesQuery is the visibility query of every job's updates, those in
// one of statuses when any are given.
func allUpdatesQuery(statuses []workflows.UpdateStatus) string {
	query := fmt.Sprintf("WorkflowType = '%s'", workflows.UpdateWorkflowName)
	if len(statuses) > 0 {
		quoted := make([]string, len(statuses))
		for i, s := range statuses {
			quoted[i] = "'" + escapeQuery(string(s)) + "'"
		}
		query += fmt.Sprintf(" AND %s IN (%s)", workflows.UpdateStatusAttribute.GetName(), strings.Join(quoted, ", "))
	}
	return query
}
