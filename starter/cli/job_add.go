package cli

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/workflows"
)

func newJobAddCommand(a *app) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "add KEY/INSTANCE COUNT",
		Short: "Add COUNT instances running the config of one instance",
		Example: `  borealis job add devcluster/www-data/prod/hello/0 2
  borealis job add devcluster/www-data/prod/hello/0 2 --write-json | jq .instances`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJobAdd(cmd.Context(), a, args[0], args[1], writeJSON)
		},
	}
	writeJSONFlag(cmd, &writeJSON, "the instances added")
	return cmd
}

func runJobAdd(ctx context.Context, a *app, spec, countArg string, writeJSON bool) error {
	var count int
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Before: func(_ jobkey.Key, ids []int) error {
		if len(ids) != 1 {
			return errorf(ExitInvalidParameter, "job add %s: name exactly one instance to copy (KEY/INSTANCE)", spec)
		}
		var err error
		count, err = strconv.Atoi(countArg)
		if err != nil || count < 1 {
			return errorf(ExitInvalidParameter, "job add: COUNT %q: want a number > 0", countArg)
		}
		return nil
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	key, ids := job.Key, job.IDs
	var res workflows.OpResult
	req := workflows.AddRequest{From: ids[0], Count: count}
	if err := tc.updateJob(ctx, key.String(), workflows.UpdateAdd, &res, req); err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.JobWorkflowID(key.String()), writeJSON)
	return a.printOp(writeJSON, "Added", key.String(), res)
}
