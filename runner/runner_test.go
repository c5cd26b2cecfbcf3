package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUnconstrainedProcessesRunInParallel(t *testing.T) {
	// Each process waits for the other's mark, so both succeed only when
	// they run at the same time.
	meet := func(mine, theirs string) string {
		return "touch " + mine + "; i=0; while [ ! -e " + theirs + " ]; do i=$((i+1)); [ $i -gt 300 ] && exit 1; sleep 0.01; done"
	}
	tr := runTask(t, testSpec(newProc("a", meet("a.mark", "b.mark")), newProc("b", meet("b.mark", "a.mark"))), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	wantProc(t, tr.proc(t, "a"), ProcessSuccess, 1, 0)
	wantProc(t, tr.proc(t, "b"), ProcessSuccess, 1, 0)
}

func TestOrderConstraints(t *testing.T) {
	spec := testSpec(
		newProc("c", "echo c >> seq"),
		newProc("b", "echo b >> seq"),
		newProc("a", "sleep 0.1; echo a >> seq"),
		newProc("free", "echo free > free"),
	)
	spec.Orders = [][]string{{"a", "b"}, {"b", "c"}}
	tr := runTask(t, spec, nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	if got := tr.file(t, "seq"); got != "a\nb\nc\n" {
		t.Errorf("order of runs = %q, want a, b, c", got)
	}
	a, b, c := tr.proc(t, "a"), tr.proc(t, "b"), tr.proc(t, "c")
	if b.StartTimeMs < a.FinishTimeMs || c.StartTimeMs < b.FinishTimeMs {
		t.Errorf("a run started before its predecessor finished: a %+v, b %+v, c %+v", a, b, c)
	}
	if free := tr.proc(t, "free"); free.StartTimeMs > a.FinishTimeMs {
		t.Errorf("unconstrained process waited for the ordered ones")
	}
}

func TestSequentialTaskRunsInOrder(t *testing.T) {
	// SequentialTask puts every process in one order(...).
	var procs []ProcessSpec
	names := []string{"fetch", "unpack", "build", "install", "cleanup"}
	for i := len(names) - 1; i >= 0; i-- { // declared backwards
		procs = append(procs, newProc(names[i], "echo "+names[i]+" >> seq"))
	}
	spec := testSpec(procs...)
	spec.Orders = [][]string{names}
	tr := runTask(t, spec, nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	if got, want := tr.file(t, "seq"), strings.Join(names, "\n")+"\n"; got != want {
		t.Errorf("order of runs = %q, want %q", got, want)
	}
}

func TestFailedPredecessorFailsTheTask(t *testing.T) {
	spec := testSpec(newProc("a", "exit 1"), newProc("b", "echo never > b"))
	spec.Orders = [][]string{{"a", "b"}}
	spec.MaxFailures = 0 // unlimited, yet b can never run
	tr := runTask(t, spec, nil)
	tr.wantTask(t, TaskFailed, ExitFailed)
	wantProc(t, tr.proc(t, "a"), ProcessFailed, 1, 1)
	wantProc(t, tr.proc(t, "b"), ProcessWaiting, 0, 0)
	if _, err := os.Stat(filepath.Join(tr.sandbox, "b")); err == nil {
		t.Error("b ran after a failed")
	}
}

func TestProcessMaxFailuresRunsExactlyN(t *testing.T) {
	p := newProc("flaky", "echo run >> runs; exit 3")
	p.MaxFailures = 3
	tr := runTask(t, testSpec(p), nil)
	tr.wantTask(t, TaskFailed, ExitFailed)
	got := tr.proc(t, "flaky")
	wantProc(t, got, ProcessFailed, 3, 3)
	if got.ExitCode == nil || *got.ExitCode != 3 {
		t.Errorf("exit code = %s, want 3", ptrString(got.ExitCode))
	}
	if n := strings.Count(tr.file(t, "runs"), "run"); n != 3 {
		t.Errorf("ran %d times, want 3", n)
	}
	if tr.state.FailedProcesses != 1 {
		t.Errorf("failed_processes = %d, want 1", tr.state.FailedProcesses)
	}
}

func TestProcessMaxFailuresZeroRetriesUntilSuccess(t *testing.T) {
	p := newProc("stubborn", `n=$(cat n 2>/dev/null || echo 0); n=$((n+1)); echo $n > n; [ $n -ge 4 ]`)
	p.MaxFailures = 0
	tr := runTask(t, testSpec(p), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	wantProc(t, tr.proc(t, "stubborn"), ProcessSuccess, 4, 3)
}

func TestProcessMaxFailuresZeroNeverGivesUp(t *testing.T) {
	p := newProc("hopeless", "exit 1")
	p.MaxFailures = 0
	tr := runTask(t, testSpec(p), func(s State) bool {
		q, _ := s.Process("hopeless")
		return q.Failures >= 20
	})
	tr.wantTask(t, TaskKilled, ExitTerminated)
	got := tr.proc(t, "hopeless")
	if got.Failures < 20 || got.State == ProcessFailed {
		t.Errorf("process %+v: want >= 20 failures and not FAILED", got)
	}
	if _, ok := tr.rec.first(func(s State) bool { q, _ := s.Process("hopeless"); return q.State == ProcessFailed }); ok {
		t.Error("a process with max_failures 0 became FAILED")
	}
}

func TestDaemonRunsAgainAfterSuccess(t *testing.T) {
	d := newProc("daemon", "echo tick >> ticks")
	d.Daemon = true
	tr := runTask(t, testSpec(d), func(s State) bool {
		q, _ := s.Process("daemon")
		return q.Runs >= 3 && q.State != ProcessRunning
	})
	tr.wantTask(t, TaskKilled, ExitTerminated)
	got := tr.proc(t, "daemon")
	if got.Runs < 3 || got.Failures != 0 {
		t.Errorf("daemon %+v: want >= 3 runs, no failures", got)
	}
	if n := strings.Count(tr.file(t, "ticks"), "tick"); n < 3 {
		t.Errorf("daemon ran %d times, want >= 3", n)
	}
}

func TestEphemeralProcessesDoNotCount(t *testing.T) {
	forever := newProc("sidecar", "sleep 30")
	forever.Ephemeral = true
	broken := newProc("broken-sidecar", "exit 1")
	broken.Ephemeral = true
	tr := runTask(t, testSpec(forever, broken, newProc("main", "sleep 0.2")), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	wantProc(t, tr.proc(t, "main"), ProcessSuccess, 1, 0)
	wantProc(t, tr.proc(t, "broken-sidecar"), ProcessFailed, 1, 1)
	wantProc(t, tr.proc(t, "sidecar"), ProcessKilled, 1, 0)
	if tr.state.FailedProcesses != 0 {
		t.Errorf("failed_processes = %d, want 0", tr.state.FailedProcesses)
	}
	if tr.elapsed > 5*time.Second {
		t.Errorf("task took %v: it waited for the ephemeral process", tr.elapsed)
	}
}

func TestMinDurationSpacesRuns(t *testing.T) {
	p := newProc("slow-retry", "exit 1")
	p.MaxFailures = 3
	p.MinDuration = 1
	tr := runTask(t, testSpec(p), nil)
	wantProc(t, tr.proc(t, "slow-retry"), ProcessFailed, 3, 3)
	for run := 2; run <= 3; run++ {
		// While run N is RUNNING, finish_time_ms is still that of run N-1.
		s, ok := tr.rec.first(func(s State) bool {
			q, _ := s.Process("slow-retry")
			return q.Runs == run && q.State == ProcessRunning
		})
		if !ok {
			t.Fatalf("no state with run %d running", run)
		}
		q, _ := s.Process("slow-retry")
		gap := time.Duration(q.StartTimeMs-q.FinishTimeMs) * time.Millisecond
		if gap < time.Second || gap > 2500*time.Millisecond {
			t.Errorf("run %d started %v after the previous one ended, want 1s (+ scheduling)", run, gap)
		}
	}
}

func TestMaxConcurrency(t *testing.T) {
	spec := testSpec(newProc("a", "sleep 0.2"), newProc("b", "sleep 0.2"), newProc("c", "sleep 0.2"), newProc("d", "sleep 0.2"), newProc("e", "sleep 0.2"))
	spec.MaxConcurrency = 2
	tr := runTask(t, spec, nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	if got := tr.rec.maxRunning(); got != 2 {
		t.Errorf("at most %d processes ran at once, want 2", got)
	}
}

func TestTaskMaxFailures(t *testing.T) {
	t.Run("reached kills the rest", func(t *testing.T) {
		spec := testSpec(newProc("a", "exit 1"), newProc("b", "sleep 0.1; exit 1"), newProc("c", "sleep 30"))
		spec.MaxFailures = 2
		tr := runTask(t, spec, nil)
		tr.wantTask(t, TaskFailed, ExitFailed)
		wantProc(t, tr.proc(t, "c"), ProcessKilled, 1, 0)
		if tr.state.FailedProcesses != 2 {
			t.Errorf("failed_processes = %d, want 2", tr.state.FailedProcesses)
		}
	})
	t.Run("not reached lets the rest finish", func(t *testing.T) {
		spec := testSpec(newProc("a", "exit 1"), newProc("c", "sleep 0.3"))
		spec.MaxFailures = 2
		tr := runTask(t, spec, nil)
		tr.wantTask(t, TaskFailed, ExitFailed)
		wantProc(t, tr.proc(t, "c"), ProcessSuccess, 1, 0)
	})
	t.Run("zero is unlimited", func(t *testing.T) {
		spec := testSpec(newProc("a", "exit 1"), newProc("b", "exit 1"), newProc("c", "sleep 0.3"))
		spec.MaxFailures = 0
		tr := runTask(t, spec, nil)
		tr.wantTask(t, TaskFailed, ExitFailed)
		wantProc(t, tr.proc(t, "c"), ProcessSuccess, 1, 0)
	})
}

func TestLogsAndOutputCopies(t *testing.T) {
	p := newProc("hello", "echo hello world; echo to stderr >&2; printf 'no newline'; exit 1")
	p.MaxFailures = 2
	tr := runTask(t, testSpec(p), nil)
	tr.wantTask(t, TaskFailed, ExitFailed)
	stdout := tr.file(t, filepath.Join(LogDir, "hello.stdout"))
	if want := "hello world\nno newlinehello world\nno newline"; stdout != want {
		t.Errorf("stdout log = %q, want %q (appended across runs)", stdout, want)
	}
	if got := tr.file(t, filepath.Join(LogDir, "hello.stderr")); got != "to stderr\nto stderr\n" {
		t.Errorf("stderr log = %q", got)
	}
	if got := tr.stdout.String(); strings.Count(got, "hello world\n") != 2 || !strings.Contains(got, "no newline\n") {
		t.Errorf("runner stdout = %q, want the process's lines, unprefixed", got)
	}
	if got := tr.stderr.String(); got != "to stderr\nto stderr\n" {
		t.Errorf("runner stderr = %q", got)
	}
}

func TestStateFile(t *testing.T) {
	spec := testSpec(newProc("ok", "true"), newProc("bad", "exit 7"))
	spec.MaxFailures = 0
	tr := runTask(t, spec, nil)
	got, err := ReadState(tr.sandbox)
	if err != nil {
		t.Fatal(err)
	}
	if got.TaskID != "test-task" || got.State != TaskFailed || got.ExitCode == nil || *got.ExitCode != ExitFailed ||
		got.RunnerPID != os.Getpid() || got.StartTimeMs == 0 || got.FinishTimeMs < got.StartTimeMs || got.FailedProcesses != 1 {
		t.Errorf("state file task fields: %+v", got)
	}
	if len(got.Processes) != 2 || got.Processes[0].Name != "ok" || got.Processes[1].Name != "bad" {
		t.Fatalf("processes not in spec order: %+v", got.Processes)
	}
	bad := got.Processes[1]
	if bad.State != ProcessFailed || bad.Runs != 1 || bad.Failures != 1 || bad.ExitCode == nil || *bad.ExitCode != 7 ||
		bad.PID <= 0 || bad.StartTimeMs == 0 || bad.FinishTimeMs < bad.StartTimeMs {
		t.Errorf("state file process: %+v", bad)
	}
	if _, err := os.Stat(filepath.Join(tr.sandbox, StateFile+".tmp")); !os.IsNotExist(err) {
		t.Errorf("temporary state file left behind: %v", err)
	}
	// Every written state was a whole, valid document: ReadState would have
	// failed on a torn write, and the recorder saw ACTIVE first.
	if first, _ := tr.rec.first(func(State) bool { return true }); first.State != TaskActive {
		t.Errorf("first state %s, want ACTIVE", first.State)
	}
}

func TestRunThatCannotStartCountsAsFailure(t *testing.T) {
	r := &Runner{Spec: testSpec(newProc("x", "true")), Sandbox: t.TempDir(), Shell: "/nonexistent/sh"}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Process("x")
	if s.State != TaskFailed || p.State != ProcessFailed || p.Runs != 1 || p.Error == "" {
		t.Errorf("state %s, process %+v: want FAILED with an error", s.State, p)
	}
}

func TestRunRejectsInvalidSpec(t *testing.T) {
	r := &Runner{Spec: TaskSpec{}, Sandbox: t.TempDir()}
	if _, err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "processes") {
		t.Errorf("Run with no processes: err = %v", err)
	}
}
