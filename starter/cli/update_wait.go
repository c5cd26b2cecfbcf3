package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

type updateWaitOptions struct {
	timeout   time.Duration
	writeJSON bool
}

func newUpdateWaitCommand(a *app) *cobra.Command {
	var o updateWaitOptions
	cmd := &cobra.Command{
		Use:   "wait KEY [ID]",
		Short: "Follow an update (the job's active one without ID) until it ends: exit 0 rolled forward, 4 rolled back, 20 otherwise",
		Example: `  borealis update wait devcluster/www-data/prod/hello
  borealis update wait devcluster/www-data/prod/hello 3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c --timeout 10m
  borealis update wait devcluster/www-data/prod/hello --write-json | jq -r .status`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := ""
			if len(args) == 2 {
				id = args[1]
			}
			return runUpdateWait(cmd.Context(), a, o, args[0], id)
		},
	}
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up waiting after this long (exit 9); 0 waits forever")
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print the update and the state it ended in as one JSON object, once the wait ends; the rest goes to stderr")
	return cmd
}

// runUpdateWait follows update id of the job, or without id the job's
// active update (none exits 6 with Aurora's "No active update found for
// this job.").
func runUpdateWait(ctx context.Context, a *app, o updateWaitOptions, keyArg, id string) error {
	var tc *temporalConn
	var k string
	notes := a.notesOut(o.writeJSON)
	if id == "" {
		var err error
		if tc, k, id, err = a.activeUpdate(ctx, keyArg); err != nil {
			return err
		}
		defer tc.Close()
		if id == "" {
			return errNoActiveUpdate()
		}
		fmt.Fprintf(notes, "Waiting for update %s of %s\n", id, k)
	} else {
		var job openedJob
		var err error
		if tc, job, err = a.openJob(ctx, keyArg, openJobOptions{Check: checkExists}); err != nil {
			return err
		}
		defer tc.Close()
		k = job.Key.String()
		// The first read tells an unknown update (exit 6) before anything is printed.
		if _, err := tc.updateInfo(ctx, k, id); err != nil && exitCode(err) == ExitInvalidParameter {
			return err
		}
	}
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), o.writeJSON)
	info, err := followUpdate(ctx, a, tc, k, id, o.timeout, notes)
	if err == nil {
		err = reportEnd(notes, info, k, id)
	}
	if o.writeJSON && exitCode(err) != ExitInvalidParameter {
		// As update start --wait: the update's id and how far it got,
		// whatever the exit code says (an update gone unknown has none).
		out := updateStatusJSON{Job: k, UpdateID: id, Status: string(info.Status)}
		if n := len(info.UpdateEvents); n > 0 {
			out.Message = info.UpdateEvents[n-1].Message
		}
		if jerr := printJSON(a.out, out); jerr != nil && err == nil {
			err = jerr
		}
	}
	return err
}
