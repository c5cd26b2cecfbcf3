package faults

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// recovery bounds how long tasks take to be watched again after a worker
// crash: the dead worker's heartbeating activities time out (15 s), are
// retried, and the new worker picks them up.
const recovery = 60 * time.Second

// TestWorkerKills kills the worker with SIGKILL at random moments of a
// rolling update (6 instances and 3 kills; long: 20 and 10), starting a
// new one each time. The update ends ROLLED_FORWARD; each instance is
// replaced exactly once (one INSTANCE_UPDATING and one INSTANCE_UPDATED,
// its old task and one new task, nothing else); no task is LOST; Docker
// runs exactly the active tasks' containers and keeps none without a task.
func TestWorkerKills(t *testing.T) {
	t.Parallel()
	n, kills := pick(6, 20), pick(3, 10)
	r := scenario(t, fmt.Sprintf("worker kill -9 during an update of %d", n))
	rnd := newRand(t)
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("kills")
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: "{batch_size: 2, watch_secs: 1}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	v2 := v1
	v2.Version = 2
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))

	// Kill at a random moment 0-4 s after the update started or the last
	// worker came up, while the update is still rolling forward.
	done := 0
	for k := range kills {
		wait := time.Duration(rnd.Int64N(int64(4 * time.Second)))
		time.Sleep(wait)
		u, err := cl.Info(key, id)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != "ROLLING_FORWARD" {
			t.Logf("kill %d: the update is already %s; no more kills", k+1, u.Status)
			break
		}
		cl.KillWorker()
		done++
		t.Logf("kill %d after %s: %d instances updating, %d updated", k+1, wait.Round(time.Millisecond),
			len(u.Order("INSTANCE_UPDATING")), len(u.Order("INSTANCE_UPDATED")))
		cl.StartWorker()
	}
	if done < min(kills, 2) {
		t.Errorf("only %d of %d kills hit the update", done, kills)
	}

	res := cl.Run("update", "wait", key, id, "--timeout", fmt.Sprintf("%ds", int(pick(4*time.Minute, 12*time.Minute).Seconds())))
	u := cl.MustInfo(key, id)
	if res.Code != harness.ExitOK || u.Status != "ROLLED_FORWARD" {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s\n%s", res, u)
	}
	harness.Once(t, u, harness.Span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.Order("INSTANCE_UPDATING"); !slices.Equal(got, harness.Span(n)) {
		t.Errorf("INSTANCE_UPDATING order %v:\n%s", got, u)
	}
	s := cl.Settled(key, harness.All(n, 2), time.Minute)
	lost, dups := countLostDup(s, harness.Containers(t, key))
	r.add(done, lost, dups)
	harness.ReplacedOnce(t, s, before, harness.Span(n), nil)
	harness.OldGone(t, key, before)
	if lost+dups > 0 {
		t.Errorf("%d tasks LOST, %d instances with extra tasks or containers:\n%s", lost, dups, s)
	}
}

// countLostDup counts the LOST tasks of s, and the instances with more
// than one running container or more than one active task.
func countLostDup(s harness.JobStatus, cs []harness.Container) (lost, dups int) {
	for _, tk := range append(slices.Clone(s.Active), s.Inactive...) {
		if tk.Status == "LOST" {
			lost++
		}
	}
	active := map[int]int{}
	for _, a := range s.Active {
		active[a.InstanceID]++
	}
	run := map[int]int{}
	for _, c := range harness.Running(cs) {
		run[c.Instance]++
	}
	extra := map[int]bool{}
	for i, c := range active {
		extra[i] = extra[i] || c > 1
	}
	for i, c := range run {
		extra[i] = extra[i] || c > 1
	}
	for _, e := range extra {
		if e {
			dups++
		}
	}
	return lost, dups
}
