package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/poll"

	"github.com/borealis-dev/borealis/runner"
)

// gone reports whether pid has exited: no such process, or a zombie.
func gone(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || strings.HasPrefix(strings.TrimSpace(string(data[i+1:])), "Z")
}

func TestCheckSubcommandTimesOut(t *testing.T) {
	// The command sleeps past the timeout and leaves children, one of them
	// orphaned: all of them must die with it.
	script := `sleep 300 & echo $!; (sleep 301 & echo $!); echo $$; echo to stderr >&2; exec sleep 302`
	cmd := exec.Command(build(t), "check", "--timeout", "0.5", "--", "/bin/sh", "-c", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	if code := exitCode(t, err); code != runner.ExitCheckTimedOut || runner.ExitCheckTimedOut != 124 {
		t.Errorf("exit code %d, want 124 (runner.ExitCheckTimedOut %d)", code, runner.ExitCheckTimedOut)
	}
	if took > 10*time.Second {
		t.Errorf("took %v with a 0.5 s timeout", took)
	}
	if stderr.Len() != 0 || !strings.Contains(string(out), "to stderr\n") {
		t.Errorf("stdout %q, stderr %q: want the command's stderr on stdout", out, stderr.String())
	}
	var pids []int
	for _, line := range strings.Split(string(out), "\n") {
		if pid, err := strconv.Atoi(line); err == nil {
			pids = append(pids, pid)
		}
	}
	if len(pids) != 3 {
		t.Fatalf("stdout %q: want three pids", out)
	}
	poll.UntilEvery(t, 5*time.Second, 10*time.Millisecond, "the check's processes dead", func() (bool, string) {
		for _, pid := range pids {
			if !gone(pid) {
				return false, fmt.Sprintf("process %d runs", pid)
			}
		}
		return true, ""
	})
}

func TestCheckSubcommandExitCodes(t *testing.T) {
	bin := build(t)
	for name, tc := range map[string]struct {
		args []string
		code int
		out  string
	}{
		"healthy":         {[]string{"--timeout", "5", "--", "/bin/sh", "-c", "echo fine"}, 0, "fine\n"},
		"unhealthy":       {[]string{"--timeout", "5", "--", "/bin/sh", "-c", "echo broken; exit 3"}, 3, "broken\n"},
		"no timeout":      {[]string{"--", "/bin/sh", "-c", "exit 0"}, 0, ""},
		"no command":      {[]string{"--timeout", "1"}, runner.ExitCheckUsage, "no command"},
		"bad timeout":     {[]string{"--timeout", "soon", "--", "true"}, runner.ExitCheckUsage, "invalid value"},
		"negative":        {[]string{"--timeout", "-1", "--", "true"}, runner.ExitCheckUsage, "not a number of seconds"},
		"no such command": {[]string{"--", "/nonexistent"}, runner.ExitCheckNotFound, "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(bin, append([]string{"check"}, tc.args...)...).Output()
			if code := exitCode(t, err); code != tc.code {
				t.Errorf("exit code %d, want %d; output %q", code, tc.code, out)
			}
			if !strings.Contains(string(out), tc.out) {
				t.Errorf("output %q, want %q in it", out, tc.out)
			}
		})
	}
}
