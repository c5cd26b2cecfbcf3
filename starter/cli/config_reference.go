package cli

import (
	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/config"
)

// newConfigReferenceCommand prints the job configuration reference, which
// package config generates from the model itself (docs/config-reference.md
// is its output, kept current by `make docs`).
func newConfigReferenceCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "reference",
		Short: "Print the job configuration reference (Markdown), generated from the job model",
		Long: `Print the reference of every job configuration object (Job, Task, Process,
HealthCheckConfig, UpdateConfig, ...): each field's type, default and meaning,
the size constants, the helpers and the template references. It is generated
from the model Borealis loads configs into, so it matches the code;
docs/config-reference.md is this output (make docs).`,
		Example: `  borealis config reference
  borealis config reference > docs/config-reference.md`,
		Args: exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			if err := config.WriteReference(a.out); err != nil {
				return withCode(ExitUnknown, err)
			}
			return nil
		},
	}
}
