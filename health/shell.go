package health

import (
	"context"
	"errors"
	"fmt"
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

// ShellCommand returns the argument vector that runs command through the
// shell: /bin/sh -c command.
func ShellCommand(command string) []string {
	return []string{"/bin/sh", "-c", command}
}

// ShellChecker is Aurora's ShellHealthChecker: it runs Command with
// /bin/sh -c through Execer; exit status 0 is healthy.
type ShellChecker struct {
	// Execer runs the command, normally inside the task's container. It
	// must not be nil.
	Execer Execer
	// Command is the shell_command with its templates already filled in.
	Command string
	// Timeout bounds the command; 0 means only ctx does.
	Timeout time.Duration
}

// Check runs the command once. A non-zero exit is unhealthy with the exit
// status and the end of the output in the reason; running out of Timeout is
// unhealthy with [ReasonTimedOut]; a failure to run the command is
// unhealthy with that error.
func (s *ShellChecker) Check(ctx context.Context) Outcome {
	cctx := ctx
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		cctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	code, output, err := s.Execer.Exec(cctx, ShellCommand(s.Command))
	if err == nil && code == 0 {
		return Outcome{Healthy: true}
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
