package faults

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestTemporalRestart stops the Temporal dev server while instances of an
// update are in flight and starts it again on the same port and database
// (once; long: twice, the second time later in the update). The worker
// and an `update start --wait` running meanwhile carry on; the update ends
// ROLLED_FORWARD with each instance replaced exactly once and Docker runs
// exactly the active tasks.
func TestTemporalRestart(t *testing.T) {
	t.Parallel()
	restarts := pick(1, 2)
	const n = 6
	r := scenario(t, fmt.Sprintf("Temporal restart ×%d mid-update", restarts))
	db := filepath.Join(t.TempDir(), "temporal.db")
	hostPort := harness.FreeHostPort(t)
	var srv *testsuite.DevServer
	srv = harness.StartDevServer(t, db, hostPort)
	t.Cleanup(func() {
		if srv != nil {
			_ = srv.Stop()
		}
	})
	cl := env.NewClusterOn(t, harness.Flapping{}, hostPort)
	key := cl.Job("restart")
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: "{batch_size: 2, watch_secs: 1}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	// Version 2 listens only 3 s after it starts, so instances stay in
	// flight long enough to stop the server under them.
	v2 := v1
	v2.Version, v2.Flags, v2.Health = 2, "-slow-start 3", slowHealth
	done := cl.StartUpdateAsync(key, cl.WriteVersion(key, v2))

	var id string
	for k := range restarts {
		// Restart k waits for k*2+1 instances updated and one in flight
		// (a batch's instances may finish together, and the next batch
		// starts at once: the last one can be the one in flight).
		u := cl.WaitUpdate(key, id, 2*time.Minute, fmt.Sprintf("restart %d: instances updated and in flight", k+1), func(u harness.UpdateInfo) bool {
			return len(u.Order("INSTANCE_UPDATED")) >= 2*k+1 && len(u.Order("INSTANCE_UPDATING")) > len(u.Order("INSTANCE_UPDATED"))
		})
		id = u.UpdateID
		stopped := time.Now()
		if err := srv.Stop(); err != nil {
			t.Logf("stop the dev server: %v", err)
		}
		srv = nil
		if res := cl.Run("job", "status", key); res.Code == harness.ExitOK {
			t.Errorf("job status with Temporal down: want an error: %s", res)
		}
		if run := harness.Running(harness.Containers(t, key)); len(run) < n-2 {
			t.Errorf("containers stopped with Temporal:\n%s", harness.ListContainers(run))
		}
		srv = harness.StartDevServer(t, db, hostPort)
		t.Logf("restart %d: Temporal down for %s, mid-update:\n%s", k+1, time.Since(stopped).Round(time.Millisecond), u)
		r.add(1, 0, 0)
	}

	select {
	case res := <-done:
		if res.Code != harness.ExitOK {
			t.Errorf("update start --wait across the restarts: want exit 0: %s", res)
		}
	case <-time.After(harness.UpdateTimeout):
		t.Fatal("update start --wait did not end")
	}
	if res := cl.Run("update", "wait", key, id, "--timeout", "2m"); res.Code != harness.ExitOK {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s", res)
	}
	u := cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	s := cl.Settled(key, harness.All(n, 2), time.Minute)
	lost, dups := countLostDup(s, harness.Containers(t, key))
	r.add(0, lost, dups)
	harness.ReplacedOnce(t, s, before, harness.Span(n), nil)
	harness.OldGone(t, key, before)
}

// slowHealth gives a version started with -slow-start 3 time to listen:
// checks every half second after 6 s of grace (m = 12).
const slowHealth = `    health_check_config: {initial_interval_secs: 6, interval_secs: 0.5, min_consecutive_successes: 1}
`
