package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/internal/version"
)

// addVersion gives root the version command and the --version flag. Both
// print version.Line, and neither needs settings or Temporal.
func addVersion(a *app, root *cobra.Command) {
	root.Version = version.Get().String()
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	// Declared here rather than by cobra, which would also take -v.
	root.Flags().Bool("version", false, "print borealis's version, Go release and workflows number")
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print borealis's version, Go release and workflows number",
		Long: `Print borealis's version (a release, or the commit it was built from), the Go
release that built it and its workflows number, the highest workflow version it
knows. A worker with another workflows number makes commands warn that one may
send workflow inputs the other does not understand (docs/operations.md).`,
		Example: "  borealis version\n  borealis --version",
		Args:    exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(a.out, version.Line("borealis"))
			return err
		},
	})
}
