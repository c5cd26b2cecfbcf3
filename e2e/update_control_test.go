package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// slowHealth gives a version started with -slow-start 3 time to listen:
// checks every half second after 6 s of grace (m = 12).
const slowHealth = `    health_check_config: {initial_interval_secs: 6, interval_secs: 0.5, min_consecutive_successes: 1}
`

// slowV2 is version 2 of v1 whose tasks listen (and so turn healthy) only
// 3 s after they start, so that an instance stays in flight long enough
// for a command to reach the update meanwhile.
func slowV2(v1 harness.Demo) harness.Demo {
	v2 := v1
	v2.Version, v2.Flags, v2.Health = 2, "-slow-start 3", slowHealth
	return v2
}

// noUpdating checks for d that the update starts no instance of ids.
func noUpdating(cl *harness.Cluster, key, id string, d time.Duration, ids ...int) {
	cl.T.Helper()
	harness.Never(cl.T, d, fmt.Sprintf("no instance of %v starts updating", ids), func() (bool, string) {
		u, err := cl.Info(key, id)
		if err != nil {
			return true, err.Error()
		}
		for _, i := range u.Order("INSTANCE_UPDATING") {
			if slices.Contains(ids, i) {
				return true, u.String()
			}
		}
		return false, ""
	})
}

// hasAction tells whether instance has action in the update.
func hasAction(u harness.UpdateInfo, instance int, action string) bool {
	return slices.Contains(u.Actions(instance), action)
}

// TestUpdateAutopause: BatchUpdateStrategy with autopause_after_batch
// pauses after the first batch; pausing a paused update is a no-op;
// resume finishes it.
func TestUpdateAutopause(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("autopause")
	v1 := harness.Demo{Instances: 4, Version: 1, Bad: -1, Update: "{update_strategy: {batch: {batch_size: 2, autopause_after_batch: true}}, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	v2 := v1
	v2.Version = 2
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))

	u := cl.WaitStatusIs(key, id, "ROLL_FORWARD_PAUSED", time.Minute)
	if got := u.Order("INSTANCE_UPDATED"); !slices.Equal(slices.Sorted(slices.Values(got)), []int{0, 1}) {
		t.Fatalf("paused after batch 1: want instances 0, 1 updated:\n%s", u)
	}
	if n := len(u.UpdateEvents); n == 0 || !strings.Contains(u.UpdateEvents[n-1].Message, "paused after batch 1") {
		t.Errorf("want a ROLL_FORWARD_PAUSED event 'paused after batch 1':\n%s", u)
	}
	noUpdating(cl, key, id, 2*time.Second, 2, 3)
	cl.Settled(key, map[int]int{0: 2, 1: 2, 2: 1, 3: 1}, 20*time.Second)

	// Pausing a paused update changes nothing.
	if r := cl.MustRun("update", "pause", key); !strings.Contains(r.Stdout, "ROLL_FORWARD_PAUSED") {
		t.Errorf("update pause of a paused update: %s", r)
	}
	if u := cl.MustInfo(key, id); u.Status != "ROLL_FORWARD_PAUSED" {
		t.Errorf("after a second pause: %s", u)
	}
	if r := cl.MustRun("update", "resume", key); !strings.Contains(r.Stdout, "ROLLING_FORWARD") {
		t.Errorf("update resume: %s", r)
	}
	if r := cl.Run("update", "wait", key, id); r.Code != harness.ExitOK || !strings.Contains(r.Stdout, "ROLLED_FORWARD") {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s", r)
	}
	u = cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(4), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	checkBatches(t, u, "INSTANCE_UPDATING", []string{"INSTANCE_UPDATED"}, [][]int{{0, 1}, {2, 3}})
	want := []string{"ROLLING_FORWARD", "ROLL_FORWARD_PAUSED", "ROLLING_FORWARD", "ROLLED_FORWARD"}
	if got := u.Statuses(); !slices.Equal(got, want) {
		t.Errorf("update states %v, want %v", got, want)
	}
	s := cl.Settled(key, harness.All(4, 2), 20*time.Second)
	harness.ReplacedOnce(t, s, before, harness.Span(4), nil)
}

// TestUpdatePauseResume: `update pause` while an instance is in flight:
// that instance finishes, no other starts until `update resume`.
func TestUpdatePauseResume(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("pause")
	v1 := harness.Demo{Instances: 3, Version: 1, Bad: -1, Update: "{batch_size: 1, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, slowV2(v1)))

	cl.WaitUpdate(key, id, 30*time.Second, "instance 0 updating", func(u harness.UpdateInfo) bool {
		return hasAction(u, 0, "INSTANCE_UPDATING")
	})
	if r := cl.MustRun("update", "pause", key); !strings.Contains(r.Stdout, "ROLL_FORWARD_PAUSED") {
		t.Errorf("update pause: %s", r)
	}
	u := cl.WaitUpdate(key, id, 30*time.Second, "instance 0 updated while paused", func(u harness.UpdateInfo) bool {
		return hasAction(u, 0, "INSTANCE_UPDATED")
	})
	if u.Status != "ROLL_FORWARD_PAUSED" || hasAction(u, 1, "INSTANCE_UPDATING") {
		t.Fatalf("want the update paused with only instance 0 started: %s", u)
	}
	noUpdating(cl, key, id, 3*time.Second, 1, 2)
	if r := cl.MustRun("update", "resume", key); !strings.Contains(r.Stdout, "ROLLING_FORWARD") {
		t.Errorf("update resume: %s", r)
	}
	if r := cl.Run("update", "wait", key, id); r.Code != harness.ExitOK {
		t.Fatalf("update wait: want exit 0: %s", r)
	}
	u = cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(3), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	s := cl.Settled(key, harness.All(3, 2), 20*time.Second)
	harness.ReplacedOnce(t, s, before, harness.Span(3), nil)
	if r := cl.Run("update", "resume", key); r.Code != harness.ExitInvalidParameter || !strings.Contains(r.Stderr, "No active update found for this job.") {
		t.Errorf("resume of a finished update: want exit 6: %s", r)
	}
}

// TestUpdateAbort: abort while instance 1 is in flight: ABORTED, the job
// stays partly updated (instance 2 untouched), and a new update then
// changes only what is left.
func TestUpdateAbort(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("abort")
	v1 := harness.Demo{Instances: 3, Version: 1, Bad: -1, Update: "{batch_size: 1, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	v2 := slowV2(v1)
	v2path := cl.WriteVersion(key, v2)
	_, id := cl.StartUpdate(key, v2path)

	cl.WaitUpdate(key, id, time.Minute, "instance 1 updating", func(u harness.UpdateInfo) bool {
		return hasAction(u, 1, "INSTANCE_UPDATING")
	})
	if r := cl.MustRun("update", "abort", key); !strings.Contains(r.Stdout, "ABORTED") {
		t.Errorf("update abort: %s", r)
	}
	if r := cl.Run("update", "wait", key, id); r.Code != harness.ExitUnknown || !strings.Contains(r.Stdout, "ABORTED") {
		t.Errorf("update wait of an aborted update: want exit 20: %s", r)
	}
	u := cl.MustInfo(key, id)
	if u.Status != "ABORTED" || hasAction(u, 2, "INSTANCE_UPDATING") || len(u.Order("INSTANCE_ROLLING_BACK")) != 0 {
		t.Fatalf("want ABORTED with instance 2 untouched and nothing rolled back: %s", u)
	}
	// Partly updated: 0 runs version 2, 2 still its old task; 1's new
	// task (started before the abort) comes up as version 2.
	s := cl.Settled(key, map[int]int{0: 2, 1: 2, 2: 1}, 30*time.Second)
	harness.ReplacedOnce(t, s, before, []int{0, 1}, []int{2})
	if r := cl.Run("update", "abort", key); r.Code != harness.ExitInvalidParameter || !strings.Contains(r.Stderr, "No active update found for this job.") {
		t.Errorf("abort without an active update: want exit 6: %s", r)
	}

	// The job takes a new update, which changes instance 2 only.
	r, id2 := cl.StartUpdate(key, v2path, "--wait")
	if r.Code != harness.ExitOK {
		t.Fatalf("update after the abort: want exit 0: %s", r)
	}
	harness.Once(t, cl.MustInfo(key, id2), []int{2}, "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	cl.Settled(key, harness.All(3, 2), 20*time.Second)
}

// TestUpdateUserRollback: `update rollback` while instance 1 is in flight:
// ROLLING_BACK, 1 then 0 go back to version 1, instances 2 and 3 are never
// touched, ROLLED_BACK (exit 4 from update wait).
func TestUpdateUserRollback(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("rollback")
	v1 := harness.Demo{Instances: 4, Version: 1, Bad: -1, Update: "{batch_size: 1, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, slowV2(v1)))

	cl.WaitUpdate(key, id, time.Minute, "instance 1 updating", func(u harness.UpdateInfo) bool {
		return hasAction(u, 1, "INSTANCE_UPDATING")
	})
	if r := cl.MustRun("update", "rollback", key); !strings.Contains(r.Stdout, "ROLLING_BACK") {
		t.Errorf("update rollback: %s", r)
	}
	if r := cl.Run("update", "wait", key, id); r.Code != harness.ExitCommandFailure || !strings.Contains(r.Stdout, "ROLLED_BACK") {
		t.Fatalf("update wait: want exit 4, ROLLED_BACK: %s", r)
	}
	u := cl.MustInfo(key, id)
	if got := u.Order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 1, 0:\n%s", got, u)
	}
	harness.Once(t, u, []int{0, 1}, "INSTANCE_UPDATING", "INSTANCE_UPDATED", "INSTANCE_ROLLING_BACK", "INSTANCE_ROLLED_BACK")
	if !slices.ContainsFunc(u.UpdateEvents, func(e harness.UpdateEvent) bool {
		return e.Status == "ROLLING_BACK" && strings.Contains(e.Message, "rollback requested by user")
	}) {
		t.Errorf("want a ROLLING_BACK event 'rollback requested by user':\n%s", u)
	}
	s := cl.Settled(key, harness.All(4, 1), 20*time.Second)
	harness.ReplacedOnce(t, s, before, nil, []int{2, 3})
	if r := cl.Run("update", "rollback", key); r.Code != harness.ExitInvalidParameter {
		t.Errorf("rollback of a finished update: want exit 6: %s", r)
	}
}

// TestUpdatePulse: with pulse_interval_secs 60 an update waits in
// ROLL_FORWARD_AWAITING_PULSE and starts nothing until `update pulse`,
// then finishes; a pulse after it ends answers FINISHED.
func TestUpdatePulse(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("pulse")
	v1 := harness.Demo{Instances: 2, Version: 1, Bad: -1, Update: "{batch_size: 1, watch_secs: 0, pulse_interval_secs: 60}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	v2 := v1
	v2.Version = 2
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))

	cl.WaitStatusIs(key, id, "ROLL_FORWARD_AWAITING_PULSE", 30*time.Second)
	noUpdating(cl, key, id, 3*time.Second, 0, 1)
	if u := cl.MustInfo(key, id); u.Status != "ROLL_FORWARD_AWAITING_PULSE" {
		t.Fatalf("without a pulse: %s", u)
	}
	harness.ReplacedOnce(t, cl.Settled(key, harness.All(2, 1), 10*time.Second), before, nil, []int{0, 1})

	// While the update is active the job refuses other changes (docs/semantics.md §5;
	// job create of it is refused anyway, as the job exists).
	v1path := cl.WriteVersion(key, v1)
	for _, args := range [][]string{
		{"job", "kill", key + "/0"},
		{"job", "restart", key},
		{"job", "add", key + "/0", "1"},
		{"update", "start", key, v1path},
	} {
		if r := cl.Run(args...); r.Code != harness.ExitCommandFailure || !strings.Contains(r.Stderr, "Job is currently updating") {
			t.Errorf("during an update: want exit 4, Job is currently updating: %s", r)
		}
	}

	if r := cl.MustRun("update", "pulse", key); !strings.Contains(r.Stdout, "Pulse: OK") || !strings.Contains(r.Stdout, "ROLLING_FORWARD") {
		t.Errorf("update pulse: %s", r)
	}
	if r := cl.Run("update", "wait", key, id); r.Code != harness.ExitOK {
		t.Fatalf("update wait after a pulse: want exit 0: %s", r)
	}
	u := cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(2), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.Statuses(); !slices.Equal(got[:2], []string{"ROLL_FORWARD_AWAITING_PULSE", "ROLLING_FORWARD"}) {
		t.Errorf("update states %v: want AWAITING_PULSE, then ROLLING_FORWARD", got)
	}
	s := cl.Settled(key, harness.All(2, 2), 20*time.Second)
	harness.ReplacedOnce(t, s, before, harness.Span(2), nil)
	if r := cl.MustRun("update", "pulse", key); !strings.Contains(r.Stdout, "FINISHED") {
		t.Errorf("pulse after the update: want FINISHED: %s", r)
	}
}

// TestUpdateRollbackWhilePaused: `update rollback` of an update paused
// after its first batch goes to ROLLING_BACK (docs/semantics.md §5: "rollback: from
// forward states → ROLLING_BACK") and rolls the batch back without a
// resume.
func TestUpdateRollbackWhilePaused(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("pausedback")
	v1 := harness.Demo{Instances: 4, Version: 1, Bad: -1, Update: "{update_strategy: {batch: {batch_size: 2, autopause_after_batch: true}}, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	v2 := v1
	v2.Version = 2
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))
	cl.WaitStatusIs(key, id, "ROLL_FORWARD_PAUSED", time.Minute)

	r := cl.MustRun("update", "rollback", key)
	if !strings.Contains(r.Stdout, ": ROLLING_BACK") {
		t.Errorf("update rollback of a paused update: want ROLLING_BACK: %s", r)
	}
	if r := cl.Run("update", "wait", key, id, "--timeout", "20s"); r.Code != harness.ExitCommandFailure {
		t.Fatalf("update wait: want ROLLED_BACK (exit 4) without a resume: %s\n%s", r, cl.MustInfo(key, id))
	}
	u := cl.MustInfo(key, id)
	if got := u.Order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 1, 0:\n%s", got, u)
	}
	s := cl.Settled(key, harness.All(4, 1), 20*time.Second)
	harness.ReplacedOnce(t, s, before, nil, []int{2, 3})
}
