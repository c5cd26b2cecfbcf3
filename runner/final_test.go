package runner

import (
	"testing"
	"time"
)

func finalProc(name, cmdline string) ProcessSpec {
	p := newProc(name, cmdline)
	p.Final = true
	return p
}

func TestFinalProcessesRunAfterSuccess(t *testing.T) {
	spec := testSpec(newProc("main", "sleep 0.1; echo main >> seq"), finalProc("f1", "echo f1 >> seq"), finalProc("f2", "echo f2 >> seq"))
	spec.Orders = [][]string{{"f1", "f2"}}
	tr := runTask(t, spec, nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	if got := tr.file(t, "seq"); got != "main\nf1\nf2\n" {
		t.Errorf("runs = %q, want main, f1, f2", got)
	}
	wantProc(t, tr.proc(t, "f2"), ProcessSuccess, 1, 0)
	// The outcome is written before final processes run.
	s, ok := tr.rec.first(func(s State) bool { q, _ := s.Process("f1"); return q.State == ProcessRunning })
	if !ok || s.State != TaskSuccess || !s.Finalizing {
		t.Errorf("while f1 runs: state %s, finalizing %v; want SUCCESS, true", s.State, s.Finalizing)
	}
}

func TestFinalProcessesRunAfterFailure(t *testing.T) {
	spec := testSpec(newProc("main", "exit 1"), finalProc("cleanup", "echo cleaned > cleaned; exit 4"))
	tr := runTask(t, spec, nil)
	// A failing final process does not change the outcome either.
	tr.wantTask(t, TaskFailed, ExitFailed)
	if got := tr.file(t, "cleaned"); got != "cleaned\n" {
		t.Errorf("cleanup wrote %q", got)
	}
	wantProc(t, tr.proc(t, "cleanup"), ProcessFailed, 1, 1)
}

func TestTerminationRunsFinalProcessesWithinFinalizationWait(t *testing.T) {
	spec := testSpec(
		newProc("server", "sleep 30"),
		newProc("stubborn", "trap '' TERM; touch stubborn-ready; sleep 30"),
		// ready ends once stubborn ignores SIGTERM: RUNNING alone only
		// says its shell was forked, not that the trap is set.
		newProc("ready", "while [ ! -e stubborn-ready ]; do sleep 0.01; done"),
		finalProc("goodbye", "echo goodbye > goodbye"),
		finalProc("hang", "trap '' TERM; sleep 30"),
	)
	spec.Orders = [][]string{{"goodbye", "hang"}}
	spec.FinalizationWait = 2
	tr := runTask(t, spec, func(s State) bool {
		a, _ := s.Process("server")
		b, _ := s.Process("stubborn")
		c, _ := s.Process("ready")
		return a.State == ProcessRunning && b.State == ProcessRunning && c.State == ProcessSuccess
	})
	tr.wantTask(t, TaskKilled, ExitTerminated)
	server, stubborn := tr.proc(t, "server"), tr.proc(t, "stubborn")
	if server.State != ProcessKilled || server.Signal != 15 {
		t.Errorf("server %+v: want KILLED by SIGTERM", server)
	}
	if stubborn.State != ProcessKilled || stubborn.Signal != 9 {
		t.Errorf("stubborn %+v: want KILLED by SIGKILL", stubborn)
	}
	wantProc(t, tr.proc(t, "goodbye"), ProcessSuccess, 1, 0)
	if got := tr.file(t, "goodbye"); got != "goodbye\n" {
		t.Errorf("goodbye wrote %q", got)
	}
	hang := tr.proc(t, "hang")
	if hang.State != ProcessKilled || hang.Signal != 9 {
		t.Errorf("hang %+v: want KILLED by SIGKILL at the deadline", hang)
	}
	stopAt := tr.rec.stopAt
	end := time.UnixMilli(tr.state.FinishTimeMs)
	// The upper bound allows for a loaded machine (the deadline plus the
	// bounded wait for SIGKILLed processes).
	if took := end.Sub(stopAt); took < 1900*time.Millisecond || took > 2*time.Second+killWait+500*time.Millisecond {
		t.Errorf("signal to exit took %v, want about finalization_wait (2s)", took)
	}
	if killAt := time.UnixMilli(hang.FinishTimeMs); killAt.Sub(stopAt) < 1900*time.Millisecond {
		t.Errorf("hang was killed %v after the signal, before finalization_wait", killAt.Sub(stopAt))
	}
	if tr.state.TerminateTimeMs == 0 {
		t.Error("terminate_time_ms not set")
	}
}

func TestTerminationWithoutFinalProcesses(t *testing.T) {
	spec := testSpec(newProc("server", "sleep 30"))
	tr := runTask(t, spec, func(s State) bool { q, _ := s.Process("server"); return q.State == ProcessRunning })
	tr.wantTask(t, TaskKilled, ExitTerminated)
	wantProc(t, tr.proc(t, "server"), ProcessKilled, 1, 0)
	if tr.elapsed > 2*time.Second {
		t.Errorf("took %v to stop a process that dies on SIGTERM", tr.elapsed)
	}
}
