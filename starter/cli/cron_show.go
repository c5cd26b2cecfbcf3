package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

// showNextRuns is how many coming times cron show prints.
const showNextRuns = 5

// cronShowJSON is `cron show --write-json`.
type cronShowJSON struct {
	Job             string              `json:"job"`
	CronSchedule    string              `json:"cron_schedule"`
	CollisionPolicy string              `json:"collision_policy"`
	Paused          bool                `json:"paused"`
	NextRuns        []time.Time         `json:"next_runs"`
	Active          *workflows.CronRun  `json:"active"`
	Runs            []workflows.CronRun `json:"runs"`
}

func newCronShowCommand(a *app) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "show KEY",
		Short: "Show a cron job's schedule, collision policy, next runs and latest runs",
		Example: `  borealis cron show devcluster/www-data/prod/cron_hello
  borealis cron show devcluster/www-data/prod/cron_hello --write-json | jq .next_runs`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCronShow(cmd.Context(), a, args[0], writeJSON)
		},
	}
	cmd.Flags().BoolVar(&writeJSON, "write-json", false, "print the schedule and runs as one JSON object")
	return cmd
}

func runCronShow(ctx context.Context, a *app, keyArg string, writeJSON bool) error {
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{})
	if err != nil {
		return err
	}
	defer tc.Close()
	key := job.Key.String()
	desc, err := tc.schedules().Describe(ctx, key)
	if err != nil {
		return tc.cronError(key, err, "show "+key)
	}
	out := cronShowJSON{Job: key, NextRuns: []time.Time{}, Runs: []workflows.CronRun{}}
	if desc.Schedule.State != nil {
		out.Paused = desc.Schedule.State.Paused
	}
	for i, t := range desc.Info.NextActionTimes {
		if i == showNextRuns {
			break
		}
		out.NextRuns = append(out.NextRuns, t.UTC())
	}
	view, err := tc.queryJob(ctx, key)
	switch {
	case err != nil:
		return err
	case view.Cron == nil:
		return errorf(ExitCommandFailure, "job %s is not a cron job, but a schedule %s exists: remove it with borealis cron deschedule %s",
			key, workflows.CronScheduleID(key), key)
	}
	out.CronSchedule, out.CollisionPolicy = view.Cron.Schedule, view.Cron.CollisionPolicy
	out.Active = view.Cron.Active
	out.Runs = append(out.Runs, view.Cron.Runs...)
	if writeJSON {
		return printJSON(a.out, out)
	}
	printCronShow(a.out, out)
	a.printWebUIAddress(a.scheduleWebUI(tc, key), false)
	return nil
}

// printCronShow prints cron show for people.
func printCronShow(w io.Writer, s cronShowJSON) {
	fmt.Fprintf(w, "Job: %s\n", s.Job)
	fmt.Fprintf(w, "Cron schedule: %s (UTC)\n", s.CronSchedule)
	fmt.Fprintf(w, "Collision policy: %s\n", s.CollisionPolicy)
	if s.Paused {
		fmt.Fprintln(w, "Schedule: paused (in the Temporal Web UI)")
	}
	fmt.Fprintln(w, "Next runs:")
	for _, t := range s.NextRuns {
		fmt.Fprintf(w, "  %s\n", t.Format(time.RFC3339))
	}
	if s.Active != nil {
		fmt.Fprintf(w, "Active run: scheduled %s, started %s, instances %v\n",
			s.Active.Scheduled.Format(time.RFC3339), s.Active.Started.Format(time.RFC3339), s.Active.Instances)
	}
	if len(s.Runs) == 0 {
		fmt.Fprintln(w, "Latest runs: none yet")
		return
	}
	fmt.Fprintln(w, "Latest runs (newest first):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  SCHEDULED\tOUTCOME\tSTARTED\tENDED\tMESSAGE")
	for i := len(s.Runs) - 1; i >= 0; i-- {
		r := s.Runs[i]
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.Scheduled.Format(time.RFC3339), r.Outcome,
			orDash(r.Started), orDash(r.Ended), r.Message)
	}
	_ = tw.Flush()
}

// orDash formats t, or "-" when it is zero.
func orDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// cronStatus is job status's part for a cron job: its schedule, and the
// run its instances belong to.
func cronStatus(w io.Writer, v *workflows.CronView) {
	fmt.Fprintf(w, "Cron schedule: %s (UTC), %s", v.Schedule, v.CollisionPolicy)
	if v.Descheduled {
		fmt.Fprint(w, ", descheduled")
	}
	fmt.Fprintln(w)
	run := cronShownRun(v)
	switch {
	case run == nil:
		fmt.Fprintln(w, "No run yet: borealis cron start runs one now")
	case run.Outcome == workflows.CronRunning:
		fmt.Fprintf(w, "Active run: scheduled %s, started %s\n", run.Scheduled.Format(time.RFC3339), run.Started.UTC().Format(time.RFC3339))
	default:
		msg := ""
		if run.Message != "" {
			msg = ": " + run.Message
		}
		fmt.Fprintf(w, "Latest run: scheduled %s, %s%s\n", run.Scheduled.Format(time.RFC3339), run.Outcome, msg)
	}
	if n := skippedSince(v, run); n > 0 {
		fmt.Fprintf(w, "Skipped since: %d runs (borealis cron show says why)\n", n)
	}
}

// cronShownRun is the run whose instances job status shows: the active
// run, else the latest that started instances (nil: none).
func cronShownRun(v *workflows.CronView) *workflows.CronRun {
	if v.Active != nil {
		return v.Active
	}
	for i := len(v.Runs) - 1; i >= 0; i-- {
		if len(v.Runs[i].Instances) > 0 {
			return &v.Runs[i]
		}
	}
	return nil
}

// skippedSince counts the runs skipped after run started.
func skippedSince(v *workflows.CronView, run *workflows.CronRun) int {
	n := 0
	for _, r := range v.Runs {
		if r.Outcome == workflows.CronSkipped && (run == nil || r.Ended.After(run.Started)) {
			n++
		}
	}
	return n
}

// cronInstanceIDs are the instances job status shows for a cron job: those
// of its active or latest run (none before the first).
func cronInstanceIDs(v *workflows.CronView) []int {
	if run := cronShownRun(v); run != nil {
		return run.Instances
	}
	return nil
}
