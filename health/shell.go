package health

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Execer runs a command and reports how it ended. The Docker layer
// implements it with `docker exec` into the task's container.
//
// Exec returns the command's exit code and its combined output. err is for
// failures to run the command at all (no such container, daemon down); a
// command that runs and exits non-zero is not an error. When ctx is done,
// Exec must stop the command and return promptly.
type Execer interface {
	Exec(ctx context.Context, cmd []string) (exitCode int, output string, err error)
}

// ExecFunc adapts a function to [Execer].
type ExecFunc func(ctx context.Context, cmd []string) (exitCode int, output string, err error)

// Exec calls f(ctx, cmd).
func (f ExecFunc) Exec(ctx context.Context, cmd []string) (int, string, error) { return f(ctx, cmd) }

// ReasonTimedOut is the reason of a shell check that ran out of time.
const ReasonTimedOut = "Health check timed out."

// RunnerCheckTimedOut is the exit code of `borealis-runner check` when the
// command ran out of time and its process group was killed
// (runner.ExitCheckTimedOut, timeout(1)'s; health imports no Borealis
// package).
const RunnerCheckTimedOut = 124

// RunnerCheckSlack is how much longer than its Timeout a [ShellChecker] with
// a Runner waits for the Execer: the runner enforces Timeout inside the
// container, and docker exec needs a moment to start it and to report.
const RunnerCheckSlack = 2 * time.Second

// ShellCommand returns the argument vector that runs command through the
// shell: /bin/sh -c command.
func ShellCommand(command string) []string {
	return []string{"/bin/sh", "-c", command}
}

// ShellChecker is Aurora's ShellHealthChecker: it runs Command with
// /bin/sh -c through Execer; exit status 0 is healthy.
//
// With Runner set, the command runs under `<Runner> check --timeout <secs>
// -- /bin/sh -c <Command>`: borealis-runner, inside the container, runs it in
// its own process group and SIGKILLs the whole group when Timeout passes,
// exiting [RunnerCheckTimedOut], so that a check that times out leaves no
// process behind (cancelling a docker exec does not stop its process).
type ShellChecker struct {
	// Execer runs the command, normally inside the task's container. It
	// must not be nil.
	Execer Execer
	// Command is the shell_command with its templates already filled in.
	Command string
	// Timeout bounds the command; 0 means only ctx does.
	Timeout time.Duration
	// Runner is the path of borealis-runner where Execer runs commands (in
	// a task container, /.borealis/runner); empty runs /bin/sh directly.
	Runner string
}

// Argv returns the command the checker runs: [ShellCommand] of Command,
// under `Runner check` when Runner is set.
func (s *ShellChecker) Argv() []string {
	sh := ShellCommand(s.Command)
	if s.Runner == "" {
		return sh
	}
	secs := strconv.FormatFloat(max(s.Timeout, 0).Seconds(), 'f', -1, 64)
	return append([]string{s.Runner, "check", "--timeout", secs, "--"}, sh...)
}

// Check runs the command once. A non-zero exit is unhealthy with the exit
// status and the end of the output in the reason; running out of Timeout is
// unhealthy with [ReasonTimedOut] (with a Runner: the runner's
// [RunnerCheckTimedOut], or no answer within Timeout plus
// [RunnerCheckSlack]); a failure to run the command is unhealthy with that
// error.
func (s *ShellChecker) Check(ctx context.Context) Outcome {
	cctx := ctx
	if s.Timeout > 0 {
		wait := s.Timeout
		if s.Runner != "" {
			wait += RunnerCheckSlack
		}
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	code, output, err := s.Execer.Exec(cctx, s.Argv())
	if err == nil && code == 0 {
		return Outcome{Healthy: true}
	}
	if err == nil && s.Runner != "" && code == RunnerCheckTimedOut {
		return Outcome{Reason: ReasonTimedOut}
	}
	// Our own deadline expired while the caller's context is still live.
	if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
		return Outcome{Reason: ReasonTimedOut}
	}
	if err != nil {
		return Outcome{Reason: fmt.Sprintf("Error executing health check command: %v", err)}
	}
	reason := fmt.Sprintf("Command '%s' returned non-zero exit status %d.", s.Command, code)
	if out := strings.TrimSpace(output); out != "" {
		reason += " Output: " + shortenTail(out, maxReasonText)
	}
	return Outcome{Reason: reason}
}
