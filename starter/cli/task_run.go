package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

type taskRunOptions struct {
	threads int
}

func newTaskRunCommand(a *app) *cobra.Command {
	var o taskRunOptions
	cmd := &cobra.Command{
		Use:   "run KEY[/INSTANCES] CMD...",
		Short: "Run a shell command in the container of each RUNNING task, through its worker",
		Example: `  borealis task run devcluster/www-data/prod/hello 'ls -l'
  borealis task run devcluster/www-data/prod/hello/0-1 echo port {{thermos.ports[http]}} of {{mesos.instance}}`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return errorf(ExitInvalidCommand, "%s takes a job or instances and a command\nusage: %s", cmd.CommandPath(), cmd.UseLine())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTaskRun(cmd.Context(), a, o, args[0], strings.Join(args[1:], " "))
		},
	}
	// Flags after KEY belong to the command: task run KEY ls -l.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().IntVarP(&o.threads, "threads", "t", 1, "tasks to run the command in at once")
	return cmd
}

// execResult is how the command went in one task.
type execResult struct {
	instance int
	code     int
	output   string
	err      error
}

func runTaskRun(ctx context.Context, a *app, o taskRunOptions, spec, command string) error {
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Before: func(jobkey.Key, []int) error {
		if o.threads < 1 {
			return errorf(ExitInvalidParameter, "--threads %d: want a number > 0", o.threads)
		}
		return nil
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	snap, err := tc.snapshot(ctx, job.Key.String(), snapshotOptions{only: job.IDs})
	if err != nil {
		return err
	}
	var tasks []*workflows.TaskInfo
	for _, s := range snap.instances {
		if s.Active != nil && s.Active.Status == workflows.StatusRunning {
			tasks = append(tasks, s.Active)
		} else {
			fmt.Fprintf(a.err, "Skipping instance %d: no RUNNING task\n", s.InstanceID)
		}
	}
	if len(tasks) == 0 {
		return errorf(ExitCommandFailure, "no RUNNING task in %s", spec)
	}
	tio, err := tc.taskIO(ctx)
	if err != nil {
		return err
	}

	results := make([]execResult, len(tasks))
	var g errgroup.Group
	g.SetLimit(o.threads)
	for i, t := range tasks {
		g.Go(func() error {
			filled := config.FillLaunchTemplates(command, t.InstanceID, t.TaskID, t.AssignedPorts)
			r, err := tio.Exec(ctx, taskapi.ExecInput{TaskID: t.TaskID, Command: filled})
			results[i] = execResult{instance: t.InstanceID, code: r.ExitCode, output: r.Output, err: err}
			return nil
		})
	}
	_ = g.Wait()
	return printExecResults(a, snap.key, results)
}

// printExecResults prints each task's output, every line prefixed with its
// instance, in instance order; a failure in any exits 4.
func printExecResults(a *app, key string, results []execResult) error {
	var failed []int
	var firstErr error
	for _, r := range results {
		if out := strings.TrimRight(r.output, "\n"); out != "" {
			for _, line := range strings.Split(out, "\n") {
				fmt.Fprintf(a.out, "[%d] %s\n", r.instance, line)
			}
		}
		switch {
		case r.err != nil:
			fmt.Fprintf(a.err, "[%d] %v\n", r.instance, r.err)
			failed = append(failed, r.instance)
			if firstErr == nil {
				firstErr = r.err
			}
		case r.code != 0:
			fmt.Fprintf(a.err, "[%d] exit status %d\n", r.instance, r.code)
			failed = append(failed, r.instance)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	err := errorf(ExitCommandFailure, "command failed in instances %s of %s", jobkey.FormatInstances(failed), key)
	if firstErr != nil {
		if code := exitCode(taskIOError(firstErr)); code != ExitCommandFailure {
			return withCode(code, err)
		}
	}
	return err
}
