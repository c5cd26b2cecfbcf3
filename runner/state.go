package runner

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// TaskStatus is the task's state in the state file.
type TaskStatus string

// Task states. ACTIVE until the regular processes have an outcome; the
// outcome is written as soon as it is known, before final processes run.
const (
	TaskActive  TaskStatus = "ACTIVE"
	TaskSuccess TaskStatus = "SUCCESS" // every non-ephemeral regular process succeeded
	TaskFailed  TaskStatus = "FAILED"  // max_failures processes failed, or success became impossible
	TaskKilled  TaskStatus = "KILLED"  // SIGTERM or SIGINT arrived before success
)

// ReasonDiskLimit begins [State.Reason] when the sandbox outgrew the task's
// disk limit, in Aurora's words: "Disk limit exceeded.  Reserved N bytes vs
// used M bytes."
const ReasonDiskLimit = "Disk limit exceeded"

// ProcessStatus is one process's state in the state file.
type ProcessStatus string

// Process states, Thermos's names. The runner supervises its children
// directly, so it never loses one and reports no LOST state.
const (
	ProcessWaiting ProcessStatus = "WAITING" // not started yet, or waiting min_duration to run again
	ProcessRunning ProcessStatus = "RUNNING"
	ProcessSuccess ProcessStatus = "SUCCESS" // exited 0 (never final for a daemon)
	ProcessFailed  ProcessStatus = "FAILED"  // used up max_failures
	ProcessKilled  ProcessStatus = "KILLED"  // stopped by the runner
)

// State is the content of [StateFile]. Times are Unix milliseconds.
type State struct {
	TaskID string     `json:"task_id"`
	State  TaskStatus `json:"state"`
	// Finalizing is true while final processes run.
	Finalizing bool `json:"finalizing,omitempty"`
	// Reason says why the runner failed the task itself, when it did
	// (beginning with [ReasonDiskLimit]); empty when the processes decided.
	Reason string `json:"reason,omitempty"`
	// FailedProcesses counts failed non-ephemeral regular processes.
	FailedProcesses int   `json:"failed_processes"`
	RunnerPID       int   `json:"runner_pid"`
	StartTimeMs     int64 `json:"start_time_ms"`
	// TerminateTimeMs is when SIGTERM or SIGINT arrived, if it did.
	TerminateTimeMs int64 `json:"terminate_time_ms,omitempty"`
	// FinishTimeMs and ExitCode are set when the runner is done.
	FinishTimeMs int64          `json:"finish_time_ms,omitempty"`
	ExitCode     *int           `json:"exit_code,omitempty"`
	Processes    []ProcessState `json:"processes"`
}

// ProcessState is one process in [State], in spec order.
type ProcessState struct {
	Name      string        `json:"name"`
	State     ProcessStatus `json:"state"`
	Final     bool          `json:"final,omitempty"`
	Ephemeral bool          `json:"ephemeral,omitempty"`
	Daemon    bool          `json:"daemon,omitempty"`
	// Runs counts started runs; Failures counts failed ones.
	Runs     int `json:"runs"`
	Failures int `json:"failures"`
	// ExitCode is the last finished run's exit status, 128+N when signal N
	// ended it; null until a run has finished or when it could not start.
	ExitCode *int `json:"exit_code"`
	// Signal is the signal that ended the last run, if one did.
	Signal int `json:"signal,omitempty"`
	// StartTimeMs is the start of the current or last run; FinishTimeMs the
	// end of the last finished run, so while a rerun is RUNNING the gap
	// between them is the wait min_duration imposed.
	StartTimeMs  int64 `json:"start_time_ms,omitempty"`
	FinishTimeMs int64 `json:"finish_time_ms,omitempty"`
	// NextRunTimeMs is set while the process waits to run again.
	NextRunTimeMs int64 `json:"next_run_time_ms,omitempty"`
	// PID of the current or last run; it leads its own process group.
	PID int `json:"pid,omitempty"`
	// Error says why the last run could not start.
	Error string `json:"error,omitempty"`
}

// Process returns the state of the named process.
func (s State) Process(name string) (ProcessState, bool) {
	for _, p := range s.Processes {
		if p.Name == name {
			return p, true
		}
	}
	return ProcessState{}, false
}

// ReadState reads the state file of the sandbox.
func ReadState(sandbox string) (State, error) {
	var s State
	data, err := os.ReadFile(filepath.Join(sandbox, StateFile))
	if err != nil {
		return s, fmt.Errorf("read runner state: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("runner state %s: %w", filepath.Join(sandbox, StateFile), err)
	}
	return s, nil
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

// writeFileAtomic writes data to a temporary file beside path, with mode
// [FileMode], and renames it over path, so readers see either the old or the
// new content.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, FileMode)
	if err != nil {
		return err
	}
	// A temporary file a crashed runner left keeps its mode otherwise.
	err = f.Chmod(FileMode)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
