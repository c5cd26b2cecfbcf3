package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/taskio"
)

type taskLogsOptions struct {
	follow bool
}

// followWait is how long one page waits for new output when following.
const followWait = 20

func newTaskLogsCommand(a *app) *cobra.Command {
	var o taskLogsOptions
	cmd := &cobra.Command{
		Use:   "logs KEY/INSTANCE",
		Short: "Print the output of an instance's task (the active one, else the newest ended)",
		Example: `  borealis task logs devcluster/www-data/prod/hello/0
  borealis task logs devcluster/www-data/prod/hello/0 --follow`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runTaskLogs(cmd.Context(), a, o, args[0]) },
	}
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "go on printing until the task ends")
	return cmd
}

func runTaskLogs(ctx context.Context, a *app, o taskLogsOptions, spec string) error {
	tc, key, id, err := a.openInstance(ctx, "task logs", spec)
	if err != nil {
		return err
	}
	defer tc.Close()
	s, err := tc.instanceStatus(ctx, key.String(), id)
	if err != nil {
		return err
	}
	t := latestTask(s)
	if t == nil || t.ContainerID == "" {
		return errorf(ExitCommandFailure, "instance %d of %s has no task with a container", id, key)
	}
	tio, err := tc.taskIO(ctx)
	if err != nil {
		return err
	}
	return copyLogs(ctx, a, tio, t.TaskID, o.follow)
}

// copyLogs prints the task's log page by page, from its start; following,
// it goes on until the task ends or ctx does.
func copyLogs(ctx context.Context, a *app, tio taskio.Client, taskID string, follow bool) error {
	in := taskapi.LogsInput{TaskID: taskID, MaxBytes: taskapi.MaxLogPage}
	if follow {
		in.WaitSecs = followWait
	}
	read := false
	for {
		page, err := tio.ReadLogs(ctx, in)
		switch {
		case follow && ctx.Err() != nil:
			return nil // following ends with the user's interrupt
		case read && taskio.ErrorType(err) == taskapi.ErrTypeNotFound:
			return nil // the ended task's container was removed while following
		case err != nil:
			return taskIOError(err)
		}
		read = true
		if _, err := a.out.Write(page.Data); err != nil {
			return errorf(ExitCommandFailure, "write logs: %v", err)
		}
		in.Cursor = page.Next
		if page.Ended || (!page.Full && !follow) {
			return nil
		}
	}
}
