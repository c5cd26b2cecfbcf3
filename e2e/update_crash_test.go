package e2e

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/borealis-dev/borealis/internal/testenv"
)

// TestUpdateWorkerCrash kills the worker with SIGKILL right after `update
// start` and again while a batch is in flight, starting a new one each
// time: the update finishes ROLLED_FORWARD, each instance is replaced
// exactly once (one INSTANCE_UPDATING and one INSTANCE_UPDATED, its old
// task and one new task), and Docker runs exactly the active tasks.
func TestUpdateWorkerCrash(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, flapping{})
	key := cl.job("crash")
	const n = 6
	v1 := demo{instances: n, version: 1, bad: -1, update: "{batch_size: 2, watch_secs: 1}"}
	before := cl.create(key, cl.writeVersion(key, v1))

	_, id := cl.startUpdate(key, cl.writeVersion(key, slowV2(v1)))
	cl.killWorker()
	cl.startWorker()
	t.Logf("crash 1: right after update start; after it: %s", cl.mustInfo(key, id).Status)

	u := cl.waitUpdate(key, id, recovery, "a batch in flight after instance 0 or 1 is updated", func(u updateInfo) bool {
		return len(u.order("INSTANCE_UPDATED")) >= 1 && len(u.order("INSTANCE_UPDATING")) > len(u.order("INSTANCE_UPDATED")) &&
			len(u.order("INSTANCE_UPDATING")) < n
	})
	cl.killWorker()
	t.Logf("crash 2: mid-update:\n%s", u)
	cl.startWorker()

	// Crash 3: the moment Docker reports a container of the job created
	// (a StartTask cut between create and start, or before its result
	// reached Temporal).
	select {
	case c := <-watchCreate(t, key, time.Now()):
		cl.killWorker()
		t.Logf("crash 3: container %.12s just created", c)
		cl.startWorker()
	case <-time.After(recovery):
		t.Logf("crash 3 skipped: no container created within %s", recovery)
	}

	r := cl.run("update", "wait", key, id, "--timeout", "3m")
	if r.code != exitOK {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s", r)
	}
	u = cl.mustInfo(key, id)
	once(t, u, span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.order("INSTANCE_UPDATING"); !slices.Equal(got, span(n)) {
		t.Errorf("INSTANCE_UPDATING order %v:\n%s", got, u)
	}
	checkInFlight(t, u, 2)
	s := cl.settled(key, all(n, 2), 30*time.Second)
	replacedOnce(t, s, before, span(n), nil)
	oldGone(t, key, before)
}

// TestUpdateWorkerCrashRollback kills the worker while an update rolls
// back: it still ends ROLLED_BACK, each instance rolled back once, in
// reverse order, and Docker runs exactly the active tasks, all version 1.
func TestUpdateWorkerCrashRollback(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, flapping{})
	key := cl.job("crashback")
	const n = 4
	// Version 1 too listens only after 3 s, so rolling back takes a while.
	v1 := demo{instances: n, version: 1, bad: -1, flags: "-slow-start 3", health: slowHealth, update: "{batch_size: 2, watch_secs: 0}"}
	before := cl.create(key, cl.writeVersion(key, v1))
	v2 := slowV2(v1)
	v2.bad = 3
	_, id := cl.startUpdate(key, cl.writeVersion(key, v2))

	u := cl.waitUpdate(key, id, 2*time.Minute, "rolling back, some instance in flight", func(u updateInfo) bool {
		return u.Status == "ROLLING_BACK" && len(u.order("INSTANCE_ROLLING_BACK")) > len(u.order("INSTANCE_ROLLED_BACK"))
	})
	cl.killWorker()
	t.Logf("crash: during the rollback:\n%s", u)
	cl.startWorker()

	r := cl.run("update", "wait", key, id, "--timeout", "3m")
	if r.code != exitCommandFailure {
		t.Fatalf("update wait: want exit 4, ROLLED_BACK: %s", r)
	}
	u = cl.mustInfo(key, id)
	if got := u.order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, reversed(span(n))) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 3, 2, 1, 0:\n%s", got, u)
	}
	for i := range n {
		want := []string{"INSTANCE_UPDATING", "INSTANCE_UPDATED", "INSTANCE_ROLLING_BACK", "INSTANCE_ROLLED_BACK"}
		if i == 3 {
			want[1] = "INSTANCE_UPDATE_FAILED"
		}
		if got := u.actions(i); !slices.Equal(got, want) {
			t.Errorf("instance %d: actions %v, want %v", i, got, want)
		}
	}
	s := cl.settled(key, all(n, 1), 30*time.Second)
	oldGone(t, key, before)
	// Instances 0-2: the old task, the version-2 task, the version-1 task
	// of the rollback, nothing more.
	for i := range 3 {
		if got := len(s.inactive(i)) + 1; got != 3 {
			t.Errorf("instance %d: %d tasks, want 3 (old, new, rolled back):\n%s", i, got, s)
		}
	}
}

// freeHostPort is a loopback address with a port nothing listens on.
func freeHostPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startDevServer starts a Temporal dev server on hostPort that keeps its
// state in db, with Borealis's search attributes.
func startDevServer(t *testing.T, db, hostPort string) *testsuite.DevServer {
	t.Helper()
	cli, err := testenv.TemporalCLI()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		ClientOptions: &client.Options{HostPort: hostPort, Namespace: "default", Logger: quietLogger()},
		DBFilename:    db,
		LogLevel:      "error",
		SearchAttributes: sdktemporal.NewSearchAttributes(
			testenv.JobKeyAttribute.ValueSet(""),
			testenv.UpdateStatusAttribute.ValueSet(""),
		),
	})
	if err != nil {
		t.Fatalf("start a dev server on %s with %s: %v", hostPort, db, err)
	}
	return srv
}

// TestUpdateTemporalRestart stops the Temporal server mid-update and starts
// it again on the same port and database: the update, the worker and a
// `update start --wait` running meanwhile carry on, and the update ends
// ROLLED_FORWARD with each instance replaced exactly once.
func TestUpdateTemporalRestart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "temporal.db")
	hostPort := freeHostPort(t)
	srv := startDevServer(t, db, hostPort)
	t.Cleanup(func() {
		if srv != nil {
			_ = srv.Stop()
		}
	})
	cl := newClusterOn(t, flapping{}, hostPort)
	key := cl.job("restart")
	const n = 6
	v1 := demo{instances: n, version: 1, bad: -1, update: "{batch_size: 2, watch_secs: 1}"}
	before := cl.create(key, cl.writeVersion(key, v1))

	done := cl.startUpdateAsync(key, cl.writeVersion(key, slowV2(v1)))
	u := cl.waitUpdate(key, "", time.Minute, "instances updated and in flight", func(u updateInfo) bool {
		return len(u.order("INSTANCE_UPDATED")) >= 1 && len(u.order("INSTANCE_UPDATING")) > len(u.order("INSTANCE_UPDATED")) &&
			len(u.order("INSTANCE_UPDATING")) < n
	})
	id := u.UpdateID
	stopped := time.Now()
	if err := srv.Stop(); err != nil {
		t.Logf("stop the dev server: %v", err)
	}
	srv = nil
	t.Logf("Temporal stopped mid-update (stop took %s):\n%s", time.Since(stopped).Round(time.Millisecond), u)
	// While it is down the CLI says so; the containers keep running.
	if r := cl.run("job", "status", key); r.code == exitOK {
		t.Errorf("job status with Temporal down: want an error: %s", r)
	} else {
		t.Logf("job status with Temporal down: exit %d: %s", r.code, r.stderr)
	}
	if run := running(containers(t, key)); len(run) < n-2 {
		t.Errorf("containers stopped with Temporal:\n%s", listContainers(run))
	}
	srv = startDevServer(t, db, hostPort)
	t.Logf("Temporal down for %s", time.Since(stopped).Round(time.Millisecond))

	select {
	case r := <-done:
		if r.code != exitOK {
			t.Errorf("update start --wait across the restart: want exit 0: %s", r)
		}
	case <-time.After(updateTimeout):
		t.Fatal("update start --wait did not end")
	}
	if r := cl.run("update", "wait", key, id, "--timeout", "2m"); r.code != exitOK {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s", r)
	}
	u = cl.mustInfo(key, id)
	once(t, u, span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	s := cl.settled(key, all(n, 2), 30*time.Second)
	replacedOnce(t, s, before, span(n), nil)
	oldGone(t, key, before)
}
