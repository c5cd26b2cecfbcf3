package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Exit codes of `borealis-runner check` ([Check]) besides the command's
// own, timeout(1)'s.
const (
	// ExitCheckTimedOut: the command ran out of time; its process group
	// was SIGKILLed. A command that exits 124 itself looks the same.
	ExitCheckTimedOut = 124
	// ExitCheckUsage: the check itself was called wrongly (no command, a
	// bad --timeout).
	ExitCheckUsage = 125
	// ExitCheckCannotRun: the command exists but could not be started.
	ExitCheckCannotRun = 126
	// ExitCheckNotFound: the command does not exist.
	ExitCheckNotFound = 127
)

// Check runs argv as one health check and returns the exit code of
// `borealis-runner check`: the command runs in its own process group, with
// stdin from /dev/null and its stdout and stderr both on out. When it exits
// the code is its own (128+N when signal N ended it); whatever it left
// running in its process group is then SIGKILLed, so a check leaves nothing
// behind. When timeout (> 0) passes first, the whole process group is
// SIGKILLed and the code is [ExitCheckTimedOut]; when ctx ends first (the
// checker got SIGTERM), likewise, with [ExitTerminated]. The runner's own
// complaints also go to out, one line each.
//
// This is what `docker exec` cannot do: stopping an exec's client leaves its
// process running in the container. A process that leaves the group (setsid)
// escapes the kill.
func Check(ctx context.Context, argv []string, timeout time.Duration, out *os.File) int {
	if len(argv) == 0 {
		fmt.Fprintln(out, "borealis-runner check: no command given")
		return ExitCheckUsage
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(out, "borealis-runner check: %v\n", err)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
			return ExitCheckNotFound
		}
		return ExitCheckCannotRun
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		fmt.Fprintf(out, "borealis-runner check: %v\n", err)
		return ExitCheckCannotRun
	}
	p, err := os.StartProcess(path, argv, &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{devNull, out, out},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	devNull.Close()
	if err != nil {
		fmt.Fprintf(out, "borealis-runner check: %v\n", err)
		if errors.Is(err, fs.ErrNotExist) {
			return ExitCheckNotFound
		}
		return ExitCheckCannotRun
	}
	exited := make(chan exitStatus, 1)
	go func() {
		ps, err := p.Wait()
		if err != nil { // cannot happen: nothing else waits for it
			exited <- exitStatus{code: 128 + int(syscall.SIGKILL), signal: syscall.SIGKILL}
			return
		}
		exited <- statusOf(ps.Sys().(syscall.WaitStatus))
	}()

	var expired <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expired = timer.C
	}
	select {
	case st := <-exited:
		signalGroup(p.Pid, syscall.SIGKILL) // what the command left behind
		return st.code
	case <-expired:
		killCheck(p.Pid, exited)
		fmt.Fprintf(out, "borealis-runner check: timed out after %v; killed process group %d\n", timeout, p.Pid)
		return ExitCheckTimedOut
	case <-ctx.Done():
		killCheck(p.Pid, exited)
		fmt.Fprintf(out, "borealis-runner check: terminated; killed process group %d\n", p.Pid)
		return ExitTerminated
	}
}

// killCheck SIGKILLs the check's process group and waits, at most killWait,
// for its leader to be reaped.
func killCheck(pgid int, exited <-chan exitStatus) {
	signalGroup(pgid, syscall.SIGKILL)
	select {
	case <-exited:
	case <-time.After(killWait):
	}
}
