package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

func newJobKillAllCommand(a *app) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "killall KEY",
		Short: "Kill every instance of a job and end the job",
		Example: `  borealis job killall devcluster/www-data/prod/hello
  borealis job killall devcluster/www-data/prod/hello --write-json | jq .instances`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJobKillAll(cmd.Context(), a, args[0], writeJSON)
		},
	}
	writeJSONFlag(cmd, &writeJSON, "the instances killed")
	return cmd
}

func runJobKillAll(ctx context.Context, a *app, keyArg string, writeJSON bool) error {
	// Unknown jobs fail here, before a Web UI address is shown for them.
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{Check: checkExists})
	if err != nil {
		return err
	}
	defer tc.Close()
	key := job.Key
	k := key.String()
	notes := a.notesOut(writeJSON)
	a.printWebUI(tc.st, workflows.JobWorkflowID(k), writeJSON)
	var res workflows.OpResult
	killAll := func() error { return tc.updateJob(ctx, k, workflows.UpdateKillAll, &res) }
	// The instances to watch are those of the job's record; without it the
	// killall runs unwatched.
	view, err := tc.queryJob(ctx, k)
	if err != nil {
		err = killAll()
	} else {
		ids := view.InstanceIDs()
		rep := a.opReporter(writeJSON)
		poll := func(ctx context.Context) (progress.Progress, bool) {
			statuses, err := tc.queryInstances(ctx, k, ids, true)
			if err != nil {
				return progress.Progress{}, false
			}
			return killProgress(ids, statuses), true
		}
		err = watchWhile(ctx, rep, poll, killAll)
		if err == nil {
			rep.Update(opProgress("KILLED", res, 0))
		}
		rep.Done()
	}
	if err != nil {
		return err
	}
	if err := a.printOp(writeJSON, "Killed", k, res); err != nil {
		return err
	}
	fmt.Fprintf(notes, "Job killall succeeded: %s\n", key)
	return nil
}
