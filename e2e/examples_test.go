package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/internal/harness"
	"github.com/borealis-dev/borealis/internal/testenv"
)

// exampleUpdates says how the update of an example that defines a
// version 2 (through {{version}} and --bind version=2) must end; an update
// example not listed here must roll forward.
var exampleUpdates = map[string]struct {
	status string
	code   int
}{
	"batch_update_rollback.aurora": {"ROLLED_BACK", harness.ExitCommandFailure},
}

// TestExamples runs every job file of examples/jobs as its comments say,
// under this test's cluster and role: `job create --wait-until RUNNING`
// (FINISHED for a job that is not a service; a cron job is scheduled,
// started by hand to a FINISHED run and descheduled), for a file that takes
// {{version}} an `update start --bind version=2 --wait` (resumed and
// pulsed as it asks) with the expected exit code, then `job killall`.
func TestExamples(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.RepoRoot(), "examples", "jobs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		switch filepath.Ext(e.Name()) {
		case ".aurora", ".yaml", ".yml", ".json":
		default:
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			runExample(t, filepath.Join(dir, e.Name()))
		})
	}
	if n == 0 {
		t.Fatalf("no job files in %s", dir)
	}
}

func runExample(t *testing.T, src string) {
	cl := env.NewCluster(t, harness.Flapping{})
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	// The examples are for the cluster devcluster and role www-data; run
	// them under this test's own, so they meet nothing a user runs.
	text := string(data)
	if !strings.Contains(text, "devcluster") || !strings.Contains(text, "www-data") {
		t.Fatalf("%s: want cluster devcluster and role www-data, as every example has", src)
	}
	text = strings.ReplaceAll(text, "devcluster", "e2e")
	text = strings.ReplaceAll(text, "www-data", cl.Role)
	path := filepath.Join(cl.Home, filepath.Base(src))
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	jobs, err := config.Load(path, config.LoadOptions{})
	if err != nil {
		t.Fatalf("%s does not load: %v", src, err)
	}
	updates := strings.Contains(text, "{{version}}")
	for _, job := range jobs {
		key := job.Key()
		cl.Keys = append(cl.Keys, key)
		if r := cl.Run("job", "inspect", key, path); r.Code != harness.ExitOK {
			t.Fatalf("%s: job inspect: %s", src, r)
		}
		if job.IsCron() {
			runCronExample(t, cl, src, key, path)
			continue
		}
		want := "RUNNING"
		if !job.Service {
			want = "FINISHED"
		}
		start := time.Now()
		r := cl.Run("job", "create", key, path, "--wait-until", want, "--timeout", "90s")
		if r.Code != harness.ExitOK {
			t.Fatalf("%s: job create --wait-until %s: %s", src, want, r)
		}
		t.Logf("%s: %s %s after %s", filepath.Base(src), key, want, time.Since(start).Round(time.Millisecond))
		s, _ := cl.Consistent(key, 20*time.Second)
		if job.Service {
			checkDemoVersions(t, s, 1)
		} else {
			for _, tk := range s.Inactive {
				if tk.Status != "FINISHED" {
					t.Errorf("%s: task %s ended %s, want FINISHED:%s", key, tk.TaskID, tk.Status, tk.Events())
				}
			}
		}

		if updates && job.Service {
			expect, ok := exampleUpdates[filepath.Base(src)]
			if !ok {
				expect.status, expect.code = "ROLLED_FORWARD", harness.ExitOK
			}
			done := cl.StartUpdateAsync(key, path, "--bind", "version=2")
			u := cl.DriveUpdate(key, 3*time.Minute)
			r := <-done
			if r.Code != expect.code || u.Status != expect.status {
				t.Errorf("%s: update start --bind version=2 --wait: want %s, exit %d: %s\n%s", src, expect.status, expect.code, r, u)
			}
			version := 2
			if expect.status == "ROLLED_BACK" {
				version = 1
			}
			s := cl.WaitStatus(key, 30*time.Second, "every instance RUNNING", func(s harness.JobStatus) (bool, string) {
				ok := len(s.Active) == job.Instances
				for _, a := range s.Active {
					ok = ok && a.Status == "RUNNING"
				}
				return ok, "want every instance RUNNING"
			})
			checkDemoVersions(t, s, version)
			t.Logf("%s: update %s\n%s", filepath.Base(src), u.Status, u)
		}

		r = cl.Run("job", "killall", key)
		if r.Code != harness.ExitOK {
			t.Errorf("%s: job killall: %s", src, r)
		}
		s, cs := cl.Consistent(key, 20*time.Second)
		if len(s.Active) != 0 || len(harness.Running(cs)) != 0 {
			t.Errorf("%s: tasks left after killall:\n%s%s", key, s, harness.ListContainers(cs))
		}
	}
}

// checkDemoVersions checks that every active task with an http port
// answers GET / with "version N".
func checkDemoVersions(t *testing.T, s harness.JobStatus, version int) {
	t.Helper()
	var withHTTP harness.JobStatus
	for _, a := range s.Active {
		if a.AssignedPorts["http"] != 0 {
			withHTTP.Active = append(withHTTP.Active, a)
		}
	}
	if len(withHTTP.Active) == 0 {
		return
	}
	got, problems := harness.Versions(withHTTP)
	for _, a := range withHTTP.Active {
		if got[a.InstanceID] != version {
			t.Errorf("instance %d: want version %d: got %v %s\n%s", a.InstanceID, version, got, problems, s)
			return
		}
	}
}

// runCronExample schedules a cron job, starts a run by hand, waits for a
// run to finish and deschedules the job. The schedule's own minute may
// come meanwhile: a run it kills (KILL_EXISTING) or skips (CANCEL_NEW) is
// no failure.
func runCronExample(t *testing.T, cl *harness.Cluster, src, key, path string) {
	t.Cleanup(func() { cl.Run("cron", "deschedule", key) })
	cl.MustRun("cron", "schedule", key, path)
	cl.MustRun("cron", "start", key)
	show := cl.WaitCron(key, 90*time.Second, "a run FINISHED", func(s harness.CronShow) bool {
		return slices.ContainsFunc(s.Runs, func(r harness.CronRun) bool { return r.Outcome == "FINISHED" })
	})
	for _, r := range show.Runs {
		collided := r.Outcome == "SKIPPED" || (r.Outcome == "KILLED" && strings.Contains(r.Message, "KILL_EXISTING"))
		if r.Outcome != "FINISHED" && !collided {
			t.Errorf("%s: run %s ended %s, want FINISHED:\n%s", src, r.RunID, r.Outcome, show)
		}
	}
	cl.MustRun("cron", "deschedule", key)
}
