package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type configShowOptions struct {
	writeJSON bool
}

func newConfigShowCommand(a *app) *cobra.Command {
	var o configShowOptions
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the effective settings and where each came from",
		Example: `  borealis config show
  BOREALIS_TEMPORAL_ADDRESS=temporal:7233 borealis config show --write-json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runConfigShow(a, o) },
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print JSON")
	return cmd
}

func runConfigShow(a *app, o configShowOptions) error {
	st, err := a.loadSettings()
	if err != nil {
		return err
	}
	entries := st.Entries()
	if o.writeJSON {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tSOURCE\tENVIRONMENT")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Key, e.Value, e.Source, e.Env)
	}
	return tw.Flush()
}
