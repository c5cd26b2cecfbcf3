// Package cli holds the borealis commands, one file per verb: an options
// struct, a constructor and a run function. Output goes to the command's
// writers, so tests drive the real commands with SetArgs and Execute.
package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/borealis-dev/borealis/config/settings"
)

// app is what every command shares: its streams and the lazily loaded settings.
type app struct {
	in       io.Reader
	out, err io.Writer
	root     *cobra.Command
	settings *settings.Settings
	// openBrowser is --open-browser: open the Web UI addresses shown.
	openBrowser bool
	browser     *browserOpener
}

// loadSettings reads the settings once, from flags, environment and file.
func (a *app) loadSettings() (*settings.Settings, error) {
	if a.settings != nil {
		return a.settings, nil
	}
	st, err := settings.Load(a.root.PersistentFlags())
	if err != nil {
		return nil, withCode(ExitInvalidParameter, err)
	}
	a.settings = st
	for _, n := range st.Notes {
		fmt.Fprintln(a.err, "note:", n)
	}
	return st, nil
}

// NewRoot builds the borealis command tree writing to out and errOut.
func NewRoot(in io.Reader, out, errOut io.Writer) *cobra.Command {
	a := &app{in: in, out: out, err: errOut, browser: newBrowserOpener()}
	root := &cobra.Command{
		Use:   "borealis",
		Short: "Aurora's long-running services and safe job updates on Temporal and Docker",
		Long: `borealis runs Apache Aurora jobs as Docker containers kept alive and updated by
durable Temporal workflows. It speaks Aurora's client grammar:

  borealis job create devcluster/www-data/prod/hello examples/jobs/hello_world.aurora
  borealis job status devcluster/www-data/prod/hello
  borealis update start devcluster/www-data/prod/hello new.aurora --wait

Commands that wait show a progress bar on a terminal and plain lines
elsewhere. Shell completion: borealis completion bash|zsh|fish --help.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return withCode(ExitInvalidCommand, err)
	})
	settings.AddFlags(root.PersistentFlags())
	hideWorkerFlags(root.PersistentFlags())
	root.PersistentFlags().BoolVar(&a.openBrowser, "open-browser", false,
		"open the Temporal Web UI page a command shows in a browser ($BROWSER or xdg-open)")
	a.root = root

	job := &cobra.Command{Use: "job", Short: "Create, inspect and control jobs"}
	job.AddCommand(
		newJobCreateCommand(a),
		newJobStatusCommand(a),
		newJobListCommand(a),
		newJobKillCommand(a),
		newJobKillAllCommand(a),
		newJobRestartCommand(a),
		newJobAddCommand(a),
		newJobEndpointsCommand(a),
		newJobInspectCommand(a),
		newJobDiffCommand(a),
	)
	task := &cobra.Command{Use: "task", Short: "Run commands in, open shells in and read logs of tasks"}
	task.AddCommand(newTaskRunCommand(a), newTaskSSHCommand(a), newTaskLogsCommand(a))
	cfg := &cobra.Command{Use: "config", Short: "Borealis's own settings"}
	cfg.AddCommand(newConfigShowCommand(a), newConfigReferenceCommand(a))
	root.AddCommand(job, newUpdateCommand(a), newCronCommand(a), task, cfg)
	for _, c := range root.Commands() {
		c.RunE = runGroup
	}
	addVersion(a, root)
	addKeyCompletion(a, root)
	initDefaultCommands(root)
	return root
}

// cliSettings are the settings the CLI reads: how to reach Temporal (and
// which task queue its worker polls, where the Web UI is). Every other
// setting is the worker's (Docker, data directory, runner, ports, flapping
// back-off, SLA checks, metrics, log level).
var cliSettings = []string{
	settings.KeyTemporalAddress, settings.KeyTemporalNamespace, settings.KeyTemporalTaskQueue,
	settings.KeyTemporalAPIKey, settings.KeyTemporalTLSCert, settings.KeyTemporalTLSKey,
	settings.KeyTemporalTLSCA, settings.KeyTemporalTLSServer, settings.KeyWebUI,
	// The schedules the CLI makes keep missed times this long.
	settings.KeyCronCatchupWindow,
}

// hideWorkerFlags hides, of the flags settings.AddFlags declared on fs,
// those of the settings the CLI does not read, from its help and its flag
// completion. They stay declared, so that they still parse and still reach
// settings.Load, which validates every setting (from flags, BOREALIS_* and
// borealis.yaml alike), and config show still says where each came from.
func hideWorkerFlags(fs *pflag.FlagSet) {
	shown := map[string]bool{"config": true}
	for _, k := range cliSettings {
		shown[settings.FlagName(k)] = true
	}
	fs.VisitAll(func(f *pflag.Flag) {
		if !shown[f.Name] {
			f.Hidden = true
		}
	})
}

// initDefaultCommands adds cobra's help and completion commands now rather
// than at Execute, so they get examples and show in the tree like the rest.
func initDefaultCommands(root *cobra.Command) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  borealis help job create\n  borealis job create --help"
		case "completion":
			c.Short = "Print the shell completion script for bash, zsh, fish or powershell"
			c.Long += `
Completion covers commands, flags, the job keys of running jobs (asked of
Temporal, with a short timeout) and config files (.aurora, .yaml, .yml, .json).
`
			c.Example = "  source <(borealis completion bash)\n  borealis completion fish > ~/.config/fish/completions/borealis.fish"
			for _, sh := range c.Commands() {
				sh.Example = completionExamples[sh.Name()]
			}
		}
	}
}

// completionExamples show how to load each shell's completion script.
var completionExamples = map[string]string{
	"bash": `  source <(borealis completion bash)                       # this shell only
  borealis completion bash > /etc/bash_completion.d/borealis   # every new shell`,
	"zsh": `  source <(borealis completion zsh)                        # this shell only
  borealis completion zsh > "${fpath[1]}/_borealis"           # every new shell`,
	"fish": `  borealis completion fish | source                        # this shell only
  borealis completion fish > ~/.config/fish/completions/borealis.fish`,
	"powershell": `  borealis completion powershell | Out-String | Invoke-Expression`,
}

// runGroup runs a command group (`borealis job`) given no known sub-command:
// help when it has no arguments, exit code 5 for an unknown sub-command.
func runGroup(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return errorf(ExitInvalidCommand, "unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return cmd.Help()
}

// exactArgs is cobra.ExactArgs with the invalid-command exit code and usage.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			what := "arguments"
			if n == 1 {
				what = "argument"
			}
			return errorf(ExitInvalidCommand, "%s takes %d %s, got %d\nusage: %s", cmd.CommandPath(), n, what, len(args), cmd.UseLine())
		}
		return nil
	}
}

// rangeArgs is cobra.RangeArgs with the invalid-command exit code and usage.
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return errorf(ExitInvalidCommand, "%s takes %d to %d arguments, got %d\nusage: %s", cmd.CommandPath(), lo, hi, len(args), cmd.UseLine())
		}
		return nil
	}
}

// Main runs the CLI with args and returns the process exit code.
func Main(args []string, in io.Reader, out, errOut io.Writer) int {
	root := NewRoot(in, out, errOut)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(errOut, "Error:", err)
	code := exitCode(err)
	var ee *ExitError
	if code == ExitUnknown && !errors.As(err, &ee) && strings.HasPrefix(err.Error(), "unknown command") {
		code = ExitInvalidCommand
	}
	return code
}
