package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSpecAppliesAuroraDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "task.json")
	data := `{"task_id": "t", "processes": [
		{"name": "hello", "cmdline": "echo hello"},
		{"name": "retry", "cmdline": "false", "max_failures": 0, "min_duration_secs": 0}
	]}`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	if spec.MaxFailures != 1 || spec.FinalizationWait != 30 || spec.MaxConcurrency != 0 {
		t.Errorf("task defaults: %+v", spec)
	}
	if p := spec.Processes[0]; p.MaxFailures != 1 || p.MinDuration != 5 {
		t.Errorf("absent fields: %+v, want max_failures 1, min_duration_secs 5", p)
	}
	if p := spec.Processes[1]; p.MaxFailures != 0 || p.MinDuration != 0 {
		t.Errorf("explicit zeros were replaced: %+v", p)
	}
}

func TestLoadSpecErrors(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ data, want string }{
		"missing":        {"", "no such file"},
		"not json":       {"{", "unexpected EOF"},
		"unknown field":  {`{"processes": [{"name": "a", "cmdline": "x", "restart": true}]}`, `unknown field "restart"`},
		"invalid":        {`{"processes": []}`, "processes: at least one process is required"},
		"unknown task f": {`{"procs": []}`, `unknown field "procs"`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
			if tc.data != "" {
				if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadSpec(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	daemon := ProcessSpec{Name: "d", Cmdline: "x", Daemon: true}
	eph := ProcessSpec{Name: "e", Cmdline: "x", Ephemeral: true}
	fin := ProcessSpec{Name: "f", Cmdline: "x", Final: true}
	spec := TaskSpec{
		MaxFailures: -1,
		Processes: []ProcessSpec{
			{Name: "a", Cmdline: "x"},
			{Name: "a", Cmdline: "x"},
			{Name: "", Cmdline: "x"},
			{Name: "x/y", Cmdline: "x"},
			{Name: ".hidden", Cmdline: "x"},
			{Name: "nocmd", Cmdline: "  "},
			{Name: "neg", Cmdline: "x", MaxFailures: -1, MinDuration: -2},
			daemon, eph, fin,
			{Name: "p", Cmdline: "x"}, {Name: "q", Cmdline: "x"},
		},
		Orders: [][]string{{"a", "ghost"}, {"d", "p"}, {"e", "q"}, {"f", "nocmd"}, {"p", "q", "p"}},
	}
	err := spec.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"max_failures: must be >= 0",
		`processes[1].name: "a" is also the name of processes[0]`,
		"processes[2].name: required",
		`processes[3].name: "x/y" must not contain '/'`,
		`processes[4].name: ".hidden" must not start with '.'`,
		"processes[5].cmdline: required",
		"processes[6].max_failures: must be >= 0",
		"processes[6].min_duration_secs: must be >= 0",
		`orders[0][1]: unknown process "ghost"`,
		`orders[1][1]: "p" may not depend on daemon process "d"`,
		`orders[2][1]: non-ephemeral process "q" may not depend on ephemeral process "e"`,
		"orders[3][1]: final and regular processes may not depend on each other",
		"orders: cycle p -> q -> p",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestValidateAcceptsGoodSpec(t *testing.T) {
	spec := TaskSpec{
		Processes: []ProcessSpec{
			{Name: "a", Cmdline: "x"}, {Name: "b", Cmdline: "x"},
			{Name: "e1", Cmdline: "x", Ephemeral: true}, {Name: "e2", Cmdline: "x", Ephemeral: true},
			{Name: "f1", Cmdline: "x", Final: true}, {Name: "f2", Cmdline: "x", Final: true},
		},
		Orders: [][]string{{"a", "b"}, {"b", "e1", "e2"}, {"f1", "f2"}},
	}
	if err := spec.Validate(); err != nil {
		t.Error(err)
	}
}
