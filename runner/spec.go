package runner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Files the worker and the runner share inside a task's sandbox (mounted at
// /sandbox, the container's working directory).
const (
	// SpecFile is the task spec the worker writes before the container starts.
	SpecFile = ".borealis/task.json"
	// StateFile is where the runner keeps each process's state and run count.
	StateFile = ".borealis/state.json"
	// LogDir holds one stdout and one stderr file per process.
	LogDir = ".logs"
)

// Aurora's defaults, applied by [TaskSpec.UnmarshalJSON] and
// [ProcessSpec.UnmarshalJSON] to fields absent from the JSON. A field that is
// present keeps its value, zero included (0 means "unlimited" or "none").
const (
	DefaultTaskMaxFailures    = 1
	DefaultFinalizationWait   = 30
	DefaultProcessMaxFailures = 1
	DefaultProcessMinDuration = 5
)

// TaskSpec is everything the runner needs to run a task. Templates in
// Cmdline are already filled by the worker.
type TaskSpec struct {
	TaskID    string        `json:"task_id"`
	Processes []ProcessSpec `json:"processes"`
	// Orders lists order constraints: each inner list runs left to right.
	Orders           [][]string `json:"orders,omitempty"`
	MaxFailures      int        `json:"max_failures"`
	MaxConcurrency   int        `json:"max_concurrency"`
	FinalizationWait int        `json:"finalization_wait_secs"`
	// DiskBytes bounds the sandbox's size: a task whose sandbox grows past
	// it ends FAILED with "Disk limit exceeded". 0 means no bound.
	DiskBytes int64 `json:"disk_bytes,omitempty"`
	// WorkDir is where processes run, an absolute path inside the
	// container (Docker's workdir parameter); empty: the sandbox.
	WorkDir string `json:"workdir,omitempty"`
}

// LogRotation is how a process's log files rotate (Aurora's RotatePolicy):
// a file that reaches MaxBytes is renamed to .1 (the older ones shift up to
// .Backups, the oldest dropped) and a new one started. MaxBytes must be
// positive; Backups 0 keeps no old file (the file starts over).
type LogRotation struct {
	MaxBytes int64 `json:"max_bytes"`
	Backups  int   `json:"backups"`
}

// ProcessSpec is one process of the task (docs/semantics.md §1, Process).
type ProcessSpec struct {
	Name        string `json:"name"`
	Cmdline     string `json:"cmdline"`
	MaxFailures int    `json:"max_failures"`
	Daemon      bool   `json:"daemon"`
	Ephemeral   bool   `json:"ephemeral"`
	MinDuration int    `json:"min_duration_secs"`
	Final       bool   `json:"final"`
	// LogRotate rotates the process's .stdout and .stderr files; nil
	// keeps them whole (Aurora's mode 'standard').
	LogRotate *LogRotation `json:"log_rotate,omitempty"`
}

// UnmarshalJSON decodes a task spec strictly (an unknown field is an error)
// and fills absent max_failures and finalization_wait_secs with Aurora's
// defaults.
func (s *TaskSpec) UnmarshalJSON(data []byte) error {
	type plain TaskSpec
	v := plain{MaxFailures: DefaultTaskMaxFailures, FinalizationWait: DefaultFinalizationWait}
	if err := decodeStrict(data, &v); err != nil {
		return err
	}
	*s = TaskSpec(v)
	return nil
}

// UnmarshalJSON decodes a process spec strictly (an unknown field is an
// error) and fills absent max_failures and min_duration_secs with Aurora's
// defaults.
func (p *ProcessSpec) UnmarshalJSON(data []byte) error {
	type plain ProcessSpec
	v := plain{MaxFailures: DefaultProcessMaxFailures, MinDuration: DefaultProcessMinDuration}
	if err := decodeStrict(data, &v); err != nil {
		return err
	}
	*p = ProcessSpec(v)
	return nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// LoadSpec reads and validates the task spec at path.
func LoadSpec(path string) (TaskSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return TaskSpec{}, fmt.Errorf("read task spec: %w", err)
	}
	var spec TaskSpec
	if err := decodeStrict(data, &spec); err != nil {
		return TaskSpec{}, fmt.Errorf("task spec %s: %w", path, err)
	}
	if err := spec.Validate(); err != nil {
		return TaskSpec{}, fmt.Errorf("task spec %s is invalid:\n%w", path, err)
	}
	return spec, nil
}

// Validate reports every problem of the spec at once, each prefixed with the
// field it concerns (processes[1].name: ...). It checks the rules of docs/semantics.md §1
// the runner relies on: unique, file-safe names; known names in orders; no
// dependency on a daemon, of a non-ephemeral process on an ephemeral one, or
// between final and regular processes; no cycles.
func (s TaskSpec) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if len(s.Processes) == 0 {
		add("processes: at least one process is required")
	}
	if s.MaxFailures < 0 {
		add("max_failures: must be >= 0, got %d", s.MaxFailures)
	}
	if s.MaxConcurrency < 0 {
		add("max_concurrency: must be >= 0, got %d", s.MaxConcurrency)
	}
	if s.FinalizationWait < 0 {
		add("finalization_wait_secs: must be >= 0, got %d", s.FinalizationWait)
	}
	if s.WorkDir != "" && !strings.HasPrefix(s.WorkDir, "/") {
		add("workdir: must be an absolute path, got %q", s.WorkDir)
	}
	if s.DiskBytes < 0 {
		add("disk_bytes: must be >= 0, got %d", s.DiskBytes)
	}

	byName := make(map[string]int, len(s.Processes))
	for i, p := range s.Processes {
		field := fmt.Sprintf("processes[%d]", i)
		switch {
		case p.Name == "":
			add("%s.name: required", field)
		case strings.Contains(p.Name, "/"):
			add("%s.name: %q must not contain '/'", field, p.Name)
		case strings.HasPrefix(p.Name, "."):
			add("%s.name: %q must not start with '.'", field, p.Name)
		}
		if j, dup := byName[p.Name]; dup && p.Name != "" {
			add("%s.name: %q is also the name of processes[%d]", field, p.Name, j)
		} else {
			byName[p.Name] = i
		}
		if strings.TrimSpace(p.Cmdline) == "" {
			add("%s.cmdline: required", field)
		}
		if p.MaxFailures < 0 {
			add("%s.max_failures: must be >= 0, got %d", field, p.MaxFailures)
		}
		if p.MinDuration < 0 {
			add("%s.min_duration_secs: must be >= 0, got %d", field, p.MinDuration)
		}
		if r := p.LogRotate; r != nil {
			if r.MaxBytes <= 0 {
				add("%s.log_rotate.max_bytes: must be > 0, got %d", field, r.MaxBytes)
			}
			if r.Backups < 0 {
				add("%s.log_rotate.backups: must be >= 0, got %d", field, r.Backups)
			}
		}
	}

	edges := make(map[int][]int) // predecessor index -> successor indexes
	for i, order := range s.Orders {
		for j, name := range order {
			if _, ok := byName[name]; !ok {
				add("orders[%d][%d]: unknown process %q", i, j, name)
			}
		}
		for j := 1; j < len(order); j++ {
			a, okA := byName[order[j-1]]
			b, okB := byName[order[j]]
			if !okA || !okB {
				continue
			}
			pa, pb := s.Processes[a], s.Processes[b]
			field := fmt.Sprintf("orders[%d][%d]", i, j)
			if pa.Daemon {
				add("%s: %q may not depend on daemon process %q", field, pb.Name, pa.Name)
			}
			if pa.Ephemeral && !pb.Ephemeral {
				add("%s: non-ephemeral process %q may not depend on ephemeral process %q", field, pb.Name, pa.Name)
			}
			if pa.Final != pb.Final {
				add("%s: final and regular processes may not depend on each other (%q, %q)", field, pa.Name, pb.Name)
			}
			edges[a] = append(edges[a], b)
		}
	}
	if cycle := findCycle(len(s.Processes), edges); cycle != nil {
		names := make([]string, len(cycle))
		for i, n := range cycle {
			names[i] = s.Processes[n].Name
		}
		add("orders: cycle %s", strings.Join(names, " -> "))
	}
	return errors.Join(errs...)
}

// findCycle returns one cycle of the graph as a closed path of node indexes,
// or nil.
func findCycle(n int, edges map[int][]int) []int {
	const (
		unseen = iota
		onPath
		done
	)
	mark := make([]int, n)
	var path []int
	var visit func(v int) []int
	visit = func(v int) []int {
		mark[v] = onPath
		path = append(path, v)
		for _, w := range edges[v] {
			switch mark[w] {
			case onPath:
				for i, u := range path {
					if u == w {
						return append(append([]int(nil), path[i:]...), w)
					}
				}
			case unseen:
				if c := visit(w); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		mark[v] = done
		return nil
	}
	for v := range n {
		if mark[v] == unseen {
			if c := visit(v); c != nil {
				return c
			}
		}
	}
	return nil
}
