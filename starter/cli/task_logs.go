package cli

import (
	"context"

	"github.com/spf13/cobra"
)

type taskLogsOptions struct {
	follow bool
}

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
	key, id, err := singleInstance("task logs", spec)
	if err != nil {
		return err
	}
	tc, err := a.dial(ctx)
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
	rt, err := a.openRuntime(ctx)
	if err != nil {
		return err
	}
	defer rt.Close()
	if err := rt.Logs(ctx, t.TaskID, o.follow, a.out); err != nil {
		return runtimeError(err)
	}
	return nil
}
