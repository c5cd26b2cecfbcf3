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
	wait      bool
	timeout   time.Duration
	writeJSON bool
}

// updateStartJSON is `update start --write-json` (docs/semantics.md §6.4):
// the update started, or, when the config changes nothing, UpdateID "" and
// Unchanged. With --wait, Status is the state the update ended in (the last
// one seen after a --timeout) and Message its last event's message.
type updateStartJSON struct {
	UpdateID  string   `json:"updateId"`
	Job       string   `json:"job"`
	Instances []int    `json:"instances,omitempty"`
	Warnings  []string `json:"warnings"`
	Unchanged bool     `json:"unchanged"`
	Status    string   `json:"status,omitempty"`
	Message   string   `json:"message,omitempty"`
}

func newUpdateStartCommand(a *app) *cobra.Command {
	var o updateStartOptions
	cmd := &cobra.Command{
		Use:   "start KEY[/INSTANCES] CONFIG",
		Short: "Start a rolling update of a job (or some of its instances) to a config file",
		Example: `  borealis update start devcluster/www-data/prod/hello new.aurora
  borealis update start devcluster/www-data/prod/hello/0-2 new.yaml --bind version=2 --wait
  id=$(borealis update start devcluster/www-data/prod/hello new.yaml --write-json | jq -r .updateId)`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runUpdateStart(cmd.Context(), a, o, args[0], args[1])
		},
	}
	o.add(cmd)
	cmd.Flags().BoolVar(&o.wait, "wait", false, "follow the update until it ends: exit 0 rolled forward, 4 rolled back, 20 otherwise")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "with --wait, give up waiting after this long (exit 9); 0 waits forever")
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print the update as one JSON object (with --wait, once it ends); the rest goes to stderr")
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
	notes := a.notesOut(o.writeJSON)
	printWarnings(a.err, o.warnings)
	out := updateStartJSON{Job: k, Instances: ids, Warnings: append([]string{}, o.warnings...)}
	if view.Updating != "" {
		return jobUpdating(a, tc, k, view.Updating, fmt.Sprintf("%s (update %s)", workflows.ErrJobUpdating, view.Updating))
	}
	if steps := workflows.PlanUpdate(view, *job, ids); len(steps) > 0 {
		printPlan(notes, view, *job, steps)
		fmt.Fprintln(notes)
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
		fmt.Fprintln(notes, appErr.Message())
		if o.writeJSON {
			out.Unchanged = true
			return printJSON(a.out, out)
		}
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
	fmt.Fprintf(notes, "Update %s started\n", id)
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), o.writeJSON)
	out.UpdateID = id
	out.Warnings = append(out.Warnings, res.Warnings...)
	if !o.wait {
		if o.writeJSON {
			return printJSON(a.out, out)
		}
		return nil
	}
	info, err := followUpdate(ctx, a, tc, k, id, o.timeout, notes)
	if err == nil {
		err = reportEnd(notes, info, k, id)
	}
	if o.writeJSON {
		// The update exists: scripts get its id, and how far it got, whatever
		// the exit code says.
		out.Status = string(info.Status)
		if n := len(info.UpdateEvents); n > 0 {
			out.Message = info.UpdateEvents[n-1].Message
		}
		if jerr := printJSON(a.out, out); jerr != nil && err == nil {
			err = jerr
		}
	}
	return err
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
