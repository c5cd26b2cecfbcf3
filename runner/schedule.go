package runner

import (
	"syscall"
	"time"
)

// phase is a set of processes scheduled together: the regular ones, then the
// final ones.
type phase struct {
	procs          []*proc
	maxFailures    int // failed non-ephemeral processes that end the phase; 0 = unlimited
	maxConcurrency int // 0 = unlimited
	// abort, when it delivers a reason, ends the phase FAILED at once (the
	// disk limit).
	abort <-chan string
}

// outcome reports whether the phase is over and how: SUCCESS when every
// non-ephemeral process succeeded; FAILED when maxFailures of them failed or
// none of the rest can still succeed (failed or behind a failed one).
func (ph phase) outcome() (TaskStatus, bool) {
	failed, pending, progress := 0, 0, false
	for _, p := range ph.procs {
		if p.spec.Ephemeral {
			continue
		}
		switch p.st.State {
		case ProcessSuccess:
		case ProcessFailed, ProcessKilled:
			failed++
		default:
			pending++
			if !p.blocked() {
				progress = true
			}
		}
	}
	switch {
	case failed == 0 && pending == 0:
		return TaskSuccess, true
	case ph.maxFailures > 0 && failed >= ph.maxFailures:
		return TaskFailed, true
	case !progress:
		return TaskFailed, true
	}
	return TaskActive, false
}

// done reports whether p will not run again.
func (p *proc) done() bool {
	switch p.st.State {
	case ProcessSuccess, ProcessFailed, ProcessKilled:
		return true
	}
	return false
}

// blocked reports whether a process p depends on can no longer succeed.
func (p *proc) blocked() bool {
	for _, q := range p.preds {
		if q.st.State == ProcessFailed || q.st.State == ProcessKilled || q.blocked() {
			return true
		}
	}
	return false
}

func (p *proc) ready() bool {
	for _, q := range p.preds {
		if q.st.State != ProcessSuccess {
			return false
		}
	}
	return true
}

// runPhase starts the phase's processes as their constraints allow and
// handles their exits until the phase has an outcome, ph.abort gives a
// reason to fail it (outcome FAILED with that reason), or stop is closed
// (stopped).
func (t *task) runPhase(ph phase, stop <-chan struct{}) (outcome TaskStatus, reason string, stopped bool) {
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		if o, done := ph.outcome(); done {
			return o, "", false
		}
		select {
		case <-stop:
			return TaskActive, "", true
		case reason := <-ph.abort:
			return TaskFailed, reason, false
		default:
		}
		if next := t.launchReady(ph); !next.IsZero() {
			wake.Reset(time.Until(next))
		}
		if o, done := ph.outcome(); done { // a run that could not start may end the phase
			return o, "", false
		}
		select {
		case m := <-t.exits:
			t.handleExit(m)
		case <-wake.C:
		case reason := <-ph.abort:
			return TaskFailed, reason, false
		case <-stop:
			return TaskActive, "", true
		}
	}
}

// launchReady starts every process of the phase whose predecessors have
// succeeded and whose min_duration wait is over, up to maxConcurrency running
// processes. It returns when the next waiting process may run (zero if none).
func (t *task) launchReady(ph phase) time.Time {
	running := 0
	for _, p := range ph.procs {
		if p.running {
			running++
		}
	}
	var next time.Time
	for _, p := range ph.procs {
		if p.running || p.done() || !p.ready() {
			continue
		}
		if now := time.Now(); now.Before(p.restartAt) {
			if next.IsZero() || p.restartAt.Before(next) {
				next = p.restartAt
			}
			continue
		}
		if ph.maxConcurrency > 0 && running >= ph.maxConcurrency {
			break // an exit frees a slot and wakes the loop
		}
		if t.start(p) {
			running++
		} else if next.IsZero() || p.restartAt.Before(next) {
			next = p.restartAt
		}
	}
	return next
}

// start starts one run of p. A run that cannot start counts as a failed run.
func (t *task) start(p *proc) bool {
	now := time.Now()
	p.st.Runs++
	p.st.StartTimeMs = now.UnixMilli()
	p.st.NextRunTimeMs = 0
	p.st.Error = ""
	pid, err := t.spawn(p)
	if err != nil {
		t.log.Error("process could not start", "process", p.spec.Name, "err", err)
		p.st.Error = err.Error()
		p.st.ExitCode = nil
		p.st.Signal = 0
		p.st.FinishTimeMs = now.UnixMilli()
		t.runFailed(p, now, startRetryDelay)
		t.save()
		return false
	}
	p.running = true
	p.st.PID = pid
	p.st.State = ProcessRunning
	t.log.Info("process started", "process", p.spec.Name, "pid", pid, "run", p.st.Runs)
	t.save()
	return true
}

// handleExit records the end of a run and decides what comes next for its
// process: done, or another run after min_duration.
func (t *task) handleExit(m exitMsg) {
	p := m.proc
	if !p.running {
		return // a run the runner gave up waiting for
	}
	now := time.Now()
	p.running = false
	code := m.status.code
	p.st.ExitCode = &code
	p.st.Signal = int(m.status.signal)
	p.st.FinishTimeMs = now.UnixMilli()
	switch {
	case p.stopping:
		p.stopping = false
		p.st.State = ProcessKilled
		// Background children may outlive the group's leader.
		signalGroup(p.st.PID, syscall.SIGKILL)
	case m.status.success() && p.spec.Daemon:
		p.st.State = ProcessWaiting
		p.restartAt = now.Add(time.Duration(p.spec.MinDuration) * time.Second)
		p.st.NextRunTimeMs = p.restartAt.UnixMilli()
	case m.status.success():
		p.st.State = ProcessSuccess
	default:
		t.runFailed(p, now, 0)
	}
	t.log.Info("process exited", "process", p.spec.Name, "exit_code", code, "state", p.st.State)
	t.save()
}

// runFailed counts a failed run of p: the process fails when it used up its
// max_failures, otherwise it runs again after min_duration (at least minWait).
func (t *task) runFailed(p *proc, now time.Time, minWait time.Duration) {
	p.st.Failures++
	if p.spec.MaxFailures > 0 && p.st.Failures >= p.spec.MaxFailures {
		p.st.State = ProcessFailed
		return
	}
	p.st.State = ProcessWaiting
	p.restartAt = now.Add(max(time.Duration(p.spec.MinDuration)*time.Second, minWait))
	p.st.NextRunTimeMs = p.restartAt.UnixMilli()
}
