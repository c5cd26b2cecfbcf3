package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Exit codes of borealis-runner; [State.ExitCode] holds the first three.
const (
	ExitSuccess    = 0   // every non-ephemeral regular process succeeded
	ExitFailed     = 1   // the task failed
	ExitBadSpec    = 2   // the spec is unreadable or invalid, or the sandbox unusable
	ExitTerminated = 143 // SIGTERM or SIGINT arrived before the task succeeded
)

// Defaults of [Runner] fields.
const (
	DefaultShell     = "/bin/sh"
	DefaultKillGrace = 5 * time.Second
)

// killWait bounds the wait for a SIGKILLed process to be reaped.
const killWait = 2 * time.Second

// startRetryDelay is the least wait before retrying a run that could not start.
const startRetryDelay = time.Second

// Runner runs one task's processes in a sandbox. The zero value of every
// field but Spec is usable.
type Runner struct {
	Spec TaskSpec
	// Sandbox is the processes' working directory and holds the state file
	// and the logs. Default ".".
	Sandbox string
	// Stdout and Stderr receive a copy of every process's output, whole
	// lines, unprefixed. Nil discards it (the log files still get it).
	Stdout, Stderr io.Writer
	// Logger receives the runner's own events. Nil discards them.
	Logger *slog.Logger
	// Shell runs each cmdline as `Shell -c cmdline`. Default [DefaultShell].
	Shell string
	// KillGrace is the longest wait between SIGTERM and SIGKILL for regular
	// processes being stopped. It is also bounded by finalization_wait (and
	// by half of it when there are final processes, to leave them time).
	// Default [DefaultKillGrace].
	KillGrace time.Duration
	// ReapOrphans makes the runner reap every child of this process, the
	// orphans re-parented to it included, as PID 1 must. Set it only when
	// nothing else in the process waits for children (the runner's main).
	ReapOrphans bool
	// OnState, if set, is called with every state written to the state file,
	// on the runner's goroutine; it must not block.
	OnState func(State)
}

// Run validates the spec and runs the task until it ends: regular processes,
// then final ones, then the cleanup of what is left. Cancelling ctx is the
// runner's SIGTERM: running regular processes are stopped (SIGTERM, then
// SIGKILL after the grace), final processes run, and whatever still runs
// finalization_wait seconds after the cancellation is SIGKILLed.
//
// The error is non-nil only when the task could not start (invalid spec,
// unusable sandbox); the task's own outcome is in the returned state.
func (r *Runner) Run(ctx context.Context) (State, error) {
	if err := r.Spec.Validate(); err != nil {
		return State{}, fmt.Errorf("invalid task spec:\n%w", err)
	}
	t, err := newTask(r)
	if err != nil {
		return State{}, err
	}
	return t.run(ctx), nil
}

// task is one run of a Runner. Everything but the channels and the copiers
// belongs to the goroutine that calls run.
type task struct {
	spec      TaskSpec
	sandbox   string
	statePath string
	shell     string
	killGrace time.Duration
	reapAll   bool
	log       *slog.Logger
	onState   func(State)

	stdout, stderr *lineSink
	copiers        sync.WaitGroup

	procs          []*proc
	regular, final []*proc
	exits          chan exitMsg

	state State // task-level fields; Processes is filled by snapshot
}

// proc is a process and its run state.
type proc struct {
	spec      ProcessSpec
	preds     []*proc
	st        ProcessState
	running   bool
	stopping  bool // the runner signalled this run
	restartAt time.Time
}

type exitMsg struct {
	proc   *proc
	status exitStatus
}

func newTask(r *Runner) (*task, error) {
	t := &task{
		spec:      r.Spec,
		sandbox:   r.Sandbox,
		shell:     r.Shell,
		killGrace: r.KillGrace,
		reapAll:   r.ReapOrphans,
		log:       r.Logger,
		onState:   r.OnState,
		stdout:    &lineSink{w: r.Stdout},
		stderr:    &lineSink{w: r.Stderr},
		exits:     make(chan exitMsg, len(r.Spec.Processes)),
	}
	if t.sandbox == "" {
		t.sandbox = "."
	}
	if t.shell == "" {
		t.shell = DefaultShell
	}
	if t.killGrace <= 0 {
		t.killGrace = DefaultKillGrace
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.statePath = filepath.Join(t.sandbox, StateFile)
	for _, dir := range []string{filepath.Dir(t.statePath), filepath.Join(t.sandbox, LogDir)} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("prepare sandbox: %w", err)
		}
	}

	byName := make(map[string]*proc, len(t.spec.Processes))
	for _, ps := range t.spec.Processes {
		p := &proc{spec: ps, st: ProcessState{
			Name: ps.Name, State: ProcessWaiting,
			Final: ps.Final, Ephemeral: ps.Ephemeral, Daemon: ps.Daemon,
		}}
		byName[ps.Name] = p
		t.procs = append(t.procs, p)
		if ps.Final {
			t.final = append(t.final, p)
		} else {
			t.regular = append(t.regular, p)
		}
	}
	for _, order := range t.spec.Orders {
		for i := 1; i < len(order); i++ {
			b := byName[order[i]]
			b.preds = append(b.preds, byName[order[i-1]])
		}
	}
	t.state = State{
		TaskID:      t.spec.TaskID,
		State:       TaskActive,
		RunnerPID:   os.Getpid(),
		StartTimeMs: time.Now().UnixMilli(),
	}
	return t, nil
}

func (t *task) run(ctx context.Context) State {
	t.log.Info("task started", "task", t.spec.TaskID, "processes", len(t.procs))
	t.save()

	regular := phase{procs: t.regular, maxFailures: t.spec.MaxFailures, maxConcurrency: t.spec.MaxConcurrency}
	outcome, stopped := t.runPhase(regular, ctx.Done())
	end := time.Now()
	deadline := end.Add(time.Duration(t.spec.FinalizationWait) * time.Second)
	if stopped {
		t.state.State = TaskKilled
		t.state.TerminateTimeMs = end.UnixMilli()
		t.log.Info("termination requested", "finalization_wait_secs", t.spec.FinalizationWait)
	} else {
		t.state.State = outcome
		t.log.Info("regular processes done", "state", outcome)
	}
	t.state.Finalizing = len(t.final) > 0
	t.save()

	grace := min(t.killGrace, time.Until(deadline))
	if len(t.final) > 0 {
		grace = min(grace, time.Until(deadline)/2)
	}
	t.stop(t.regular, grace)

	if len(t.final) > 0 {
		dctx, cancel := context.WithDeadline(context.Background(), deadline)
		final := phase{procs: t.final, maxConcurrency: t.spec.MaxConcurrency}
		_, overdue := t.runPhase(final, dctx.Done())
		cancel()
		if overdue {
			t.log.Info("finalization_wait is over; killing final processes")
			t.stop(t.final, 0)
		} else {
			t.stop(t.final, min(t.killGrace, time.Until(deadline))) // ephemeral ones
		}
	}

	code := ExitFailed
	switch t.state.State {
	case TaskSuccess:
		code = ExitSuccess
	case TaskKilled:
		code = ExitTerminated
	}
	t.state.Finalizing = false
	t.state.FinishTimeMs = time.Now().UnixMilli()
	t.state.ExitCode = &code
	final := t.save()
	t.waitCopiers(time.Second)
	t.log.Info("task done", "state", t.state.State, "exit_code", code)
	return final
}

// phase is a set of processes scheduled together: the regular ones, then the
// final ones.
type phase struct {
	procs          []*proc
	maxFailures    int // failed non-ephemeral processes that end the phase; 0 = unlimited
	maxConcurrency int // 0 = unlimited
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
// handles their exits until the phase has an outcome or stop is closed.
func (t *task) runPhase(ph phase, stop <-chan struct{}) (outcome TaskStatus, stopped bool) {
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	for {
		if o, done := ph.outcome(); done {
			return o, false
		}
		select {
		case <-stop:
			return TaskActive, true
		default:
		}
		if next := t.launchReady(ph); !next.IsZero() {
			wake.Reset(time.Until(next))
		}
		if o, done := ph.outcome(); done { // a run that could not start may end the phase
			return o, false
		}
		select {
		case m := <-t.exits:
			t.handleExit(m)
		case <-wake.C:
		case <-stop:
			return TaskActive, true
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

// snapshot is the current state with every process.
func (t *task) snapshot() State {
	s := t.state
	s.Processes = make([]ProcessState, len(t.procs))
	s.FailedProcesses = 0
	for i, p := range t.procs {
		s.Processes[i] = p.st
		if p.st.ExitCode != nil {
			code := *p.st.ExitCode
			s.Processes[i].ExitCode = &code
		}
		if !p.spec.Final && !p.spec.Ephemeral && p.st.State == ProcessFailed {
			s.FailedProcesses++
		}
	}
	if s.ExitCode != nil {
		code := *s.ExitCode
		s.ExitCode = &code
	}
	return s
}

// save writes the state file atomically and hands the state to OnState. A
// failed write is logged: the task goes on.
func (t *task) save() State {
	s := t.snapshot()
	data, err := json.MarshalIndent(s, "", "  ")
	if err == nil {
		err = writeFileAtomic(t.statePath, append(data, '\n'))
	}
	if err != nil {
		t.log.Error("write state file", "path", t.statePath, "err", err)
	}
	if t.onState != nil {
		t.onState(s)
	}
	return s
}

// waitCopiers waits, at most d, for the output of ended runs to be copied.
func (t *task) waitCopiers(d time.Duration) {
	done := make(chan struct{})
	go func() { t.copiers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
