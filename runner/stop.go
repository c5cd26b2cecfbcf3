package runner

import (
	"syscall"
	"time"
)

// stop stops the running processes among procs: SIGTERM to each process
// group, SIGKILL to what still runs after grace (at once when grace <= 0),
// and a bounded wait for the killed to be reaped.
func (t *task) stop(procs []*proc, grace time.Duration) {
	sig := syscall.SIGTERM
	if grace <= 0 {
		sig = syscall.SIGKILL
	}
	if !t.signalRunning(procs, sig) {
		return
	}
	if sig == syscall.SIGTERM && !t.awaitExits(procs, grace) {
		t.signalRunning(procs, syscall.SIGKILL)
	}
	if !t.awaitExits(procs, killWait) {
		for _, p := range procs {
			if p.running {
				t.log.Error("process did not die after SIGKILL", "process", p.spec.Name, "pid", p.st.PID)
				p.running, p.stopping = false, false
				p.st.State = ProcessKilled
			}
		}
		t.save()
	}
}

// signalRunning sends sig to the running processes among procs and reports
// whether there were any.
func (t *task) signalRunning(procs []*proc, sig syscall.Signal) bool {
	any := false
	for _, p := range procs {
		if p.running {
			any = true
			p.stopping = true
			t.log.Info("stopping process", "process", p.spec.Name, "pid", p.st.PID, "signal", sig)
			signalGroup(p.st.PID, sig)
		}
	}
	return any
}

// awaitExits handles exits until none of procs runs or d has passed, and
// reports whether none runs.
func (t *task) awaitExits(procs []*proc, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		running := false
		for _, p := range procs {
			running = running || p.running
		}
		if !running {
			return true
		}
		select {
		case m := <-t.exits:
			t.handleExit(m)
		case <-timer.C:
			return false
		}
	}
}
