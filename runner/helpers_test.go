package runner

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// testTimeout bounds every task a test runs; a hang fails the test.
const testTimeout = 20 * time.Second

// recorder keeps every state the runner wrote and can stop the task (cancel
// its context, as SIGTERM does) when a condition first holds.
type recorder struct {
	mu       sync.Mutex
	states   []State
	stopWhen func(State) bool
	stopAt   time.Time
	cancel   context.CancelFunc
}

func (r *recorder) onState(s State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, s)
	if r.stopWhen != nil && r.stopAt.IsZero() && r.stopWhen(s) {
		r.stopAt = time.Now()
		r.cancel()
	}
}

// first returns the first recorded state that satisfies cond.
func (r *recorder) first(cond func(State) bool) (State, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.states {
		if cond(s) {
			return s, true
		}
	}
	return State{}, false
}

// maxRunning is the largest number of processes RUNNING at once.
func (r *recorder) maxRunning() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	most := 0
	for _, s := range r.states {
		n := 0
		for _, p := range s.Processes {
			if p.State == ProcessRunning {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// syncBuffer is a bytes.Buffer safe for the runner's output goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

type taskRun struct {
	state   State
	rec     *recorder
	sandbox string
	stdout  *syncBuffer
	stderr  *syncBuffer
	elapsed time.Duration
}

// runTask runs spec in a fresh sandbox. stopWhen, if not nil, cancels the
// task's context the first time it holds for a written state. opts adjust
// the Runner before it runs.
func runTask(t *testing.T, spec TaskSpec, stopWhen func(State) bool, opts ...func(*Runner)) taskRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr := taskRun{
		rec:     &recorder{stopWhen: stopWhen, cancel: cancel},
		sandbox: t.TempDir(),
		stdout:  &syncBuffer{},
		stderr:  &syncBuffer{},
	}
	r := &Runner{
		Spec:      spec,
		Sandbox:   tr.sandbox,
		Stdout:    tr.stdout,
		Stderr:    tr.stderr,
		KillGrace: 2 * time.Second,
		OnState:   tr.rec.onState,
	}
	for _, opt := range opts {
		opt(r)
	}
	type result struct {
		s   State
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		s, err := r.Run(ctx)
		done <- result{s, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			t.Fatalf("Run: %v", res.err)
		}
		tr.state = res.s
	case <-time.After(testTimeout):
		t.Fatalf("task did not end within %v", testTimeout)
	}
	tr.elapsed = time.Since(start)
	return tr
}

func (tr taskRun) proc(t *testing.T, name string) ProcessState {
	t.Helper()
	p, ok := tr.state.Process(name)
	if !ok {
		t.Fatalf("no process %q in state", name)
	}
	return p
}

func (tr taskRun) file(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(tr.sandbox, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func (tr taskRun) wantTask(t *testing.T, state TaskStatus, exit int) {
	t.Helper()
	if tr.state.State != state {
		t.Errorf("task state = %s, want %s", tr.state.State, state)
	}
	if tr.state.ExitCode == nil || *tr.state.ExitCode != exit {
		t.Errorf("task exit code = %v, want %d", ptrString(tr.state.ExitCode), exit)
	}
}

func wantProc(t *testing.T, p ProcessState, state ProcessStatus, runs, failures int) {
	t.Helper()
	if p.State != state || p.Runs != runs || p.Failures != failures {
		t.Errorf("process %s: state %s, runs %d, failures %d; want %s, %d, %d",
			p.Name, p.State, p.Runs, p.Failures, state, runs, failures)
	}
}

func ptrString(p *int) string {
	if p == nil {
		return "nil"
	}
	return strconv.Itoa(*p)
}

// proc is a ProcessSpec with test defaults: one failure fails it, reruns
// without delay.
func newProc(name, cmdline string) ProcessSpec {
	return ProcessSpec{Name: name, Cmdline: cmdline, MaxFailures: 1}
}

func testSpec(procs ...ProcessSpec) TaskSpec {
	return TaskSpec{TaskID: "test-task", Processes: procs, MaxFailures: 1, FinalizationWait: 5}
}
