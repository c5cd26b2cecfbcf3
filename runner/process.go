package runner

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// exitStatus is how one run ended.
type exitStatus struct {
	code   int            // exit code, 128+signal when signalled
	signal syscall.Signal // 0 unless a signal ended the run
}

func (e exitStatus) success() bool { return e.code == 0 && e.signal == 0 }

func statusOf(ws syscall.WaitStatus) exitStatus {
	if ws.Signaled() {
		return exitStatus{code: 128 + int(ws.Signal()), signal: ws.Signal()}
	}
	return exitStatus{code: ws.ExitStatus()}
}

// startChild starts a child process and calls onExit once when it ends.
//
// Without reapAll it waits for that child alone, which is safe in any
// process (tests included). With reapAll the package's reaper collects every
// child of the process, orphans re-parented to it included, and hands the
// statuses of the children started here to their callbacks: what a runner
// that is PID 1 (or a child subreaper) must do.
func startChild(reapAll bool, argv []string, attr *os.ProcAttr, onExit func(exitStatus)) (int, error) {
	if !reapAll {
		p, err := os.StartProcess(argv[0], argv, attr)
		if err != nil {
			return 0, err
		}
		go func() {
			ps, err := p.Wait()
			if err != nil {
				// Only possible if someone else reaped the child.
				onExit(exitStatus{code: 128 + int(syscall.SIGKILL), signal: syscall.SIGKILL})
				return
			}
			onExit(statusOf(ps.Sys().(syscall.WaitStatus)))
		}()
		return p.Pid, nil
	}

	reaper.once.Do(startReaper)
	// Holding the lock across the start keeps the reaper from dropping an
	// exit that comes before the callback is registered.
	reaper.mu.Lock()
	defer reaper.mu.Unlock()
	p, err := os.StartProcess(argv[0], argv, attr)
	if err != nil {
		return 0, err
	}
	pid := p.Pid
	reaper.waiting[pid] = onExit
	_ = p.Release() // the reaper, not os.Process, waits for it
	return pid, nil
}

// reaper collects every child of the process (see startChild).
var reaper struct {
	once    sync.Once
	mu      sync.Mutex
	waiting map[int]func(exitStatus)
}

func startReaper() {
	reaper.waiting = make(map[int]func(exitStatus))
	sigchld := make(chan os.Signal, 1)
	signal.Notify(sigchld, syscall.SIGCHLD)
	go func() {
		// The ticker is a safety net; SIGCHLD normally wakes the loop.
		tick := time.NewTicker(time.Second)
		for {
			select {
			case <-sigchld:
			case <-tick.C:
			}
			reapAll()
		}
	}()
}

func reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		reaper.mu.Lock()
		onExit := reaper.waiting[pid]
		delete(reaper.waiting, pid)
		reaper.mu.Unlock()
		if onExit != nil { // else an orphan: reaping it was the point
			onExit(statusOf(ws))
		}
	}
}

// signalGroup sends sig to the process group led by pgid.
func signalGroup(pgid int, sig syscall.Signal) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, sig)
	}
}

// spawn starts one run of p: `<shell> -c <cmdline>` (after the sandbox's
// [ProfileFile], if any: see [task.command]) in its own process group in the
// sandbox, stdin from /dev/null, stdout and stderr appended to the
// process's log files and copied to the runner's own outputs.
func (t *task) spawn(p *proc) (int, error) {
	if err := p.outLog.open(); err != nil {
		return 0, err
	}
	if err := p.errLog.open(); err != nil {
		return 0, err
	}
	dir := t.sandbox
	if t.spec.WorkDir != "" {
		dir = t.spec.WorkDir
	}
	argv, err := t.command(p.spec.Cmdline, dir)
	if err != nil {
		return 0, err
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer devNull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("make stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return 0, fmt.Errorf("make stderr pipe: %w", err)
	}

	attr := &os.ProcAttr{
		Dir:   dir,
		Env:   os.Environ(),
		Files: []*os.File{devNull, outW, errW},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	pid, err := startChild(t.reapAll, argv, attr, func(st exitStatus) {
		t.exits <- exitMsg{proc: p, status: st}
	})
	// The child holds its own copies of the write ends.
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return 0, err
	}
	t.copyOutput(outR, p.outLog, t.stdout)
	t.copyOutput(errR, p.errLog, t.stderr)
	return pid, nil
}
