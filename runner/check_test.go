package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/poll"
)

// checkOutput runs Check with out in a temporary file and returns the exit
// code and the output.
func checkOutput(t *testing.T, ctx context.Context, timeout time.Duration, argv ...string) (int, string) {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	code := Check(ctx, argv, timeout, out)
	data, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(data)
}

// dead reports whether pid has exited: gone, or a zombie nobody reaped yet.
func dead(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || strings.HasPrefix(strings.TrimSpace(string(data[i+1:])), "Z")
}

// pidsIn returns the numbers on the lines of out, one pid each.
func pidsIn(t *testing.T, out string) []int {
	t.Helper()
	var pids []int
	for _, line := range strings.Split(out, "\n") {
		if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitDead fails the test unless every pid has exited within a few seconds
// (SIGKILL is asynchronous).
func waitDead(t *testing.T, pids []int) {
	t.Helper()
	poll.UntilEvery(t, 5*time.Second, 10*time.Millisecond, "every process of the check dead", func() (bool, string) {
		for _, pid := range pids {
			if !dead(pid) {
				return false, fmt.Sprintf("process %d runs", pid)
			}
		}
		return true, ""
	})
}

// spawner starts background sleeps (one of them orphaned by a subshell),
// prints their pids and its own, and sleeps itself.
const spawner = `sleep 300 & echo $!; sleep 301 & echo $!; (sleep 302 & echo $!); echo $$; `

func TestCheckTimeoutKillsTheProcessGroup(t *testing.T) {
	start := time.Now()
	code, out := checkOutput(t, context.Background(), 500*time.Millisecond, "/bin/sh", "-c", spawner+"exec sleep 303")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("check took %v with a 500ms timeout", took)
	}
	if code != ExitCheckTimedOut {
		t.Errorf("exit code %d, want %d", code, ExitCheckTimedOut)
	}
	if !strings.Contains(out, "timed out after 500ms") {
		t.Errorf("output %q does not say it timed out", out)
	}
	pids := pidsIn(t, out)
	if len(pids) != 4 {
		t.Fatalf("output %q: want 4 pids", out)
	}
	waitDead(t, pids)
}

func TestCheckKillsWhatACommandLeavesBehind(t *testing.T) {
	code, out := checkOutput(t, context.Background(), time.Minute, "/bin/sh", "-c", spawner+"exit 3")
	if code != 3 {
		t.Errorf("exit code %d, want the command's 3", code)
	}
	waitDead(t, pidsIn(t, out))
}

func TestCheckTerminated(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	code, out := checkOutput(t, ctx, 0, "/bin/sh", "-c", spawner+"exec sleep 303")
	if code != ExitTerminated {
		t.Errorf("exit code %d, want %d", code, ExitTerminated)
	}
	waitDead(t, pidsIn(t, out))
}

func TestCheckExitCodesAndOutput(t *testing.T) {
	for name, tc := range map[string]struct {
		argv []string
		code int
		out  string
	}{
		"success, both outputs":   {[]string{"/bin/sh", "-c", "echo to stdout; echo to stderr >&2"}, 0, "to stdout\nto stderr\n"},
		"stdin is /dev/null":      {[]string{"/bin/sh", "-c", "cat; echo read all"}, 0, "read all\n"},
		"the command's exit code": {[]string{"/bin/sh", "-c", "exit 7"}, 7, ""},
		"a signal":                {[]string{"/bin/sh", "-c", "kill -TERM $$"}, 143, ""},
		"no command":              {nil, ExitCheckUsage, "borealis-runner check: no command given\n"},
		"no such command":         {[]string{"/nonexistent/check"}, ExitCheckNotFound, "no such file"},
		"not in PATH":             {[]string{"no-such-check-command"}, ExitCheckNotFound, "not found"},
		"not executable":          {[]string{notExecutable(t)}, ExitCheckCannotRun, "permission denied"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out := checkOutput(t, context.Background(), 10*time.Second, tc.argv...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (output %q)", code, tc.code, out)
			}
			if !strings.Contains(out, tc.out) || (tc.out == "" && out != "") {
				t.Errorf("output %q, want %q", out, tc.out)
			}
		})
	}
}

// notExecutable is a file without execute permission.
func notExecutable(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
