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
		Use:   "list [CLUSTER[/ROLE[/ENV[/NAME]]]]",
		Short: "List the jobs that are running, all or those matching a pattern",
		Example: `  borealis job list
  borealis job list devcluster/www-data
  borealis job list 'devcluster/*/prod' --write-json`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pattern := ""
			if len(args) == 1 {
				pattern = args[0]
			}
			return runJobList(cmd.Context(), a, o, pattern)
		},
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print a JSON array of job keys")
	return cmd
}

func runJobList(ctx context.Context, a *app, o jobListOptions, pattern string) error {
	match, err := parseKeyPattern(pattern)
	if err != nil {
		return err
	}
	tc, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	keys, err := tc.runningJobKeys(ctx)
	if err != nil {
		return err
	}
	keys = match.filter(keys)
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
