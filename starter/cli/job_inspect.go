package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/jobkey"
)

// jobConfigFlags are the flags of every command that reads a job config.
type jobConfigFlags struct {
	binds []string
	// warnings are the loaded job's fields that Borealis does not act on
	// (config.Unacted), set by loadJob.
	warnings []string
}

func (f *jobConfigFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.binds, "bind", nil, "bind a template variable: --bind name=value (repeatable)")
}

// loadJob reads the config file and picks the job named by key (problems
// of the file's other jobs do not matter, as in Aurora), and keeps
// in f.warnings what the job sets that Borealis does not act on. Config
// problems exit 3, a bad key 6.
func (f *jobConfigFlags) loadJob(keyArg, path string) (*config.Job, error) {
	key, err := jobkey.Parse(keyArg)
	if err != nil {
		return nil, withCode(ExitInvalidParameter, err)
	}
	binds := map[string]string{}
	for _, b := range f.binds {
		name, value, ok := strings.Cut(b, "=")
		if !ok || name == "" {
			return nil, errorf(ExitInvalidParameter, "--bind %q: want name=value", b)
		}
		binds[name] = value
	}
	jobs, err := config.Load(path, config.LoadOptions{Binds: binds, Job: key.String()})
	if err != nil {
		return nil, withCode(ExitInvalidConfig, err)
	}
	job := jobs[0]
	f.warnings = f.warnings[:0]
	for _, w := range config.Unacted(job) {
		f.warnings = append(f.warnings, w.String())
	}
	return job, nil
}

type jobInspectOptions struct {
	jobConfigFlags
	writeJSON bool
}

func newJobInspectCommand(a *app) *cobra.Command {
	var o jobInspectOptions
	cmd := &cobra.Command{
		Use:   "inspect KEY CONFIG",
		Short: "Show the fully resolved job a config file defines",
		Example: `  borealis job inspect devcluster/www-data/prod/hello examples/jobs/hello_world.aurora
  borealis job inspect devcluster/www-data/prod/hello examples/jobs/hello_world.yaml --write-json`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return runJobInspect(a, o, args[0], args[1]) },
	}
	o.add(cmd)
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print the resolved job as JSON")
	return cmd
}

func runJobInspect(a *app, o jobInspectOptions, key, path string) error {
	job, err := o.loadJob(key, path)
	if err != nil {
		return err
	}
	printWarnings(a.err, o.warnings)
	if o.writeJSON {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(job)
	}
	printJob(a.out, job)
	return nil
}

// printJob prints a job the way Aurora's `job inspect` does.
func printJob(w io.Writer, j *config.Job) {
	fmt.Fprintln(w, "Job level information")
	fmt.Fprintf(w, "  name:       '%s'\n", j.Name)
	fmt.Fprintf(w, "  role:       '%s'\n", j.Role)
	fmt.Fprintf(w, "  contact:    '%s'\n", j.Contact)
	fmt.Fprintf(w, "  cluster:    '%s'\n", j.Cluster)
	fmt.Fprintf(w, "  instances:  '%d'\n", j.Instances)
	fmt.Fprintf(w, "  service:    %s\n", pyBool(j.Service))
	fmt.Fprintf(w, "  production: %s\n", pyBool(j.Production))
	if j.Container != nil && j.Container.Docker != nil {
		fmt.Fprintf(w, "  image:      '%s'\n", j.Container.Docker.Image)
	}
	fmt.Fprintln(w)
	t := j.Task
	if t == nil {
		return
	}
	fmt.Fprintln(w, "Task level information")
	fmt.Fprintf(w, "  name: '%s'\n", t.Name)
	if len(t.Constraints) > 0 {
		fmt.Fprintln(w, "  constraints:")
		for _, c := range t.Constraints {
			fmt.Fprintf(w, "    %s\n", strings.Join(c.Order, " < "))
		}
	}
	if r := t.Resources; r != nil {
		fmt.Fprintf(w, "  resources: cpu %s, ram %d bytes, disk %d bytes\n", strconv.FormatFloat(r.CPU, 'f', -1, 64), r.RAM, r.Disk)
	}
	fmt.Fprintln(w)
	for _, p := range t.Processes {
		fmt.Fprintf(w, "Process '%s':\n", p.Name)
		fmt.Fprintln(w, "  cmdline:")
		for _, line := range dedent(p.Cmdline) {
			fmt.Fprintf(w, "    %s\n", line)
		}
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{{p.Daemon, "daemon"}, {p.Ephemeral, "ephemeral"}, {p.Final, "final"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		if len(flags) > 0 {
			fmt.Fprintf(w, "  flags: %s\n", strings.Join(flags, ", "))
		}
		fmt.Fprintln(w)
	}
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// dedent splits a (triple-quoted) command line into lines without the
// blank lines around it and without the indentation all lines share.
func dedent(s string) []string {
	lines := strings.Split(strings.TrimRight(s, " \t\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return lines
}
