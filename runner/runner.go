package runner

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Exit codes of borealis-runner; [State.ExitCode] holds the first three.
const (
	ExitSuccess    = 0   // every non-ephemeral regular process succeeded
	ExitFailed     = 1   // the task failed
	ExitBadSpec    = 2   // the spec is unreadable or invalid, or the sandbox unusable
	ExitTerminated = 143 // SIGTERM or SIGINT arrived before the task succeeded
)

// Modes of what the runner makes in the sandbox. borealis-runner sets the
// umask to [Umask] before anything else, so the task's processes make
// group-writable files too: the task's user and the worker share the
// sandbox through its group, never through "other".
const (
	Umask    = 0o007
	DirMode  = 0o770 // directories the runner makes (.logs, .borealis)
	FileMode = 0o640 // the state file and the process logs
)

// Defaults of [Runner] fields.
const (
	DefaultShell             = "/bin/sh"
	DefaultKillGrace         = 5 * time.Second
	DefaultDiskCheckInterval = time.Second
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
	// DiskCheckInterval is how often the sandbox is measured when the spec
	// has a disk limit. Default [DefaultDiskCheckInterval].
	DiskCheckInterval time.Duration
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

// task is one run of a Runner. Everything but the channels, the copiers and
// the log files belongs to the goroutine that calls run.
type task struct {
	spec           TaskSpec
	sandbox        string
	statePath      string
	shell          string
	killGrace      time.Duration
	diskInterval   time.Duration
	reapAll        bool
	log            *slog.Logger
	onState        func(State)
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
	// outLog and errLog are the process's log files, shared by its runs.
	outLog, errLog *logFile
}

type exitMsg struct {
	proc   *proc
	status exitStatus
}

func newTask(r *Runner) (*task, error) {
	t := &task{
		spec:         r.Spec,
		sandbox:      r.Sandbox,
		shell:        r.Shell,
		killGrace:    r.KillGrace,
		diskInterval: r.DiskCheckInterval,
		reapAll:      r.ReapOrphans,
		log:          r.Logger,
		onState:      r.OnState,
		stdout:       &lineSink{w: r.Stdout},
		stderr:       &lineSink{w: r.Stderr},
		exits:        make(chan exitMsg, len(r.Spec.Processes)),
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
	if t.diskInterval <= 0 {
		t.diskInterval = DefaultDiskCheckInterval
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	t.statePath = filepath.Join(t.sandbox, StateFile)
	logDir := filepath.Join(t.sandbox, LogDir)
	for _, dir := range []string{filepath.Dir(t.statePath), logDir} {
		if err := makeDir(dir); err != nil {
			return nil, fmt.Errorf("prepare sandbox: %w", err)
		}
	}

	byName := make(map[string]*proc, len(t.spec.Processes))
	for _, ps := range t.spec.Processes {
		p := &proc{spec: ps, st: ProcessState{
			Name: ps.Name, State: ProcessWaiting,
			Final: ps.Final, Ephemeral: ps.Ephemeral, Daemon: ps.Daemon,
		}}
		base := filepath.Join(logDir, ps.Name)
		p.outLog = &logFile{path: base + ".stdout", rotate: ps.LogRotate, log: t.log}
		p.errLog = &logFile{path: base + ".stderr", rotate: ps.LogRotate, log: t.log}
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

// makeDir makes dir, and its missing parents, with [DirMode] whatever the
// umask; a setgid bit it inherits is kept, so that what is made inside keeps
// the sandbox's group. An existing directory is left as it is: the runner
// may not own it (a sandbox it can write to through its group only).
func makeDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if err := makeDir(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, DirMode); err != nil && !os.IsExist(err) {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if want := DirMode | fi.Mode()&os.ModeSetgid; fi.Mode()&(os.ModePerm|os.ModeSetgid) != want {
		if err := os.Chmod(dir, want); err != nil {
			return err
		}
	}
	return nil
}

func (t *task) run(ctx context.Context) State {
	t.log.Info("task started", "task", t.spec.TaskID, "processes", len(t.procs))
	t.save()

	overDisk, stopDisk := t.watchDisk()
	regular := phase{procs: t.regular, maxFailures: t.spec.MaxFailures, maxConcurrency: t.spec.MaxConcurrency, abort: overDisk}
	outcome, reason, stopped := t.runPhase(regular, ctx.Done())
	stopDisk()
	end := time.Now()
	deadline := end.Add(time.Duration(t.spec.FinalizationWait) * time.Second)
	switch {
	case stopped:
		t.state.State = TaskKilled
		t.state.TerminateTimeMs = end.UnixMilli()
		t.log.Info("termination requested", "finalization_wait_secs", t.spec.FinalizationWait)
	case reason != "":
		t.state.State, t.state.Reason = outcome, reason
		t.log.Error("task failed", "reason", reason)
	default:
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
		_, _, overdue := t.runPhase(final, dctx.Done())
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
	for _, p := range t.procs {
		p.outLog.close()
		p.errLog.close()
	}
	t.log.Info("task done", "state", t.state.State, "exit_code", code)
	return final
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
