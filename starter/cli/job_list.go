package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
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
	keys, err := tc.runningJobKeys(ctx)
	if err != nil {
		return err
	}
	// On stderr: stdout is a list of keys for scripts.
	a.printWebUIAddress(webUIQuery(tc.st, runningJobsQuery()), true)
	if o.writeJSON {
		return json.NewEncoder(a.out).Encode(keys)
	}
	for _, k := range keys {
		fmt.Fprintln(a.out, k)
	}
	return nil
}
