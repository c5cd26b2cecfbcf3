package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

type jobListOptions struct {
	writeJSON bool
}

func newJobListCommand(a *app) *cobra.Command {
	var o jobListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the jobs that are running",
		Example: `  borealis job list
  borealis job list --write-json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runJobList(cmd.Context(), a, o) },
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print a JSON array of job keys")
	return cmd
}

func runJobList(ctx context.Context, a *app, o jobListOptions) error {
	tc, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflows.JobWorkflowName)
	keys := []string{}
	err = tc.listWorkflows(ctx, query, func(id string) {
		if key, ok := strings.CutPrefix(id, workflows.JobWorkflowID("")); ok && !slices.Contains(keys, key) {
			keys = append(keys, key)
		}
	})
	if err != nil {
		return err
	}
	slices.Sort(keys)
	if o.writeJSON {
		return json.NewEncoder(a.out).Encode(keys)
	}
	for _, k := range keys {
		fmt.Fprintln(a.out, k)
	}
	return nil
}
