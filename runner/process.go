package runner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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

// spawn starts one run of p: `<shell> -c <cmdline>` in its own process group
// in the sandbox, stdin from /dev/null, stdout and stderr appended to the
// process's log files and copied to the runner's own outputs.
func (t *task) spawn(p *proc) (int, error) {
	logBase := filepath.Join(t.sandbox, LogDir, p.spec.Name)
	outLog, err := os.OpenFile(logBase+".stdout", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, fmt.Errorf("open log: %w", err)
	}
	errLog, err := os.OpenFile(logBase+".stderr", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		outLog.Close()
		return 0, fmt.Errorf("open log: %w", err)
	}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		outLog.Close()
		errLog.Close()
		return 0, err
	}
	defer devNull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		outLog.Close()
		errLog.Close()
		return 0, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outLog.Close()
		errLog.Close()
		outR.Close()
		outW.Close()
		return 0, err
	}

	attr := &os.ProcAttr{
		Dir:   t.sandbox,
		Env:   os.Environ(),
		Files: []*os.File{devNull, outW, errW},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	argv := []string{t.shell, "-c", p.spec.Cmdline}
	pid, err := startChild(t.reapAll, argv, attr, func(st exitStatus) {
		t.exits <- exitMsg{proc: p, status: st}
	})
	// The child holds its own copies of the write ends.
	outW.Close()
	errW.Close()
	if err != nil {
		outLog.Close()
		errLog.Close()
		outR.Close()
		errR.Close()
		return 0, err
	}
	t.copyOutput(outR, outLog, t.stdout)
	t.copyOutput(errR, errLog, t.stderr)
	return pid, nil
}

// copyOutput copies a run's output to its log file as it comes and, whole
// lines at a time, to sink. It ends when every holder of the pipe's write end
// (the run and any background children) has closed it.
func (t *task) copyOutput(r *os.File, logFile *os.File, sink *lineSink) {
	t.copiers.Add(1)
	go func() {
		defer t.copiers.Done()
		defer r.Close()
		defer logFile.Close()
		lw := &lineWriter{sink: sink}
		buf := make([]byte, 32*1024)
		logOK := true
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if logOK {
					if _, werr := logFile.Write(buf[:n]); werr != nil {
						// Keep draining the pipe so the process never blocks.
						logOK = false
						t.log.Error("write process log", "file", logFile.Name(), "err", werr)
					}
				}
				lw.write(buf[:n])
			}
			if err != nil {
				break
			}
		}
		lw.flush()
	}()
}

// lineSink serializes whole lines from many processes onto one writer.
type lineSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *lineSink) write(b []byte) {
	if s == nil || s.w == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.w.Write(b) // a closed stdout must not stop the task
}

// lineWriter buffers a partial line until its newline arrives.
type lineWriter struct {
	sink *lineSink
	buf  []byte
}

const maxLine = 64 * 1024

func (l *lineWriter) write(b []byte) {
	if l.sink == nil {
		return
	}
	l.buf = append(l.buf, b...)
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		l.sink.write(l.buf[:i+1])
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
	}
	if len(l.buf) >= maxLine {
		l.flush()
	}
}

func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.sink.write(append(l.buf, '\n'))
		l.buf = l.buf[:0]
	}
}
