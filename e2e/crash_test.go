package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// slowDemo is a service of the demo image that listens (and so passes its
// HTTP health check) only 3 s after it starts, so its task stays STARTING
// that long. With checks every second and 10 s of grace (m = 10), the
// refused checks before it listens are ignored.
const slowDemo = `    service: true
    container: {docker: {image: 'borealis/demo:latest'}}
    health_check_config: {initial_interval_secs: 10, interval_secs: 1}
    task:
      processes:
        - name: demo
          cmdline: '/usr/local/bin/borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}} -slow-start 3'
      resources: {cpu: 0.2, ram: 32MB, disk: 16MB}
`

// recovery bounds how long tasks take to be watched again after a worker
// crash: the dead worker's heartbeating activities time out (15 s), are
// retried, and the new worker picks them up.
const recovery = 60 * time.Second

// TestWorkerCrashRecovery kills bin/borealis-worker with SIGKILL twice and
// starts a new one each time: running tasks are adopted (same task ids and
// containers, no new container, counts unchanged), a container removed
// while no worker ran is LOST and replaced, a task STARTING at the crash
// ends RUNNING with exactly one container, the adopted tasks are really
// watched again, and a container being created at the crash is adopted, not
// duplicated or orphaned.
func TestWorkerCrashRecovery(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	svc := cl.Job("svc")
	cl.MustRun("job", "create", svc, cl.WriteJob(svc, "    service: true\n    instances: 3\n"+sleeper), "--wait-until", "RUNNING", "--timeout", "60s")
	before, beforeCs := cl.Consistent(svc, 10*time.Second)
	if len(before.Active) != 3 || len(harness.Running(beforeCs)) != 3 {
		t.Fatalf("want 3 running tasks:\n%s%s", before, harness.ListContainers(beforeCs))
	}
	counts := map[int][2]int{}
	for i := range 3 {
		st := env.MustInstance(t, svc, i)
		counts[i] = [2]int{st.FailureCount, st.Restarts}
	}

	// Crash 1: every task of svc RUNNING, and the container of a new job
	// being made: the worker dies the moment Docker reports it created, so
	// StartTask is most likely cut between creating and starting it, or
	// before its result reached Temporal. One container of svc is removed
	// while no worker runs.
	creating := cl.Job("creating")
	since := time.Now().Add(-time.Second)
	cl.MustRun("job", "create", creating, cl.WriteJob(creating, slowDemo))
	var createdID string
	select {
	case createdID = <-watchCreate(t, creating, since):
	case <-time.After(30 * time.Second):
		t.Fatal("no container of " + creating + " created within 30s")
	}
	cl.KillWorker()
	crash1 := time.Now()
	for _, c := range harness.Containers(t, creating) {
		t.Logf("worker killed; then the container of %s was: %s", creating, c)
	}
	gone, _ := before.ActiveOf(2)
	harness.Docker(t, "rm", "-f", gone.ContainerID)
	cl.StartWorker()

	s := cl.WaitStatus(svc, recovery, "the removed task LOST and replaced", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(2)
		lost, found := s.Find(gone.TaskID)
		return ok && a.TaskID != gone.TaskID && a.Status == "RUNNING" && found && lost.Status == "LOST",
			"want instance 2's old task LOST and a new one RUNNING"
	})
	t.Logf("crash 1: instance 2 replaced %s after the worker restarted", time.Since(crash1).Round(time.Millisecond))
	lost, _ := s.Find(gone.TaskID)
	if lost.FailureCount != 0 {
		t.Errorf("a LOST task is no failure: failureCount %d:%s", lost.FailureCount, lost.Events())
	}
	if st := env.MustInstance(t, svc, 2); st.FailureCount != 0 || st.Restarts != counts[2][1]+1 {
		t.Errorf("instance 2 after LOST: want 0 failures and %d restarts, got %d and %d", counts[2][1]+1, st.FailureCount, st.Restarts)
	}
	checkAdopted(t, cl, svc, before, counts, []int{0, 1})

	// Crash 2: a task of a new job is STARTING (its process listens only
	// after 3 s).
	demo := cl.Job("demo")
	cl.MustRun("job", "create", demo, cl.WriteJob(demo, slowDemo))
	var starting harness.Task
	cl.WaitStatus(demo, 30*time.Second, "the demo task STARTING", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(0)
		if ok && a.Status == "RUNNING" {
			t.Fatalf("the demo task was RUNNING before the crash; it must be STARTING:%s", a.Events())
		}
		starting = a
		return ok && a.Status == "STARTING" && a.ContainerID != "", "want instance 0 STARTING"
	})
	cl.KillWorker()
	crash := time.Now()
	cl.StartWorker()

	cl.WaitStatus(demo, recovery, "the demo instance RUNNING after the crash", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(0)
		return ok && a.Status == "RUNNING", "want instance 0 RUNNING"
	})
	t.Logf("crash 2: the starting task RUNNING %s after the worker restarted", time.Since(crash).Round(time.Millisecond))
	s, cs := cl.Consistent(demo, 10*time.Second)
	a, _ := s.ActiveOf(0)
	if run := harness.Running(cs); len(run) != 1 || run[0].Task != a.TaskID || run[0].ID != a.ContainerID {
		t.Fatalf("want exactly one running container, the active task's %s:\n%s", a.TaskID, harness.ListContainers(cs))
	}
	if a.TaskID == starting.TaskID {
		if a.ContainerID != starting.ContainerID {
			t.Fatalf("task %s changed container across the crash: %.12s → %.12s", a.TaskID, starting.ContainerID, a.ContainerID)
		}
	} else {
		t.Logf("the starting task %s was replaced by %s:\n%s", starting.TaskID, a.TaskID, s)
		for _, c := range cs {
			if c.Task == starting.TaskID && c.State == "running" {
				t.Fatalf("the replaced task's container still runs: %s", c)
			}
		}
	}
	if len(cs) != 1 {
		t.Errorf("want one container of %s, got:\n%s", demo, harness.ListContainers(cs))
	}
	if len(s.Inactive) != 0 {
		t.Errorf("the starting task did not survive the crash:\n%s", s)
	}
	// The health checks went on, counting attempts, across the crash.
	if st := env.MustInstance(t, demo, 0); st.Active == nil || st.Active.Health == nil {
		t.Errorf("no health progress recorded: %+v", st)
	}

	// The first job is still untouched after a second crash.
	after1, _ := cl.Consistent(svc, 10*time.Second)
	checkAdopted(t, cl, svc, before, counts, []int{0, 1})

	// The adopted tasks are watched by the new worker: a container killed
	// now is FAILED and replaced.
	victim, _ := after1.ActiveOf(0)
	harness.Docker(t, "kill", victim.ContainerID)
	cl.WaitStatus(svc, recovery, "adopted instance 0 replaced after docker kill", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(0)
		old, found := s.Find(victim.TaskID)
		return ok && a.TaskID != victim.TaskID && a.Status == "RUNNING" && found && old.Status == "FAILED",
			"want instance 0's adopted task FAILED and a new one RUNNING"
	})
	_, cs = cl.Consistent(svc, 10*time.Second)
	if n := len(harness.Running(cs)); n != 3 {
		t.Fatalf("want 3 running containers of %s, got:\n%s", svc, harness.ListContainers(cs))
	}

	// The job whose container was being made at crash 1 adopts it: same
	// task, one container, RUNNING. A StartTask attempt cut by a crash is
	// retried only when its StartToCloseTimeout (2 min) expires, hence the
	// long deadline.
	s = cl.WaitStatus(creating, time.Until(crash1.Add(3*time.Minute)), "the job created at crash 1 RUNNING", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(0)
		return ok && a.Status == "RUNNING", "want instance 0 RUNNING"
	})
	t.Logf("crash 1: the task whose container was being made RUNNING %s after the crash (events:%s)",
		time.Since(crash1).Round(time.Millisecond), s.Active[0].Events())
	s, cs = cl.Consistent(creating, 10*time.Second)
	a, _ = s.ActiveOf(0)
	if len(cs) != 1 || cs[0].ID != createdID || a.ContainerID != createdID || cs[0].State != "running" {
		t.Fatalf("want the container created at the crash (%.12s) adopted and running; task %s has %.12s:\n%s",
			createdID, a.TaskID, a.ContainerID, harness.ListContainers(cs))
	}
	if len(s.Inactive) != 0 {
		t.Errorf("the task being started did not survive the crash:\n%s", s)
	}
}

// checkAdopted checks that instances ids of key still run the tasks and
// containers of before, RUNNING, with their counts unchanged, and that no
// other container of them exists.
func checkAdopted(t *testing.T, cl *harness.Cluster, key string, before harness.JobStatus, counts map[int][2]int, ids []int) {
	t.Helper()
	s, cs := cl.Consistent(key, 10*time.Second)
	for _, i := range ids {
		was, _ := before.ActiveOf(i)
		now, ok := s.ActiveOf(i)
		if !ok || now.TaskID != was.TaskID || now.ContainerID != was.ContainerID || now.Status != "RUNNING" {
			t.Fatalf("instance %d not adopted: was %s %.12s RUNNING, now %+v\n%s", i, was.TaskID, was.ContainerID, now, s)
		}
		if in := s.InactiveOf(i); len(in) != 0 {
			t.Fatalf("instance %d has ended tasks after the crash:\n%s", i, s)
		}
		if c := harness.OfInstance(cs, i); len(c) != 1 || c[0].ID != was.ContainerID || c[0].State != "running" {
			t.Fatalf("instance %d: want only its container %.12s, running:\n%s", i, was.ContainerID, harness.ListContainers(c))
		}
		st := env.MustInstance(t, key, i)
		if got := [2]int{st.FailureCount, st.Restarts}; got != counts[i] {
			t.Fatalf("instance %d: failureCount, restarts changed from %v to %v", i, counts[i], got)
		}
	}
	if n := len(harness.Running(cs)); n != 3 {
		t.Fatalf("want 3 running containers of %s, got:\n%s", key, harness.ListContainers(cs))
	}
}

// watchCreate reports the id of the first container Docker creates with
// the job's label.
func watchCreate(t *testing.T, key string, since time.Time) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events := exec.CommandContext(ctx, "docker", "events", "--since", fmt.Sprintf("%.3f", float64(since.UnixMilli())/1000),
		"--filter", "type=container", "--filter", "event=create",
		"--filter", "label=borealis.job="+key, "--format", "{{.Actor.ID}}")
	out, err := events.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := events.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = events.Wait() })
	created := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			created <- strings.TrimSpace(sc.Text())
		}
	}()
	return created
}
