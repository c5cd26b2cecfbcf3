package e2e

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestUpdateWorkerCrash kills the worker with SIGKILL right after `update
// start` and again while a batch is in flight, starting a new one each
// time: the update finishes ROLLED_FORWARD, each instance is replaced
// exactly once (one INSTANCE_UPDATING and one INSTANCE_UPDATED, its old
// task and one new task), and Docker runs exactly the active tasks.
func TestUpdateWorkerCrash(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("crash")
	const n = 6
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: "{batch_size: 2, watch_secs: 1}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))

	_, id := cl.StartUpdate(key, cl.WriteVersion(key, slowV2(v1)))
	cl.KillWorker()
	cl.StartWorker()
	// The update's state is a query the new worker answers once it polls
	// and has replayed the update: wait for it rather than ask once.
	after := cl.WaitUpdate(key, id, recovery, "the new worker answers for the update", func(harness.UpdateInfo) bool { return true })
	t.Logf("crash 1: right after update start; after it: %s", after.Status)

	u := cl.WaitUpdate(key, id, recovery, "a batch in flight after instance 0 or 1 is updated", func(u harness.UpdateInfo) bool {
		return len(u.Order("INSTANCE_UPDATED")) >= 1 && len(u.Order("INSTANCE_UPDATING")) > len(u.Order("INSTANCE_UPDATED")) &&
			len(u.Order("INSTANCE_UPDATING")) < n
	})
	cl.KillWorker()
	t.Logf("crash 2: mid-update:\n%s", u)
	cl.StartWorker()

	// Crash 3: the moment Docker reports a container of the job created
	// (a StartTask cut between create and start, or before its result
	// reached Temporal).
	select {
	case c := <-watchCreate(t, key, time.Now()):
		cl.KillWorker()
		t.Logf("crash 3: container %.12s just created", c)
		cl.StartWorker()
	case <-time.After(recovery):
		t.Logf("crash 3 skipped: no container created within %s", recovery)
	}

	r := cl.Run("update", "wait", key, id, "--timeout", "3m")
	if r.Code != harness.ExitOK {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s", r)
	}
	u = cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.Order("INSTANCE_UPDATING"); !slices.Equal(got, harness.Span(n)) {
		t.Errorf("INSTANCE_UPDATING order %v:\n%s", got, u)
	}
	checkInFlight(t, u, 2)
	s := cl.Settled(key, harness.All(n, 2), 30*time.Second)
	harness.ReplacedOnce(t, s, before, harness.Span(n), nil)
	harness.OldGone(t, key, before)
}

// TestUpdateWorkerCrashRollback kills the worker while an update rolls
// back: it still ends ROLLED_BACK, each instance rolled back once, in
// reverse order, and Docker runs exactly the active tasks, all version 1.
func TestUpdateWorkerCrashRollback(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("crashback")
	const n = 4
	// Version 1 too listens only after 3 s, so rolling back takes a while.
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Flags: "-slow-start 3", Health: slowHealth, Update: "{batch_size: 2, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	v2 := slowV2(v1)
	v2.Bad = 3
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))

	u := cl.WaitUpdate(key, id, 2*time.Minute, "rolling back, some instance in flight", func(u harness.UpdateInfo) bool {
		return u.Status == "ROLLING_BACK" && len(u.Order("INSTANCE_ROLLING_BACK")) > len(u.Order("INSTANCE_ROLLED_BACK"))
	})
	cl.KillWorker()
	t.Logf("crash: during the rollback:\n%s", u)
	cl.StartWorker()

	r := cl.Run("update", "wait", key, id, "--timeout", "3m")
	if r.Code != harness.ExitCommandFailure {
		t.Fatalf("update wait: want exit 4, ROLLED_BACK: %s", r)
	}
	u = cl.MustInfo(key, id)
	if got := u.Order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, harness.Reversed(harness.Span(n))) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 3, 2, 1, 0:\n%s", got, u)
	}
	for i := range n {
		want := []string{"INSTANCE_UPDATING", "INSTANCE_UPDATED", "INSTANCE_ROLLING_BACK", "INSTANCE_ROLLED_BACK"}
		if i == 3 {
			want[1] = "INSTANCE_UPDATE_FAILED"
		}
		if got := u.Actions(i); !slices.Equal(got, want) {
			t.Errorf("instance %d: actions %v, want %v", i, got, want)
		}
	}
	s := cl.Settled(key, harness.All(n, 1), 30*time.Second)
	harness.OldGone(t, key, before)
	// Instances 0-2: the old task, the version-2 task, the version-1 task
	// of the rollback, nothing more.
	for i := range 3 {
		if got := len(s.InactiveOf(i)) + 1; got != 3 {
			t.Errorf("instance %d: %d tasks, want 3 (old, new, rolled back):\n%s", i, got, s)
		}
	}
}

// TestUpdateTemporalRestart stops the Temporal server mid-update and starts
// it again on the same port and database: the update, the worker and a
// `update start --wait` running meanwhile carry on, and the update ends
// ROLLED_FORWARD with each instance replaced exactly once.
func TestUpdateTemporalRestart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "temporal.db")
	hostPort := harness.FreeHostPort(t)
	srv := harness.StartDevServer(t, db, hostPort)
	t.Cleanup(func() {
		if srv != nil {
			_ = srv.Stop()
		}
	})
	cl := env.NewClusterOn(t, harness.Flapping{}, hostPort)
	key := cl.Job("restart")
	const n = 6
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: "{batch_size: 2, watch_secs: 1}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))

	done := cl.StartUpdateAsync(key, cl.WriteVersion(key, slowV2(v1)))
	u := cl.WaitUpdate(key, "", time.Minute, "instances updated and in flight", func(u harness.UpdateInfo) bool {
		return len(u.Order("INSTANCE_UPDATED")) >= 1 && len(u.Order("INSTANCE_UPDATING")) > len(u.Order("INSTANCE_UPDATED")) &&
			len(u.Order("INSTANCE_UPDATING")) < n
	})
	id := u.UpdateID
	stopped := time.Now()
	if err := srv.Stop(); err != nil {
		t.Logf("stop the dev server: %v", err)
	}
	srv = nil
	t.Logf("Temporal stopped mid-update (stop took %s):\n%s", time.Since(stopped).Round(time.Millisecond), u)
	// While it is down the CLI says so; the containers keep running.
	if r := cl.Run("job", "status", key); r.Code == harness.ExitOK {
		t.Errorf("job status with Temporal down: want an error: %s", r)
	} else {
		t.Logf("job status with Temporal down: exit %d: %s", r.Code, r.Stderr)
	}
	if run := harness.Running(harness.Containers(t, key)); len(run) < n-2 {
		t.Errorf("containers stopped with Temporal:\n%s", harness.ListContainers(run))
	}
	srv = harness.StartDevServer(t, db, hostPort)
	t.Logf("Temporal down for %s", time.Since(stopped).Round(time.Millisecond))

	select {
	case r := <-done:
		if r.Code != harness.ExitOK {
			t.Errorf("update start --wait across the restart: want exit 0: %s", r)
		}
	case <-time.After(harness.UpdateTimeout):
		t.Fatal("update start --wait did not end")
	}
	if r := cl.Run("update", "wait", key, id, "--timeout", "2m"); r.Code != harness.ExitOK {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s", r)
	}
	u = cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	s := cl.Settled(key, harness.All(n, 2), 30*time.Second)
	harness.ReplacedOnce(t, s, before, harness.Span(n), nil)
	harness.OldGone(t, key, before)
}
