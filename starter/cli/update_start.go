package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

type updateStartOptions struct {
	jobConfigFlags
	wait    bool
	timeout time.Duration
}

func newUpdateStartCommand(a *app) *cobra.Command {
	var o updateStartOptions
	cmd := &cobra.Command{
		Use:   "start KEY[/INSTANCES] CONFIG",
		Short: "Start a rolling update of a job (or some of its instances) to a config file",
		Example: `  borealis update start devcluster/www-data/prod/hello new.aurora
  borealis update start devcluster/www-data/prod/hello/0-2 new.yaml --bind version=2 --wait`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdateStart(cmd.Context(), a, o, args[0], args[1])
		},
	}
	o.add(cmd)
	cmd.Flags().BoolVar(&o.wait, "wait", false, "follow the update until it ends: exit 0 rolled forward, 4 rolled back, 20 otherwise")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "with --wait, give up waiting after this long (exit 9); 0 waits forever")
	return cmd
}

func runUpdateStart(ctx context.Context, a *app, o updateStartOptions, spec, path string) error {
	var job *config.Job
	tc, target, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Check: checkQuery, Before: func(key jobkey.Key, _ []int) error {
		var err error
		job, err = o.loadJob(key.String(), path)
		return err
	}})
	if err != nil {
		return err
	}
	defer tc.Close()

	k, ids, view := target.Key.String(), target.IDs, target.View
	if view.Updating != "" {
		return jobUpdating(a, tc, k, view.Updating, fmt.Sprintf("%s (update %s)", workflows.ErrJobUpdating, view.Updating))
	}
	if steps := workflows.PlanUpdate(view, *job, ids); len(steps) > 0 {
		printPlan(a.out, view, *job, steps)
		fmt.Fprintln(a.out)
	}

	id := newUpdateID()
	var res workflows.StartUpdateResult
	req := workflows.StartUpdateRequest{UpdateID: id, Job: *job, Instances: ids}
	err = tc.sendUpdate(ctx, workflows.JobWorkflowID(k), workflows.UpdateStartUpdate, "start-update/"+id, &res, req)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
	case exitCode(err) != ExitUnknown:
		return err
	case errors.As(err, &appErr) && appErr.Type() == taskapi.ErrTypeRefused:
		// The worker refused the new config: nothing started.
		return refusedError("update of "+k, appErr.Message())
	case errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeUnchanged:
		fmt.Fprintln(a.out, appErr.Message())
		return nil
	case errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeJobUpdating:
		// Another update started since the query above.
		active := ""
		if v, err := tc.queryJob(ctx, k); err == nil {
			active = v.Updating
		}
		return jobUpdating(a, tc, k, active, appErr.Message())
	case errors.As(err, &appErr):
		return errorf(ExitCommandFailure, "update %s: %s", k, appErr.Message())
	default:
		return tc.jobError(k, err, "start update of "+k)
	}

	printWarnings(a.err, res.Warnings)
	fmt.Fprintf(a.out, "Update %s started\n", id)
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), false)
	if !o.wait {
		return nil
	}
	info, err := followUpdate(ctx, a, tc, k, id, o.timeout)
	if err != nil {
		return err
	}
	return reportEnd(a.out, info, k, id)
}

// jobUpdating is the error for a job that already has an active update: it
// names the update and shows where to watch it.
func jobUpdating(a *app, tc *temporalConn, key, active, msg string) error {
	if active != "" {
		fmt.Fprintf(a.err, "Active update: %s\n", active)
		a.printWebUI(tc.st, workflows.UpdateWorkflowID(key, active), true)
	}
	return errorf(ExitCommandFailure, "%s", msg)
}
