package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/cron"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// newCronCommand is Aurora's `aurora cron` (docs/semantics.md §9).
func newCronCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "cron", Short: "Schedule, start, show and deschedule cron jobs"}
	cmd.AddCommand(newCronScheduleCommand(a), newCronDescheduleCommand(a), newCronStartCommand(a), newCronShowCommand(a))
	return cmd
}

// schedules are the cron schedules of the connection's namespace, started
// on its task queue.
func (tc *temporalConn) schedules() cron.Schedules {
	return cron.Schedules{Client: tc.Client, TaskQueue: tc.st.Temporal.TaskQueue, CatchupWindow: tc.st.Cron.CatchupWindow}
}

// scheduleWebUI is the Temporal Web UI address of a cron job's schedule.
func (a *app) scheduleWebUI(tc *temporalConn, key string) string {
	return fmt.Sprintf("%s/namespaces/%s/schedules/%s", tc.st.Temporal.WebUI,
		url.PathEscape(tc.st.Temporal.Namespace), url.PathEscape(workflows.CronScheduleID(key)))
}

// notScheduledError is the error for a job that has no cron schedule.
func notScheduledError(key string) error {
	return errorf(ExitCommandFailure, "job %s has no cron schedule (borealis cron schedule KEY CONFIG makes one)", key)
}

// cronError gives a schedule operation's failure its exit code.
func (tc *temporalConn) cronError(key string, err error, what string) error {
	if errors.Is(err, cron.ErrNotScheduled) {
		return notScheduledError(key)
	}
	return tc.temporalError(err, what)
}

// cronScheduleJSON is `cron schedule --write-json` (docs/semantics.md §6.4):
// the job scheduled, its schedule and collision policy, whether a schedule
// was there already and was replaced, and the warnings about its config
// (the CLI's and the worker's).
type cronScheduleJSON struct {
	Job             string   `json:"job"`
	CronSchedule    string   `json:"cronSchedule"`
	CollisionPolicy string   `json:"collisionPolicy"`
	Replaced        bool     `json:"replaced"`
	Warnings        []string `json:"warnings"`
}

// cronDescheduleJSON is `cron deschedule --write-json` (docs/semantics.md
// §6.4): whether a schedule was there to delete (false: only the job was
// told), and the run that goes on, "" when none.
type cronDescheduleJSON struct {
	Job             string `json:"job"`
	ScheduleDeleted bool   `json:"scheduleDeleted"`
	ActiveRun       string `json:"activeRun"`
}

// cronStartJSON is `cron start --write-json` (docs/semantics.md §6.4): the
// job whose schedule was triggered, and that schedule's id.
type cronStartJSON struct {
	Job        string `json:"job"`
	ScheduleID string `json:"scheduleId"`
}

func newCronScheduleCommand(a *app) *cobra.Command {
	var o jobConfigFlags
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "schedule KEY CONFIG",
		Short: "Create or replace a cron job's schedule",
		Example: `  borealis cron schedule devcluster/www-data/prod/cron_hello examples/jobs/cron_hello.aurora
  borealis cron show devcluster/www-data/prod/cron_hello
  borealis cron schedule devcluster/www-data/prod/cron_hello examples/jobs/cron_hello.aurora --write-json | jq .replaced`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCronSchedule(cmd.Context(), a, o, args[0], args[1], writeJSON)
		},
	}
	o.add(cmd)
	writeJSONFlag(cmd, &writeJSON, "the schedule made")
	return cmd
}

func runCronSchedule(ctx context.Context, a *app, o jobConfigFlags, keyArg, path string, writeJSON bool) error {
	var job *config.Job
	tc, _, err := a.openJob(ctx, keyArg, openJobOptions{Before: func(jobkey.Key, []int) error {
		var err error
		if job, err = o.loadJob(keyArg, path); err == nil && !job.IsCron() {
			err = errorf(ExitCommandFailure, `Non-cron jobs may only be created with "borealis job create" command.`)
		}
		return err
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	key := job.Key()
	printWarnings(a.err, o.warnings)
	verdict, err := tc.putCronJob(ctx, *job)
	if err != nil {
		return err
	}
	printWarnings(a.err, verdict.Warnings)
	created, err := tc.schedules().Put(ctx, *job)
	if err != nil {
		return tc.temporalError(err, "schedule "+key)
	}
	did := "replaced"
	if created {
		did = "created"
	}
	fmt.Fprintf(a.notesOut(writeJSON), "Cron schedule succeeded: %s (%s UTC, %s); schedule %s\n", key, job.CronSchedule, job.CronCollisionPolicy, did)
	a.printWebUIAddress(a.scheduleWebUI(tc, key), writeJSON)
	if writeJSON {
		warnings := append(append([]string{}, o.warnings...), verdict.Warnings...)
		return printJSON(a.out, cronScheduleJSON{Job: key, CronSchedule: job.CronSchedule,
			CollisionPolicy: job.CronCollisionPolicy, Replaced: !created, Warnings: warnings})
	}
	return nil
}

// putCronJob gives the cron job's workflow the config: a new workflow, or
// the config replaced in the one there, once the worker admitted it.
func (tc *temporalConn) putCronJob(ctx context.Context, job config.Job) (taskapi.AdmitJobResult, error) {
	key := job.Key()
	var verdict taskapi.AdmitJobResult
	// A descheduled job's workflow may be ending as this runs: then the
	// update finds it gone or ended, and a new one is started.
	deadline := time.Now().Add(queryTimeout)
	for {
		err := tc.sendUpdate(ctx, workflows.JobWorkflowID(key), workflows.UpdateCronSchedule, "", &verdict, job)
		var notFound *serviceerror.NotFound
		var appErr *temporal.ApplicationError
		switch {
		case err == nil:
			return verdict, nil
		case exitCode(err) != ExitUnknown:
			return verdict, err
		case errors.As(err, &notFound):
			run, err := tc.startJob(ctx, job, "cron job "+key)
			if exitCode(err) == ExitCommandFailure && time.Now().Before(deadline) {
				continue // started meanwhile by another command
			}
			if err != nil {
				return verdict, err
			}
			verdict, err = tc.awaitAdmission(ctx, key, run.GetRunID(), 0)
			if errors.Is(err, errNoWorkerToAdmit) {
				return verdict, nil
			}
			return verdict, err
		case errors.As(err, &appErr) && appErr.Type() == taskapi.ErrTypeRefused:
			return verdict, refusedError("cron job "+key, appErr.Message())
		case errors.As(err, &appErr) && strings.Contains(appErr.Message(), "descheduled") && time.Now().Before(deadline):
			time.Sleep(pollInterval) // the workflow is ending: wait for it to end
		case errors.As(err, &appErr):
			return verdict, errorf(ExitCommandFailure, "cron schedule %s: %s", key, appErr.Message())
		default:
			return verdict, tc.jobError(key, err, "cron schedule "+key)
		}
	}
}

func newCronDescheduleCommand(a *app) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "deschedule KEY",
		Short: "Remove a cron job's schedule; a run in progress goes on",
		Example: `  borealis cron deschedule devcluster/www-data/prod/cron_hello
  borealis cron deschedule devcluster/www-data/prod/cron_hello --write-json | jq -r .activeRun`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCronDeschedule(cmd.Context(), a, args[0], writeJSON)
		},
	}
	writeJSONFlag(cmd, &writeJSON, "what was descheduled")
	return cmd
}

func runCronDeschedule(ctx context.Context, a *app, keyArg string, writeJSON bool) error {
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{})
	if err != nil {
		return err
	}
	defer tc.Close()
	key := job.Key.String()
	// The schedule first, so that no run starts after the job is told; a
	// schedule deleted by hand (in the Web UI) still lets the job be told.
	noSchedule := false
	if err := tc.schedules().Delete(ctx, key); errors.Is(err, cron.ErrNotScheduled) {
		noSchedule = true
	} else if err != nil {
		return tc.cronError(key, err, "deschedule "+key)
	}
	var view workflows.CronView
	err = tc.sendUpdate(ctx, workflows.JobWorkflowID(key), workflows.UpdateCronDeschedule, "", &view)
	var notFound *serviceerror.NotFound
	var appErr *temporal.ApplicationError
	switch {
	case (errors.As(err, &notFound) || (errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeNotCron)) && noSchedule:
		return notScheduledError(key)
	case errors.As(err, &notFound):
		// The job's workflow is gone already: the schedule was all there was.
	case errors.As(err, &appErr):
		return errorf(ExitCommandFailure, "cron deschedule %s: %s", key, appErr.Message())
	case err != nil:
		return tc.jobError(key, err, "deschedule "+key)
	}
	notes := a.notesOut(writeJSON)
	out := cronDescheduleJSON{Job: key, ScheduleDeleted: !noSchedule}
	fmt.Fprintf(notes, "Cron deschedule succeeded: %s\n", key)
	if view.Active != nil {
		out.ActiveRun = view.Active.RunID
		fmt.Fprintf(notes, "Run %s goes on; the job ends with it\n", view.Active.RunID)
	}
	if writeJSON {
		return printJSON(a.out, out)
	}
	return nil
}

func newCronStartCommand(a *app) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "start KEY",
		Short: "Start a run of a cron job now",
		Example: `  borealis cron start devcluster/www-data/prod/cron_hello
  borealis cron start devcluster/www-data/prod/cron_hello --write-json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCronStart(cmd.Context(), a, args[0], writeJSON)
		},
	}
	writeJSONFlag(cmd, &writeJSON, "the schedule triggered")
	return cmd
}

func runCronStart(ctx context.Context, a *app, keyArg string, writeJSON bool) error {
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{})
	if err != nil {
		return err
	}
	defer tc.Close()
	key := job.Key.String()
	if err := tc.schedules().Trigger(ctx, key); err != nil {
		return tc.cronError(key, err, "start "+key)
	}
	fmt.Fprintf(a.notesOut(writeJSON), "Cron start succeeded: a run of %s starts now (its collision policy applies)\n", key)
	a.warnNoWorker(ctx, tc, a.err)
	a.printWebUIAddress(a.scheduleWebUI(tc, key), writeJSON)
	if writeJSON {
		return printJSON(a.out, cronStartJSON{Job: key, ScheduleID: workflows.CronScheduleID(key)})
	}
	return nil
}
