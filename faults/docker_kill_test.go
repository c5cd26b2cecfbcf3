package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
	"github.com/borealis-dev/borealis/workflows"
)

// sleeper is a service task that runs until it is stopped.
const sleeper = `    service: true
    task:
      processes:
        - name: sleeper
          cmdline: 'while true; do sleep 10; done'
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`

// maxHistory bounds the events of one run of an instance workflow: it
// continues as new past 1,000 (docs/decisions.md).
const maxHistory = 1100

// TestDockerKills kills the container of a service's task with `docker
// kill` N times (10; long: 100), each time once its successor is RUNNING.
// Every kill is one FAILED task (exit 137) and one restart, never LOST,
// never two; the failure count and the restarts add up to N; each new task
// waits in THROTTLED for the flapping back-off, doubling from 200ms up to
// its cap of 1.6s; and no run of the instance workflow's history passes
// ~1,100 events.
func TestDockerKills(t *testing.T) {
	t.Parallel()
	kills := pick(10, 100)
	r := scenario(t, fmt.Sprintf("docker kill ×%d", kills))
	const initial, capped = 200 * time.Millisecond, 1600 * time.Millisecond
	cl := env.NewCluster(t, harness.Flapping{Initial: initial.String(), Max: capped.String()})
	key := cl.Job("kills")
	cl.MustRun("job", "create", key, cl.WriteJob(key, sleeper), "--wait-until", "RUNNING", "--timeout", "60s")
	s, _ := cl.Consistent(key, 20*time.Second)
	cur, _ := s.ActiveOf(0)

	var delays []time.Duration
	for k := 1; k <= kills; k++ {
		if cur.Status != "RUNNING" || cur.ContainerID == "" {
			t.Fatalf("kill %d: want a RUNNING task with a container:\n%s", k, s)
		}
		harness.Docker(t, "kill", cur.ContainerID)
		old := cur
		s = cl.WaitStatus(key, time.Minute, fmt.Sprintf("kill %d: a new task RUNNING", k), func(s harness.JobStatus) (bool, string) {
			a, ok := s.ActiveOf(0)
			return ok && a.TaskID != old.TaskID && a.Status == "RUNNING" && a.ContainerID != "", "want a new RUNNING task"
		})
		cur, _ = s.ActiveOf(0)
		ended, ok := s.Find(old.TaskID)
		lost := 0
		if ok && ended.Status == "LOST" {
			lost = 1
		}
		r.add(1, lost, 0)
		if !ok || ended.Status != "FAILED" || ended.FailureCount != k {
			t.Fatalf("kill %d: want task %s FAILED with failureCount %d:\n%s", k, old.TaskID, k, s)
		}
		if cur.FailureCount != k {
			t.Errorf("kill %d: the new task's failureCount is %d, want %d", k, cur.FailureCount, k)
		}
		var got []time.Duration
		for _, e := range cur.TaskEvents {
			if e.Status == "THROTTLED" {
				d, err := harness.DelayOf(e)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, d)
			}
		}
		want := min(initial<<(k-1), capped)
		if k > 8 {
			want = capped // initial<<(k-1) overflows for large k
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("kill %d: THROTTLED delays %v, want [%s]:%s", k, got, want, cur.Events())
		}
		delays = append(delays, got...)
	}
	if len(delays) > 12 {
		t.Logf("THROTTLED delays: %v ... (%d)", delays[:12], len(delays))
	} else {
		t.Logf("THROTTLED delays: %v", delays)
	}

	st := env.MustInstance(t, key, 0)
	if st.FailureCount != kills || st.Restarts != kills {
		t.Errorf("instance 0: failureCount %d and restarts %d, want %d each", st.FailureCount, st.Restarts, kills)
	}
	s, cs := cl.Consistent(key, 20*time.Second)
	if run := harness.Running(cs); len(run) != 1 || len(s.Active) != 1 {
		t.Errorf("want one active task and one running container:\n%s%s", s, harness.ListContainers(cs))
		r.add(0, 0, 1)
	}
	checkHistory(t, workflows.InstanceWorkflowID(key, 0), kills)
}

// checkHistory checks that no run of the workflow has more than maxHistory
// events, and logs how many runs and events there were. It reads the
// current run's history, then the run it continued from, back to the first.
func checkHistory(t *testing.T, id string, kills int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runs, total, longest := 0, 0, 0
	for run := ""; ; runs++ {
		it := env.Temporal.GetWorkflowHistory(ctx, id, run, false, 0)
		n, prev := 0, ""
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatalf("history of %s run %q: %v", id, run, err)
			}
			if n == 0 {
				prev = e.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
			}
			n++
		}
		total += n
		longest = max(longest, n)
		if n > maxHistory {
			t.Errorf("a run of %s (%q, the newest but %d) has %d events, want ≤ %d", id, run, runs, n, maxHistory)
		}
		if prev == "" {
			break
		}
		run = prev
	}
	t.Logf("%s: %d kills took %d runs, %d events in all, the longest run %d", id, kills, runs+1, total, longest)
}
