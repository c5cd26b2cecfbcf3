// Command borealis-runner runs a Borealis task inside its container: it reads
// the task spec the worker wrote into the sandbox and runs the processes as
// Aurora's Thermos would (see package runner for the behaviour, the state
// file and the exit codes).
//
// Usage:
//
//	borealis-runner [-sandbox DIR] [-spec PATH]
//
// -sandbox is the processes' working directory (default "."); -spec the task
// spec (default <sandbox>/.borealis/task.json). Exit codes: 0 success, 1
// task failed, 2 bad spec or sandbox, 143 terminated by SIGTERM or SIGINT
// before success.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/borealis-dev/borealis/runner"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("borealis-runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sandbox := fs.String("sandbox", ".", "the task's sandbox, the processes' working directory")
	specPath := fs.String("spec", "", "the task spec (default <sandbox>/"+runner.SpecFile+")")
	if err := fs.Parse(args); err != nil {
		return runner.ExitBadSpec
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "borealis-runner: unexpected arguments %q\n", fs.Args())
		return runner.ExitBadSpec
	}
	if *specPath == "" {
		*specPath = filepath.Join(*sandbox, runner.SpecFile)
	}
	spec, err := runner.LoadSpec(*specPath)
	if err != nil {
		fmt.Fprintf(stderr, "borealis-runner: %v\n", err)
		return runner.ExitBadSpec
	}

	if os.Getpid() != 1 {
		// Orphans of the task's processes come to the runner, as to PID 1.
		const prSetChildSubreaper = 36
		_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	r := &runner.Runner{
		Spec:        spec,
		Sandbox:     *sandbox,
		Stdout:      stdout,
		Stderr:      stderr,
		Logger:      slog.New(slog.NewTextHandler(stderr, nil)).With("component", "borealis-runner"),
		ReapOrphans: true,
	}
	state, err := r.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "borealis-runner: %v\n", err)
		return runner.ExitBadSpec
	}
	return *state.ExitCode
}
