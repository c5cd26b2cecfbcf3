// Command borealis-runner runs a Borealis task inside its container: it reads
// the task spec the worker wrote into the sandbox and runs the processes as
// Aurora's Thermos would (see package runner for the behaviour, the state
// file and the exit codes).
//
// Usage:
//
//	borealis-runner [-sandbox DIR] [-spec PATH]
//	borealis-runner check [--timeout SECS] -- ARGV...
//
// -sandbox is the processes' working directory (default "."); -spec the task
// spec (default <sandbox>/.borealis/task.json). Exit codes: 0 success, 1
// task failed, 2 bad spec or sandbox, 143 terminated by SIGTERM or SIGINT
// before success.
//
// `check` runs one health check (runner.Check): ARGV in its own process
// group, stdin from /dev/null, stdout and stderr both to the runner's
// stdout. --timeout (seconds, fractions allowed; 0, the default, means none)
// bounds it: then the whole process group is SIGKILLed and the exit code is
// 124, as timeout(1)'s. Otherwise the exit code is the command's (128+N when
// signal N ended it), and what the command left in its group is SIGKILLed.
// 125 means the check was called wrongly, 126 that the command could not be
// started, 127 that it does not exist, 143 that SIGTERM or SIGINT stopped
// the check (its group SIGKILLed too). The worker runs every shell health
// check this way, through `docker exec`, which cannot kill what it started.
//
// Either way the runner first sets its umask to 007 (runner.Umask): what it
// and the task's processes make is never readable by "other".
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/borealis-dev/borealis/runner"
)

func main() {
	syscall.Umask(runner.Umask)
	if len(os.Args) > 1 && os.Args[1] == "check" {
		os.Exit(check(os.Args[2:], os.Stdout))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// check is `borealis-runner check [--timeout SECS] -- ARGV...`; usage
// errors go to out, as the check's output.
func check(args []string, out *os.File) int {
	fs := flag.NewFlagSet("borealis-runner check", flag.ContinueOnError)
	fs.SetOutput(out)
	secs := fs.Float64("timeout", 0, "seconds after which the command's process group is SIGKILLed (0: never)")
	if err := fs.Parse(args); err != nil {
		return runner.ExitCheckUsage
	}
	if *secs < 0 || math.IsNaN(*secs) || math.IsInf(*secs, 0) || *secs > math.MaxInt64/float64(time.Second) {
		fmt.Fprintf(out, "borealis-runner check: --timeout %v is not a number of seconds >= 0\n", *secs)
		return runner.ExitCheckUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return runner.Check(ctx, fs.Args(), time.Duration(*secs*float64(time.Second)), out)
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
