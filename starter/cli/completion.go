package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

// completionTimeout bounds what shell completion asks of Temporal: a
// completion that hangs is worse than none.
const completionTimeout = 2 * time.Second

// configExtensions are the config files completion offers for CONFIG.
var configExtensions = []string{"aurora", "yaml", "yml", "json"}

// addKeyCompletion gives every runnable command of the tree a completion of
// its arguments from its usage line: KEY... and CLUSTER[/ROLE...] (a key or
// a pattern) the keys of running jobs (not for job create, whose job is
// new), CONFIG a config file, an update ID the
// job's updates, anything else nothing. It also completes the flags that
// take a fixed set of values.
func addKeyCompletion(a *app, root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.RunE == nil || c.ValidArgsFunction != nil || c.HasSubCommands() {
			return
		}
		params := strings.Fields(c.Use)[1:]
		newJob := c.Name() == "create" && c.Parent() != nil && c.Parent().Name() == "job"
		c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) >= len(params) {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			param := strings.Trim(params[len(args)], "[]")
			switch {
			case (strings.HasPrefix(param, "KEY") || strings.HasPrefix(param, "CLUSTER")) && !newJob:
				return a.completeJobKeys(cmd.Context(), toComplete)
			case param == "CONFIG":
				return configExtensions, cobra.ShellCompDirectiveFilterFileExt
			case param == "ID" && len(args) == 1:
				return a.completeUpdateIDs(cmd.Context(), args[0], toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
	}
	walk(root)
	fixed := func(path []string, flag string, values ...string) {
		if c, _, err := root.Find(path); err == nil && c.Flags().Lookup(flag) != nil {
			_ = c.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
	}
	fixed([]string{"job", "create"}, "wait-until", string(workflows.StatusPending), string(workflows.StatusRunning), string(workflows.StatusFinished))
	statuses := make([]string, len(allUpdateStatuses))
	for i, s := range allUpdateStatuses {
		statuses[i] = string(s)
	}
	fixed([]string{"update", "list"}, "status", statuses...)
}

// completeJobKeys lists the keys of running jobs that start with prefix.
// Any failure (no Temporal, a timeout) completes nothing.
func (a *app) completeJobKeys(ctx context.Context, prefix string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := completionContext(ctx)
	defer cancel()
	tc, err := a.dial(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer tc.Close()
	keys, err := tc.runningJobKeys(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return withPrefix(keys, prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeUpdateIDs lists the ids of the job's updates that start with
// prefix, newest first, each described by its state.
func (a *app) completeUpdateIDs(ctx context.Context, key, prefix string) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := completionContext(ctx)
	defer cancel()
	tc, err := a.dial(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	defer tc.Close()
	updates, err := tc.listUpdates(ctx, key, nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, u := range updates {
		if strings.HasPrefix(u.ID, prefix) {
			out = append(out, fmt.Sprintf("%s\t%s", u.ID, u.Status))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

func completionContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, completionTimeout)
}

// withPrefix keeps the values that start with prefix.
func withPrefix(values []string, prefix string) []string {
	return slices.DeleteFunc(slices.Clone(values), func(v string) bool { return !strings.HasPrefix(v, prefix) })
}

// runningJobKeys lists the keys of the running jobs, sorted, from visibility.
func (tc *temporalConn) runningJobKeys(ctx context.Context) ([]string, error) {
	keys := []string{}
	err := tc.listWorkflows(ctx, runningJobsQuery(), func(id string) {
		if key, ok := strings.CutPrefix(id, workflows.JobWorkflowID("")); ok && !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	})
	slices.Sort(keys)
	return keys, err
}

// runningJobsQuery is the visibility query of the running jobs.
func runningJobsQuery() string {
	return fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflows.JobWorkflowName)
}
