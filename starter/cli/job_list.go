package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
)

type jobListOptions struct {
	writeJSON bool
}

func newJobListCommand(a *app) *cobra.Command {
	var o jobListOptions
	cmd := &cobra.Command{
		Use:   "list [CLUSTER[/ROLE[/ENV[/NAME]]]]",
		Short: "List the jobs that are running, all or those matching a pattern, with their instance counts",
		Long: `List the jobs that are running, all or those matching a pattern, in key order.

Each job is a row: JOB (its key), INSTANCES (how many it has), RUNNING (those
whose task is RUNNING), HEALTHY (of those, the ones whose latest health
check passed or was snoozed, or that have no check), THROTTLED (those whose
next task waits out the flapping back-off) and UPDATE (the active update's
id, - when none). A job whose instances could not be read shows ? and a
warning on stderr. The first column is the key, for scripts:
borealis job list | awk 'NR > 1 {print $1}'; or --write-json.`,
		Example: `  borealis job list
  borealis job list devcluster/www-data
  borealis job list 'devcluster/*/prod' --write-json | jq -r '.[].job'`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pattern := ""
			if len(args) == 1 {
				pattern = args[0]
			}
			return runJobList(cmd.Context(), a, o, pattern)
		},
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print a JSON array of the jobs (docs/semantics.md §6 shape)")
	return cmd
}

// jobListJSON is one job of `job list --write-json` (docs/semantics.md §6).
type jobListJSON struct {
	Job       string `json:"job"`
	Instances int    `json:"instances"`
	Running   int    `json:"running"`
	Healthy   int    `json:"healthy"`
	Throttled int    `json:"throttled"`
	// UpdateID is the job's active update ("" when none).
	UpdateID string `json:"updateId"`
	// Error is why the counts could not be read (optional; they are 0).
	Error string `json:"error,omitempty"`
}

func runJobList(ctx context.Context, a *app, o jobListOptions, pattern string) error {
	match, err := parseKeyPattern(pattern)
	if err != nil {
		return err
	}
	tc, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	keys, err := tc.matchingJobKeys(ctx, match)
	if err != nil {
		return err
	}
	rows, err := tc.jobListRows(ctx, keys)
	if err != nil {
		return err
	}
	// On stderr: stdout is the list, for scripts too.
	a.printWebUIAddress(webUIQuery(tc.st, runningJobsQuery()), true)
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(a.err, "Warning: job %s: %s\n", r.Job, r.Error)
		}
	}
	if o.writeJSON {
		return printJSON(a.out, rows)
	}
	return printJobList(a.out, rows)
}

// jobListRows reads the counts of each job, jobParallelism at a time, in
// the order of keys. With no worker polling, none can be read: one warning
// says so and every row carries it. A job that cannot be read carries
// why; Temporal unreachable fails them all.
func (tc *temporalConn) jobListRows(ctx context.Context, keys []string) ([]jobListJSON, error) {
	rows := make([]jobListJSON, len(keys))
	for i, k := range keys {
		rows[i].Job = k
	}
	if len(keys) == 0 {
		return rows, nil
	}
	if err := tc.checkWorker(ctx); err != nil {
		if exitCode(err) != ExitCommandFailure {
			return nil, err
		}
		for i := range rows {
			rows[i].Error = err.Error()
		}
		return rows, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobParallelism)
	for i, k := range keys {
		g.Go(func() error {
			snap, err := tc.snapshot(gctx, k, snapshotOptions{})
			if exitCode(err) == ExitNetworkError {
				return err
			}
			if err != nil {
				rows[i].Error = err.Error()
				return nil
			}
			c := countInstances(snap, tc.liveHealth(gctx, snap))
			rows[i].Instances, rows[i].Running, rows[i].Healthy, rows[i].Throttled = c.instances, c.running, c.healthy, c.throttled
			rows[i].UpdateID = snap.view.Updating
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return rows, nil
}

// printJobList prints the jobs as a table, nothing when there are none.
func printJobList(w io.Writer, rows []jobListJSON) error {
	if len(rows) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tINSTANCES\tRUNNING\tHEALTHY\tTHROTTLED\tUPDATE")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t?\t?\t?\t?\t?\n", r.Job)
			continue
		}
		update := r.UpdateID
		if update == "" {
			update = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Job, strconv.Itoa(r.Instances), strconv.Itoa(r.Running),
			strconv.Itoa(r.Healthy), strconv.Itoa(r.Throttled), escapeText(update))
	}
	return tw.Flush()
}
