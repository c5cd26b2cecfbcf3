package faults

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borealis-dev/borealis/internal/harness"
)

// badConfigs are the files of testdata/configs (each for the job
// faults/bad/prod/job) and what the error must say.
var badConfigs = map[string]string{
	"aurora_syntax.aurora":            "aurora_syntax.aurora:2:5: got identifier, want ','",
	"bad_size.yaml":                   `jobs[0].task.resources.ram: invalid size "12XB"`,
	"bad_update_order.yaml":           `jobs[0].update_config.update_order: must be stop_first or start_first, got "sideways"`,
	"cyclic_binds.aurora":             "jobs[0].task.processes[0].cmdline: templates nest too deeply",
	"cyclic_order.aurora":             "jobs[0].task.constraints: order constraints form a cycle: a -> b -> a",
	"duplicate_job.yaml":              "jobs[1]: duplicate job key faults/bad/prod/job",
	"duplicate_process.yaml":          `jobs[0].task.processes[1].name: duplicate process name "p"`,
	"empty.yaml":                      "the file is empty",
	"fractional_instances.json":       "jobs[0].instances: expected an integer, got number 1.5",
	"json_syntax.json":                "json_syntax.json:2:1: invalid JSON: unexpected end of JSON input",
	"negative_cpu.yaml":               "jobs[0].task.resources.cpu: must be > 0, got -1",
	"negative_instances.yaml":         "jobs[0].instances: must be > 0, got -1",
	"no_jobs.aurora":                  "no_jobs.aurora: no jobs",
	"no_process.yaml":                 "jobs[0].task.processes: must have at least one process",
	"runaway.aurora":                  "too many steps",
	"unbound_template.aurora":         "unbound template reference {{profile.missing}}",
	"unbound_template.yaml":           "unbound template reference {{nope}}",
	"undefined_name.aurora":           "undefined_name.aurora:1:26: undefined: nope",
	"unknown_field.aurora":            `Process: unknown field "colour"`,
	"unknown_field.yaml":              "jobs[0].instnaces: unknown field",
	"unknown_process_in_order.aurora": `jobs[0].task.constraints[0].order: unknown process "ghost"`,
	"wrong_type.aurora":               `jobs[0].task.resources.cpu: expected a number, got string "lots"`,
	"wrong_type_instances.yaml":       `jobs[0].instances: expected an integer, got string "three"`,
	"wrong_type_service.yaml":         `jobs[0].service: expected a boolean, got string "yes please"`,
	"yaml_syntax.yaml":                "yaml_syntax.yaml: line 6: did not find expected ',' or ']'",
	"zero_batch_size.yaml":            "jobs[0].update_config.batch_size: must be > 0, got 0",
	"zero_health_interval.yaml":       "jobs[0].health_check_config.interval_secs: must be > 0, got 0",
	"zero_max_task_failures.yaml":     "jobs[0].max_task_failures: must be -1 (unlimited) or > 0, got 0",
}

// TestBadConfigs runs `job inspect`, `job create` and `update start` of
// bin/borealis with every file of testdata/configs: each exits 3 with one
// error line that names the file or the field and says what is wrong,
// and no job comes of it.
func TestBadConfigs(t *testing.T) {
	t.Parallel()
	r := scenario(t, "malformed configs")
	cl := env.NewCluster(t, harness.Flapping{})
	const key = "faults/bad/prod/job"
	entries, err := os.ReadDir(filepath.Join("testdata", "configs"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		seen[name] = true
		want, ok := badConfigs[name]
		if !ok {
			t.Errorf("testdata/configs/%s: no expected error in badConfigs", name)
			continue
		}
		// The CLI runs in the cluster's home: give it a copy, so that
		// errors name the file as a user would see it.
		data, err := os.ReadFile(filepath.Join("testdata", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cl.Home, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"job", "inspect", key, name},
			{"job", "create", key, name},
			{"update", "start", key, name},
		} {
			res := cl.Run(args...)
			r.add(1, 0, 0)
			if res.Code != harness.ExitConfig || !strings.Contains(res.Stderr, want) || !strings.HasPrefix(res.Stderr, "Error: ") {
				t.Errorf("%s: want exit 3 and an error with %q: %s", name, want, res)
			}
		}
	}
	for name := range badConfigs {
		if !seen[name] {
			t.Errorf("badConfigs names %s, which testdata/configs lacks", name)
		}
	}
	if res := cl.Run("job", "status", key); res.Code != harness.ExitCommandFailure {
		t.Errorf("job status after the refused creates: want exit 4, no such job: %s", res)
	}
}

// TestBadArguments runs bin/borealis with malformed command lines: each
// exits 5 (invalid command) or 6 (invalid parameter) with an error naming
// what is wrong.
func TestBadArguments(t *testing.T) {
	t.Parallel()
	r := scenario(t, "malformed command lines")
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("args")
	cfg := cl.WriteJob(key, sleeper)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frob"}, harness.ExitInvalidCommand, `unknown command "frob" for "borealis"`},
		{[]string{"job", "frob"}, harness.ExitInvalidCommand, `unknown command "frob" for "borealis job"`},
		{[]string{"update", "frob", key}, harness.ExitInvalidCommand, `unknown command "frob" for "borealis update"`},
		{[]string{"job", "status", key, "--bogus"}, harness.ExitInvalidCommand, "unknown flag: --bogus"},
		{[]string{"job", "status", key, "--write-json=maybe"}, harness.ExitInvalidCommand, `invalid argument "maybe" for "--write-json"`},
		{[]string{"job", "create", key}, harness.ExitInvalidCommand, "borealis job create takes 2 arguments, got 1"},
		{[]string{"job", "status", key, "extra"}, harness.ExitInvalidCommand, "borealis job status takes 1 argument, got 2"},
		{[]string{"job", "add", key + "/0", "-2"}, harness.ExitInvalidCommand, "unknown shorthand flag: '2' in -2"},
		{[]string{"task", "run", key}, harness.ExitInvalidCommand, "borealis task run takes a job or instances and a command"},
		{[]string{"job", "status", "a/b/c"}, harness.ExitInvalidParameter, `Found no jobs matching a/b/c`},
		{[]string{"job", "status", "a/b/c/d/e/f"}, harness.ExitInvalidParameter, `job key or pattern "a/b/c/d/e/f": want CLUSTER/ROLE/ENV/NAME or CLUSTER[/ROLE[/ENV[/NAME]]]`},
		{[]string{"job", "status", ""}, harness.ExitInvalidParameter, `job key or pattern is empty`},
		{[]string{"job", "kill", "a/b/c"}, harness.ExitInvalidParameter, `instance spec "a/b/c": want CLUSTER/ROLE/ENV/NAME[/INSTANCES]`},
		{[]string{"job", "kill", ""}, harness.ExitInvalidParameter, `instance spec "": want CLUSTER/ROLE/ENV/NAME[/INSTANCES]`},
		{[]string{"update", "start", "a//c/d", cfg}, harness.ExitInvalidParameter, `job key "a//c/d": role "" must match`},
		{[]string{"job", "kill", key + "/x-y"}, harness.ExitInvalidParameter, `instance "x-y": want a number ≥ 0 or a range A-B`},
		{[]string{"job", "kill", key + "/5-2"}, harness.ExitInvalidParameter, `instance range "5-2": want A-B with A ≤ B`},
		{[]string{"job", "kill", key + "/-1"}, harness.ExitInvalidParameter, `instance "-1": want a number ≥ 0 or a range A-B`},
		{[]string{"job", "create", key, cfg, "--wait-until", "NEVER"}, harness.ExitInvalidParameter, `--wait-until "NEVER": want PENDING, RUNNING or FINISHED`},
		{[]string{"job", "restart", key, "--batch-size", "0"}, harness.ExitInvalidParameter, "--batch-size 0: want a number > 0"},
		{[]string{"job", "add", key + "/0", "zero"}, harness.ExitInvalidParameter, `COUNT "zero": want a number > 0`},
		{[]string{"update", "list", key, "--status", "BOGUS"}, harness.ExitInvalidParameter, `unknown update status "BOGUS"`},
		{[]string{"job", "inspect", key, "missing.yaml"}, harness.ExitConfig, "missing.yaml: cannot read config: no such file or directory"},
		{[]string{"job", "inspect", key, "/etc/hostname"}, harness.ExitConfig, `unknown config format ""`},
	} {
		res := cl.Run(c.args...)
		r.add(1, 0, 0)
		if res.Code != c.code || !strings.Contains(res.Stderr, c.want) {
			t.Errorf("want exit %d and an error with %q: %s", c.code, c.want, res)
		}
	}
	// None of it made a job.
	if res := cl.Run("job", "status", key); res.Code != harness.ExitCommandFailure {
		t.Errorf("job status: want exit 4, no such job: %s", res)
	}
}
