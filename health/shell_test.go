package health

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeExecer records the commands it is given and answers with a fixed
// result, or runs block when set.
type fakeExecer struct {
	mu     sync.Mutex
	cmds   [][]string
	code   int
	output string
	err    error
	block  func(ctx context.Context) (int, string, error)
}

func (f *fakeExecer) Exec(ctx context.Context, cmd []string) (int, string, error) {
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	if f.block != nil {
		return f.block(ctx)
	}
	return f.code, f.output, f.err
}

// waitForCancel is an Exec body that runs until its context is done, as a
// hung health command does, and then reports how it was stopped.
func waitForCancel(code int, err bool) func(ctx context.Context) (int, string, error) {
	return func(ctx context.Context) (int, string, error) {
		<-ctx.Done()
		if err {
			return -1, "", ctx.Err()
		}
		return code, "", nil
	}
}

func TestShellCheckerVerdicts(t *testing.T) {
	longOutput := strings.Repeat("x", 2*maxReasonText) + "the end"
	tests := []struct {
		name       string
		fake       *fakeExecer
		wantReason string
	}{
		{"exit 0", &fakeExecer{code: 0, output: "fine\n"}, ""},
		{"exit 1 with output", &fakeExecer{code: 1, output: "  not ready\n"},
			"Command 'check-it' returned non-zero exit status 1. Output: not ready"},
		{"exit 2 without output", &fakeExecer{code: 2},
			"Command 'check-it' returned non-zero exit status 2."},
		{"long output keeps its end", &fakeExecer{code: 1, output: longOutput},
			"Command 'check-it' returned non-zero exit status 1. Output: ..." + longOutput[len(longOutput)-maxReasonText:]},
		{"exec error", &fakeExecer{err: errors.New("no such container: web-0")},
			"Error executing health check command: no such container: web-0"},
		{"exec error with exit 0", &fakeExecer{code: 0, err: errors.New("daemon down")},
			"Error executing health check command: daemon down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &ShellChecker{Execer: tt.fake, Command: "check-it", Timeout: time.Second}
			got := s.Check(context.Background())
			assert.Equal(t, Outcome{Healthy: tt.wantReason == "", Reason: tt.wantReason}, got)
			assert.Equal(t, [][]string{{"/bin/sh", "-c", "check-it"}}, tt.fake.cmds)
		})
	}
}

func TestShellCheckerTimeout(t *testing.T) {
	for name, block := range map[string]func(context.Context) (int, string, error){
		"execer returns the context error":  waitForCancel(0, true),
		"execer reports the killed command": waitForCancel(137, false),
	} {
		t.Run(name, func(t *testing.T) {
			s := &ShellChecker{Execer: &fakeExecer{block: block}, Command: "sleep 100", Timeout: 50 * time.Millisecond}
			assert.Equal(t, Outcome{Reason: ReasonTimedOut}, s.Check(context.Background()))
		})
	}
	t.Run("caller cancels", func(t *testing.T) {
		s := &ShellChecker{Execer: &fakeExecer{block: waitForCancel(0, true)}, Command: "sleep 100", Timeout: time.Minute}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got := s.Check(ctx)
		assert.False(t, got.Healthy)
		assert.Equal(t, "Error executing health check command: context canceled", got.Reason)
	})
}

// localExecer runs commands on this machine with os/exec: the same contract
// the Docker layer meets with docker exec.
type localExecer struct{}

func (localExecer) Exec(ctx context.Context, cmd []string) (int, string, error) {
	c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
	c.WaitDelay = 100 * time.Millisecond // do not wait for children holding the output open
	out, err := c.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out), nil
	case ctx.Err() != nil:
		return -1, string(out), ctx.Err()
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out), nil
	default:
		return -1, string(out), err
	}
}

func TestShellCheckerRealShell(t *testing.T) {
	if _, err := exec.LookPath("/bin/sh"); err != nil {
		t.Skip("no /bin/sh on this machine")
	}
	check := func(command string, timeout time.Duration) Outcome {
		s := &ShellChecker{Execer: localExecer{}, Command: command, Timeout: timeout}
		return s.Check(context.Background())
	}
	assert.Equal(t, Outcome{Healthy: true}, check("test 1 -eq 1 && echo fine", 5*time.Second))
	assert.Equal(t, Outcome{Reason: "Command 'echo broken >&2; exit 3' returned non-zero exit status 3. Output: broken"},
		check("echo broken >&2; exit 3", 5*time.Second))
	assert.Equal(t, Outcome{Reason: "Command 'exit 1' returned non-zero exit status 1."}, check("exit 1", 5*time.Second))

	start := time.Now()
	assert.Equal(t, Outcome{Reason: ReasonTimedOut}, check("sleep 30", 200*time.Millisecond))
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestExecFunc(t *testing.T) {
	var got []string
	s := &ShellChecker{Command: "true", Execer: ExecFunc(func(_ context.Context, cmd []string) (int, string, error) {
		got = cmd
		return 0, "", nil
	})}
	assert.Equal(t, Outcome{Healthy: true}, s.Check(context.Background()))
	assert.Equal(t, ShellCommand("true"), got)
}

func TestShellCheckerThroughTheRunner(t *testing.T) {
	fake := &fakeExecer{code: 0}
	s := &ShellChecker{Execer: fake, Command: "check-it", Timeout: 1500 * time.Millisecond, Runner: "/.borealis/runner"}
	assert.Equal(t, Outcome{Healthy: true}, s.Check(context.Background()))
	assert.Equal(t, [][]string{{"/.borealis/runner", "check", "--timeout", "1.5", "--", "/bin/sh", "-c", "check-it"}}, fake.cmds)

	noTimeout := &ShellChecker{Command: "x", Runner: "/r"}
	assert.Equal(t, []string{"/r", "check", "--timeout", "0", "--", "/bin/sh", "-c", "x"}, noTimeout.Argv())
}

func TestShellCheckerRunnerVerdicts(t *testing.T) {
	tests := []struct {
		name       string
		runner     string
		code       int
		wantReason string
	}{
		{"the runner timed the command out", "/r", RunnerCheckTimedOut, ReasonTimedOut},
		{"other exits are the command's", "/r", 3, "Command 'check-it' returned non-zero exit status 3. Output: out"},
		{"124 without a runner is the command's", "", RunnerCheckTimedOut, "Command 'check-it' returned non-zero exit status 124. Output: out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &ShellChecker{Execer: &fakeExecer{code: tt.code, output: "out\n"}, Command: "check-it", Timeout: time.Second, Runner: tt.runner}
			assert.Equal(t, Outcome{Reason: tt.wantReason}, s.Check(context.Background()))
		})
	}
}

func TestShellCheckerWaitsForTheRunner(t *testing.T) {
	// The runner enforces the timeout inside the container, so the checker
	// gives the exec a slack beyond it to report.
	var left time.Duration
	fake := &fakeExecer{block: func(ctx context.Context) (int, string, error) {
		deadline, _ := ctx.Deadline()
		left = time.Until(deadline)
		return RunnerCheckTimedOut, "", nil
	}}
	s := &ShellChecker{Execer: fake, Command: "sleep 100", Timeout: time.Second, Runner: "/r"}
	assert.Equal(t, Outcome{Reason: ReasonTimedOut}, s.Check(context.Background()))
	assert.Greater(t, left, time.Second+RunnerCheckSlack/2)
	assert.LessOrEqual(t, left, time.Second+RunnerCheckSlack)

	// An exec that does not answer in time is still a timeout.
	s.Execer = &fakeExecer{block: waitForCancel(0, true)}
	s.Timeout = 10 * time.Millisecond
	assert.Equal(t, Outcome{Reason: ReasonTimedOut}, s.Check(context.Background()))
}
