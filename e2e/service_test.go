package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
	"github.com/borealis-dev/borealis/internal/testenv"
)

// sleeper is a service task that runs until it is stopped.
const sleeper = `    task:
      processes:
        - name: sleeper
          cmdline: 'while true; do sleep 10; done'
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`

// TestHelloWorldService runs the seed's hello_world service (the YAML twin
// of examples/jobs/hello_world.aurora) with two instances: both RUNNING, its
// output in task logs, and a container killed behind Borealis's back is a
// FAILED task replaced by a new one.
func TestHelloWorldService(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("hello")

	seed, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "examples", "jobs", "hello_world.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(seed)
	for old, repl := range map[string]string{
		"cluster: devcluster": "cluster: e2e",
		"role: www-data":      "role: " + cl.Role,
		"service: true":       "service: true\n    instances: 2",
	} {
		if strings.Count(cfg, old) != 1 {
			t.Fatalf("examples/jobs/hello_world.yaml: want %q once:\n%s", old, cfg)
		}
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	path := filepath.Join(cl.Home, "hello_world.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	r := cl.MustRun("job", "create", key, path, "--wait-until", "RUNNING", "--timeout", "60s")
	if !strings.Contains(r.Stdout, "Job create succeeded: "+key+" (2 instances)") ||
		!strings.Contains(r.Stdout, "Every instance of "+key+" reached RUNNING") {
		t.Errorf("job create output: %s", r)
	}

	s, cs := cl.Consistent(key, 10*time.Second)
	if len(s.Active) != 2 || len(s.Inactive) != 0 {
		t.Fatalf("want 2 active tasks and no inactive one:\n%s", s)
	}
	for i := range 2 {
		a, ok := s.ActiveOf(i)
		if !ok || a.Status != "RUNNING" || a.ContainerID == "" || a.Host == "" || a.FailureCount != 0 {
			t.Fatalf("instance %d: want a RUNNING task with a container:\n%s", i, s)
		}
	}
	if s.Active[0].TaskID == s.Active[1].TaskID || s.Active[0].ContainerID == s.Active[1].ContainerID {
		t.Fatalf("instances share a task or container:\n%s", s)
	}
	if n := len(harness.Running(cs)); n != 2 {
		t.Fatalf("want 2 running containers, got %d:\n%s", n, harness.ListContainers(cs))
	}

	harness.Eventually(t, 15*time.Second, "task logs shows hello world", func() (bool, string) {
		r := cl.Run("task", "logs", key+"/0")
		return r.Code == harness.ExitOK && strings.Contains(r.Stdout, "hello world"), r.String()
	})

	// A container killed behind Borealis's back: FAILED, and the service
	// gets a new task (new id, new container).
	old, _ := s.ActiveOf(1)
	kept, _ := s.ActiveOf(0)
	harness.Docker(t, "kill", old.ContainerID)
	s = cl.WaitStatus(key, 30*time.Second, "instance 1 replaced after docker kill", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(1)
		return ok && a.TaskID != old.TaskID && a.Status == "RUNNING", "want a new RUNNING task of instance 1"
	})
	ended, ok := s.Find(old.TaskID)
	if !ok || ended.Status != "FAILED" || ended.FailureCount != 1 {
		t.Fatalf("killed task %s: want inactive FAILED with failureCount 1:\n%s", old.TaskID, s)
	}
	if !strings.Contains(ended.TaskEvents[len(ended.TaskEvents)-1].Message, "137") {
		t.Errorf("killed task's last event: want exit status 137, got%s", ended.Events())
	}
	if slicesHasTask(s.Active, old.TaskID) {
		t.Fatalf("killed task %s still active:\n%s", old.TaskID, s)
	}
	repl, _ := s.ActiveOf(1)
	if repl.ContainerID == old.ContainerID {
		t.Fatalf("replacement task %s reuses container %.12s", repl.TaskID, old.ContainerID)
	}
	if a, _ := s.ActiveOf(0); a.TaskID != kept.TaskID || a.ContainerID != kept.ContainerID {
		t.Fatalf("instance 0 changed: was %s/%.12s, now %s/%.12s", kept.TaskID, kept.ContainerID, a.TaskID, a.ContainerID)
	}

	s, cs = cl.Consistent(key, 10*time.Second)
	if run := harness.Running(cs); len(run) != 2 {
		t.Fatalf("want exactly 2 running containers of %s, got:\n%s", key, harness.ListContainers(cs))
	}
	if st := env.MustInstance(t, key, 1); st.FailureCount != 1 || st.Restarts != 1 {
		t.Errorf("instance 1: want failureCount 1 and 1 restart, got %d and %d", st.FailureCount, st.Restarts)
	}
}

func slicesHasTask(ts []harness.Task, id string) bool {
	for _, t := range ts {
		if t.TaskID == id {
			return true
		}
	}
	return false
}

// TestKillAndKillAll: job kill stops one instance for good; job killall
// stops the rest, and no container of the job is left running.
func TestKillAndKillAll(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("kill")
	path := cl.WriteJob(key, "    service: true\n    instances: 3\n"+sleeper)
	cl.MustRun("job", "create", key, path, "--wait-until", "RUNNING", "--timeout", "60s")
	before, _ := cl.Consistent(key, 10*time.Second)
	if len(before.Active) != 3 {
		t.Fatalf("want 3 active tasks:\n%s", before)
	}
	victim, _ := before.ActiveOf(1)

	start := time.Now()
	r := cl.MustRun("job", "kill", key+"/1")
	t.Logf("job kill %s/1 took %s", key, time.Since(start).Round(time.Millisecond))
	if !strings.Contains(r.Stdout, "Killed instances 1 of "+key) {
		t.Errorf("job kill output: %s", r)
	}
	s, cs := cl.Consistent(key, 10*time.Second)
	if _, ok := s.ActiveOf(1); ok {
		t.Fatalf("instance 1 still has an active task after job kill:\n%s", s)
	}
	if in := s.InactiveOf(1); len(in) != 1 || in[0].TaskID != victim.TaskID || in[0].Status != "KILLED" {
		t.Fatalf("instance 1: want its one task %s inactive KILLED:\n%s", victim.TaskID, s)
	}
	if n := len(harness.Running(harness.OfInstance(cs, 1))); n != 0 {
		t.Fatalf("instance 1 has %d running containers after job kill:\n%s", n, harness.ListContainers(cs))
	}
	for _, i := range []int{0, 2} {
		was, _ := before.ActiveOf(i)
		if now, ok := s.ActiveOf(i); !ok || now.TaskID != was.TaskID || now.Status != "RUNNING" {
			t.Fatalf("instance %d disturbed by killing instance 1:\n%s", i, s)
		}
	}
	if st := env.MustInstance(t, key, 1); !st.Done {
		t.Fatalf("instance 1 is not done after job kill: %+v", st)
	}
	harness.Never(t, 3*time.Second, "a killed instance must not start again", func() (bool, string) {
		cs := harness.OfInstance(harness.Containers(t, key), 1)
		bad := false
		for _, c := range cs {
			bad = bad || c.Task != victim.TaskID || c.State == "running"
		}
		return bad, harness.ListContainers(cs)
	})

	start = time.Now()
	r = cl.MustRun("job", "killall", key)
	t.Logf("job killall %s took %s", key, time.Since(start).Round(time.Millisecond))
	if !strings.Contains(r.Stdout, "Job killall succeeded: "+key) {
		t.Errorf("job killall output: %s", r)
	}
	s, cs = cl.Consistent(key, 10*time.Second)
	if len(s.Active) != 0 {
		t.Fatalf("active tasks after killall:\n%s", s)
	}
	for i := range 3 {
		in := s.InactiveOf(i)
		if len(in) == 0 || in[len(in)-1].Status != "KILLED" {
			t.Fatalf("instance %d: want its last task KILLED:\n%s", i, s)
		}
	}
	if run := harness.Running(cs); len(run) != 0 {
		t.Fatalf("containers of %s still running after killall:\n%s", key, harness.ListContainers(cs))
	}
	for i := range 3 {
		if st := env.MustInstance(t, key, i); !st.Done {
			t.Fatalf("instance %d not done after killall: %+v", i, st)
		}
	}
	harness.Never(t, 3*time.Second, "no container starts after killall", func() (bool, string) {
		run := harness.Running(harness.Containers(t, key))
		return len(run) > 0, harness.ListContainers(run)
	})
	// A killed job still answers status.
	if r := cl.Run("job", "status", key); r.Code != harness.ExitOK || !strings.Contains(r.Stdout, key) {
		t.Errorf("job status of a killed job: %s", r)
	}
}

// TestNonServiceRetries: a job (not a service) with max_task_failures = 3
// whose process fails runs exactly three times; one whose process
// succeeds is FINISHED after one run.
func TestNonServiceRetries(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{Initial: "1s", Max: "2s"})
	failing := cl.Job("failing")
	path := cl.WriteJob(failing, `    max_task_failures: 3
    task:
      processes: [{name: fail, cmdline: 'echo failing; exit 1'}]
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`)
	start := time.Now()
	r := cl.Run("job", "create", failing, path, "--wait-until", "FINISHED", "--timeout", "60s")
	t.Logf("job create --wait-until FINISHED of the failing job took %s", time.Since(start).Round(time.Millisecond))
	if r.Code != harness.ExitCommandFailure || !strings.Contains(r.Stderr, "ended FAILED, not FINISHED") {
		t.Errorf("want exit 4, instance ended FAILED: %s", r)
	}
	s, cs := cl.Consistent(failing, 10*time.Second)
	if len(s.Active) != 0 {
		t.Fatalf("the failing job still has an active task:\n%s", s)
	}
	in := s.InactiveOf(0)
	if len(in) != 3 {
		t.Fatalf("want exactly 3 runs (inactive tasks), got %d:\n%s", len(in), s)
	}
	for i, tk := range in {
		if tk.Status != "FAILED" || tk.FailureCount != i+1 {
			t.Errorf("run %d: want FAILED with failureCount %d, got %s %d:%s", i+1, i+1, tk.Status, tk.FailureCount, tk.Events())
		}
		throttled := false
		for _, e := range tk.TaskEvents {
			throttled = throttled || e.Status == "THROTTLED"
		}
		if throttled != (i > 0) {
			t.Errorf("run %d: THROTTLED=%v, want %v (a failed run under the flapping threshold throttles the next):%s", i+1, throttled, i > 0, tk.Events())
		}
	}
	if in[0].TaskID == in[1].TaskID || in[1].TaskID == in[2].TaskID || in[0].TaskID == in[2].TaskID {
		t.Fatalf("runs share a task id:\n%s", s)
	}
	// No container runs; any left is a run's (consistent checked for
	// orphans), at most the newest ended one, kept for its logs.
	if len(harness.Running(cs)) != 0 || len(cs) > 1 {
		t.Errorf("want at most the last run's stopped container, got:\n%s", harness.ListContainers(cs))
	}
	if r := cl.Run("task", "logs", failing+"/0"); r.Code != harness.ExitOK || !strings.Contains(r.Stdout, "failing") {
		t.Errorf("task logs of the last run: %s", r)
	}
	st := env.MustInstance(t, failing, 0)
	if !st.Done || st.FailureCount != 3 || st.Restarts != 2 {
		t.Errorf("instance 0: want done, 3 failures, 2 restarts; got %+v", st)
	}
	harness.Never(t, 3*time.Second, "no fourth run", func() (bool, string) {
		s, err := cl.Status(failing)
		if err != nil {
			return true, err.Error()
		}
		return len(s.Active) != 0 || len(s.Inactive) != 3, s.String()
	})

	ok := cl.Job("ok")
	path = cl.WriteJob(ok, `    max_task_failures: 3
    task:
      processes: [{name: ok, cmdline: 'echo done; exit 0'}]
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`)
	r = cl.MustRun("job", "create", ok, path, "--wait-until", "FINISHED", "--timeout", "60s")
	if !strings.Contains(r.Stdout, "reached FINISHED") {
		t.Errorf("job create output: %s", r)
	}
	s, cs = cl.Consistent(ok, 10*time.Second)
	if len(s.Active) != 0 || len(s.Inactive) != 1 || s.Inactive[0].Status != "FINISHED" || s.Inactive[0].FailureCount != 0 {
		t.Fatalf("want one FINISHED task and nothing active:\n%s", s)
	}
	if len(harness.Running(cs)) != 0 {
		t.Fatalf("a finished job has running containers:\n%s", harness.ListContainers(cs))
	}
	if st := env.MustInstance(t, ok, 0); !st.Done || st.Restarts != 0 || st.FailureCount != 0 {
		t.Errorf("finished instance: want done, no restart, no failure; got %+v", st)
	}
	harness.Never(t, 2*time.Second, "a FINISHED job does not run again", func() (bool, string) {
		s, err := cl.Status(ok)
		if err != nil {
			return true, err.Error()
		}
		return len(s.Active) != 0 || len(s.Inactive) != 1, s.String()
	})
}

// TestFlappingThrottle: a service whose process exits at once flaps; each
// next task waits in THROTTLED, 1s, 2s, then capped at 3s, and really waits
// that long before it is ASSIGNED. killall ends it, and a worker with a
// short sandbox_retention then removes the sandboxes of the removed containers.
func TestFlappingThrottle(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{Initial: "1s", Max: "3s"})
	key := cl.Job("flap")
	path := cl.WriteJob(key, `    service: true
    task:
      processes: [{name: flap, cmdline: 'exit 1'}]
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`)
	cl.MustRun("job", "create", key, path)

	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	// Tasks in the order they were made, with their THROTTLED delays.
	type seen struct {
		t      harness.Task
		delays []time.Duration
	}
	var tasks []seen
	s := cl.WaitStatus(key, 90*time.Second, "five tasks, four of them throttled and started", func(s harness.JobStatus) (bool, string) {
		all := append(append([]harness.Task{}, s.Inactive...), s.Active...)
		tasks = tasks[:0]
		for _, tk := range all {
			sn := seen{t: tk}
			for _, e := range tk.TaskEvents {
				if e.Status == "THROTTLED" {
					d, err := harness.DelayOf(e)
					if err != nil {
						return false, err.Error()
					}
					sn.delays = append(sn.delays, d)
				}
			}
			tasks = append(tasks, sn)
		}
		sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].t.FirstEvent() < tasks[j].t.FirstEvent() })
		started := 0
		for _, sn := range tasks {
			for _, e := range sn.t.TaskEvents {
				if e.Status == "ASSIGNED" {
					started++
					break
				}
			}
		}
		return started >= 5, fmt.Sprintf("%d tasks assigned", started)
	})
	var got []time.Duration
	for i, sn := range tasks[:5] {
		if i == 0 {
			if len(sn.delays) != 0 {
				t.Errorf("the first task was throttled:%s", sn.t.Events())
			}
			continue
		}
		if len(sn.delays) != 1 {
			t.Fatalf("task %d: want one THROTTLED event:%s", i+1, sn.t.Events())
		}
		got = append(got, sn.delays[0])
		// It really waited: ASSIGNED comes the delay after THROTTLED.
		var throttledAt, assignedAt int64
		for _, e := range sn.t.TaskEvents {
			switch e.Status {
			case "THROTTLED":
				throttledAt = e.Timestamp
			case "ASSIGNED":
				assignedAt = e.Timestamp
			}
		}
		if waited := time.Duration(assignedAt-throttledAt) * time.Millisecond; waited < sn.delays[0] || waited > sn.delays[0]+5*time.Second {
			t.Errorf("task %d: THROTTLED for %s, want %s:%s", i+1, waited, sn.delays[0], sn.t.Events())
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("THROTTLED delays: got %v, want %v\n%s", got, want, s)
	}
	for i, sn := range tasks[:4] {
		if sn.t.Status != "FAILED" || sn.t.FailureCount != i+1 {
			t.Errorf("task %d: want FAILED with failureCount %d:%s", i+1, i+1, sn.t.Events())
		}
	}

	cl.MustRun("job", "killall", key)
	s, cs := cl.Consistent(key, 10*time.Second)
	if len(s.Active) != 0 || len(harness.Running(cs)) != 0 {
		t.Fatalf("killall left a task:\n%s%s", s, harness.ListContainers(cs))
	}
	if st := env.MustInstance(t, key, 0); !st.Done {
		t.Fatalf("instance not done after killall: %+v", st)
	}
	harness.Never(t, 4*time.Second, "no task after killall of a flapping service", func() (bool, string) {
		s, err := cl.Status(key)
		if err != nil {
			return true, err.Error()
		}
		return len(s.Active) != 0, s.String()
	})

	// Every task left a sandbox; a worker with a short sandbox_retention
	// removes all but the one whose container killall kept for its logs (none
	// when killall met a task THROTTLED, without a container).
	sandboxes := filepath.Join(cl.DataDir, "sandboxes")
	if n := len(dirNames(t, sandboxes)); n < 5 {
		t.Fatalf("want a sandbox per task (5 or more), got %d", n)
	}
	cl.KillWorker()
	cl.WorkerArgs = append(cl.WorkerArgs, "--sandbox-retention", "1s")
	cl.StartWorker()
	harness.Eventually(t, 20*time.Second, "only the sandboxes of tasks with a container", func() (bool, string) {
		var want []string
		for _, c := range harness.Containers(t, key) {
			want = append(want, c.Task)
		}
		sort.Strings(want)
		got := dirNames(t, sandboxes)
		return len(want) <= 1 && fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("sandboxes %v, containers of tasks %v", got, want)
	})
}

// dirNames lists the directories in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}
