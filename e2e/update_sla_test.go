package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestUpdateSLAAware: an SLA-aware update on real containers. A production
// job of 4 instances with CountSlaPolicy(count = 2, duration_secs = 12),
// batch 2: the update never has more than two instances down at once, and
// stops an instance only while two others have been RUNNING for over 12 s,
// so it waits for the new tasks to have run that long (12 s is far longer
// than the update takes to go from one instance to the next, even on a
// loaded machine, so the waits always happen). Then a coordinator that
// says no holds the next update until it says yes.
func TestUpdateSLAAware(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	cl.StopWorker()
	cl.WorkerArgs = append(cl.WorkerArgs, "--sla-min-instances", "1", "--sla-check-interval", "250ms")
	cl.StartWorker()
	key := cl.Job("sla")
	v1 := harness.Demo{Instances: 4, Version: 1, Bad: -1,
		Job:    "    production: true\n    sla_policy: {count: {count: 2, duration_secs: 12}}\n",
		Update: "{batch_size: 2, watch_secs: 0, sla_aware: true}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))

	v2 := v1
	v2.Version = 2
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))
	u := cl.WaitUpdate(key, id, harness.UpdateTimeout, "update ROLLED_FORWARD", func(u harness.UpdateInfo) bool { return u.Status == "ROLLED_FORWARD" })
	if got := slaNotes(u, "SLA check passed, continuing."); len(got) != 4 {
		t.Errorf("want an SLA pass for each of the 4 instances, got %v:\n%s", got, u)
	}
	waited := 0
	for _, e := range u.InstanceEvents {
		if strings.HasPrefix(e.Message, "SLA check failed: ") && strings.Contains(e.Message, "count 2 needed") {
			waited++
		}
	}
	if waited == 0 {
		t.Errorf("no instance waited for the SLA:\n%s", u)
	}
	s := cl.Settled(key, harness.All(4, 2), 30*time.Second)
	harness.OldGone(t, key, before)
	checkSLAKept(t, before, s, 4, 2, 12*time.Second)

	// A coordinator that says no holds the update; yes lets it go.
	var allow atomic.Bool
	var asked atomic.Int32
	coordinator := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]bool{"drain": allow.Load()})
	}))
	defer coordinator.Close()
	v3 := v2
	v3.Version = 3
	v3.Job = fmt.Sprintf("    production: true\n    sla_policy: {coordinator: {coordinator_url: '%s'}}\n", coordinator.URL)
	_, id3 := cl.StartUpdate(key, cl.WriteVersion(key, v3))
	held := cl.WaitUpdate(key, id3, harness.UpdateTimeout, "held by the coordinator", func(u harness.UpdateInfo) bool {
		return len(u.SLAWaits) > 0 && strings.Contains(u.SLAWaits[0].Reason, `answered {"drain":false}`)
	})
	if len(held.Order("INSTANCE_UPDATED")) != 0 {
		t.Errorf("an instance was updated while the coordinator said no:\n%s", held)
	}
	cl.Settled(key, harness.All(4, 2), 30*time.Second) // every instance still on version 2
	allow.Store(true)
	cl.WaitUpdate(key, id3, harness.UpdateTimeout, "update ROLLED_FORWARD", func(u harness.UpdateInfo) bool { return u.Status == "ROLLED_FORWARD" })
	cl.Settled(key, harness.All(4, 3), 30*time.Second)
	if asked.Load() < 5 {
		t.Errorf("the coordinator was asked %d times; want the no, then a yes per instance", asked.Load())
	}
}

// slaNotes lists the instances of the instance events that carry msg.
func slaNotes(u harness.UpdateInfo, msg string) []int {
	var ids []int
	for _, e := range u.InstanceEvents {
		if e.Message == msg {
			ids = append(ids, e.InstanceID)
		}
	}
	return ids
}

// checkSLAKept checks, from the tasks' events, that while an update
// replaced the n instances of before (now after), at most maxDown were down
// at once, and each old task stopped only while n-maxDown others had been
// RUNNING for longer than d.
func checkSLAKept(t *testing.T, before, after harness.JobStatus, n, maxDown int, d time.Duration) {
	t.Helper()
	type window struct{ from, to, upSince int64 }
	downs := make([]window, n)
	for i := 0; i < n; i++ {
		old, _ := before.ActiveOf(i)
		ended, ok := after.Find(old.TaskID)
		next, ok2 := after.ActiveOf(i)
		if !ok || !ok2 {
			t.Fatalf("instance %d: old task %s or new task missing:\n%s", i, old.TaskID, after)
		}
		for _, e := range ended.TaskEvents {
			switch {
			case e.Status == "RUNNING":
				downs[i].upSince = e.Timestamp
			case e.Status == "RESTARTING" && downs[i].from == 0:
				downs[i].from = e.Timestamp
			}
		}
		for _, e := range next.TaskEvents {
			if e.Status == "RUNNING" && downs[i].to == 0 {
				downs[i].to = e.Timestamp
			}
		}
		if downs[i].from == 0 || downs[i].to == 0 {
			t.Fatalf("instance %d: no stop or no RUNNING in its tasks:%s\n%s", i, ended.Events(), next.Events())
		}
	}
	for i, w := range downs {
		down, up := 1, 0
		for j, o := range downs {
			switch {
			case j == i:
			case o.from <= w.from && w.from < o.to:
				down++
			case o.to <= w.from && w.from-o.to > d.Milliseconds():
				up++
			case w.from < o.from && w.from-o.upSince > d.Milliseconds():
				up++
			}
		}
		if down > maxDown {
			t.Errorf("instance %d stopped with %d instances down: %+v", i, down, downs)
		}
		if up < n-maxDown {
			t.Errorf("instance %d stopped while only %d others had run for %s: %+v", i, up, d, downs)
		}
	}
}
