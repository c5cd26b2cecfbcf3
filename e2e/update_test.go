package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// The update tests run the demo image with real HTTP health checks and
// drive updates through the CLI only: `update start --wait` and its exit
// code, `update info --write-json`, `job status --write-json`; then they
// ask each container itself (GET / on its http host port) which version it
// runs, and Docker which containers run.

// TestUpdateRollsForward: 10 instances, 3 in flight at a time, to a good
// version 2: ROLLED_FORWARD, each instance updated once, in order, every
// container answering "version 2", the old ones stopped.
func TestUpdateRollsForward(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("fwd")
	const n = 10
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: "{batch_size: 3, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	cl.Settled(key, harness.All(n, 1), 20*time.Second)

	v2 := v1
	v2.Version = 2
	r, id := cl.StartUpdate(key, cl.WriteVersion(key, v2), "--wait")
	if r.Code != harness.ExitOK || !strings.Contains(r.Stdout, "finished ROLLED_FORWARD") {
		t.Fatalf("want exit 0, ROLLED_FORWARD: %s", r)
	}
	u := cl.MustInfo(key, id)
	if u.Status != "ROLLED_FORWARD" {
		t.Fatalf("update info: %s", u)
	}
	harness.Once(t, u, harness.Span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.Order("INSTANCE_UPDATING"); !slices.Equal(got, harness.Span(n)) {
		t.Errorf("INSTANCE_UPDATING order %v, want ascending:\n%s", got, u)
	}
	// At most 3 in flight: the 4th instance starts only when one of the
	// first three is updated.
	checkInFlight(t, u, 3)

	s := cl.Settled(key, harness.All(n, 2), 20*time.Second)
	harness.ReplacedOnce(t, s, before, harness.Span(n), nil)
	harness.OldGone(t, key, before)
	if u := cl.MustInfo(key, ""); u.UpdateID != id {
		t.Errorf("update info without an id: want the latest update %s, got %s", id, u.UpdateID)
	}
	if r := cl.MustRun("update", "list", key, "--status", "ROLLED_FORWARD", "--write-json"); !strings.Contains(r.Stdout, `"updateId": "`+id+`"`) && !strings.Contains(r.Stdout, `"updateId":"`+id+`"`) {
		t.Errorf("update list --status ROLLED_FORWARD: want update %s: %s", id, r)
	}
}

// checkInFlight checks that no more than max instances were ever between
// INSTANCE_UPDATING and their end (INSTANCE_UPDATED or _FAILED).
func checkInFlight(t *testing.T, u harness.UpdateInfo, max int) {
	t.Helper()
	in := 0
	for _, e := range u.InstanceEvents {
		switch e.Action {
		case "INSTANCE_UPDATING":
			in++
		case "INSTANCE_UPDATED", "INSTANCE_UPDATE_FAILED":
			in--
		}
		if in > max {
			t.Errorf("more than %d instances in flight:\n%s", max, u)
			return
		}
	}
}

// TestUpdateRollsBack is docs/semantics.md §5's example: 9 instances, batches of 3,
// instance 8 never healthy in version 2 and no failure budget: forward
// (0,1,2)(3,4,5)(6,7,8), instance 8 fails, back (8,7,6)(5,4,3)(2,1,0),
// ROLLED_BACK, exit 4, and every container answers "version 1" again.
func TestUpdateRollsBack(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("back")
	const n = 9
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: "{update_strategy: {batch: {batch_size: 3}}, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))

	v2 := v1
	v2.Version, v2.Bad = 2, 8
	r, id := cl.StartUpdate(key, cl.WriteVersion(key, v2), "--wait")
	if r.Code != harness.ExitCommandFailure || !strings.Contains(r.Stdout, "finished ROLLED_BACK") {
		t.Fatalf("want exit 4, ROLLED_BACK: %s", r)
	}
	u := cl.MustInfo(key, id)
	if u.Status != "ROLLED_BACK" {
		t.Fatalf("update info: %s", u)
	}
	if got := u.Order("INSTANCE_UPDATING"); !slices.Equal(got, harness.Span(n)) {
		t.Errorf("INSTANCE_UPDATING order %v, want 0..8:\n%s", got, u)
	}
	if got := u.Order("INSTANCE_UPDATE_FAILED"); !slices.Equal(got, []int{8}) {
		t.Errorf("INSTANCE_UPDATE_FAILED for %v, want [8]:\n%s", got, u)
	}
	if got := u.Order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, harness.Reversed(harness.Span(n))) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 8..0:\n%s", got, u)
	}
	if got := u.Order("INSTANCE_ROLLED_BACK"); len(got) != n {
		t.Errorf("INSTANCE_ROLLED_BACK for %v, want every instance once:\n%s", got, u)
	}
	checkBatches(t, u, "INSTANCE_ROLLING_BACK", []string{"INSTANCE_ROLLED_BACK", "INSTANCE_ROLLBACK_FAILED"}, [][]int{{8, 7, 6}, {5, 4, 3}, {2, 1, 0}})
	checkBatches(t, u, "INSTANCE_UPDATING", []string{"INSTANCE_UPDATED", "INSTANCE_UPDATE_FAILED"}, [][]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}})
	for i := range n {
		want := []string{"INSTANCE_UPDATING", "INSTANCE_UPDATED", "INSTANCE_ROLLING_BACK", "INSTANCE_ROLLED_BACK"}
		if i == 8 {
			want[1] = "INSTANCE_UPDATE_FAILED"
		}
		if got := u.Actions(i); !slices.Equal(got, want) {
			t.Errorf("instance %d: actions %v, want %v", i, got, want)
		}
	}
	s := cl.Settled(key, harness.All(n, 1), 20*time.Second)
	t.Logf("the update took %s", time.Duration(u.LastModified-u.Started)*time.Millisecond)
	harness.OldGone(t, key, before)
	for i := range n {
		if a, _ := s.ActiveOf(i); a.TaskID == "" || slicesHasTask(before.Active, a.TaskID) {
			t.Errorf("instance %d: want a new task of version 1 after the rollback:\n%s", i, s)
		}
	}
}

// checkBatches checks that the instances of groups got action start in
// exactly that order, and that (when ends are given) each group started
// only after every instance of the group before got one of ends.
func checkBatches(t *testing.T, u harness.UpdateInfo, start string, ends []string, groups [][]int) {
	t.Helper()
	started, ended := map[int]int{}, map[int]int{} // instance → index in events
	for i, e := range u.InstanceEvents {
		switch {
		case e.Action == start:
			started[e.InstanceID] = i
		case slices.Contains(ends, e.Action):
			ended[e.InstanceID] = i
		}
	}
	var flat []int
	for _, g := range groups {
		flat = append(flat, g...)
	}
	if got := u.Order(start); !slices.Equal(got, flat) {
		t.Errorf("%s order %v, want %v:\n%s", start, got, flat, u)
		return
	}
	if len(ends) == 0 {
		return
	}
	for gi := 1; gi < len(groups); gi++ {
		for _, prev := range groups[gi-1] {
			for _, next := range groups[gi] {
				if e, ok := ended[prev]; !ok || e > started[next] {
					t.Errorf("instance %d started before instance %d of the batch before ended:\n%s", next, prev, u)
				}
			}
		}
	}
}

// TestUpdateFailsWithoutRollback: the same update with rollback_on_failure
// off ends FAILED (exit 20) with the job partly updated: instances 0-7 on
// version 2, instance 8's new task failing.
func TestUpdateFailsWithoutRollback(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("failed")
	const n = 9
	cfg := "{update_strategy: {batch: {batch_size: 3}}, watch_secs: 0, rollback_on_failure: false}"
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: cfg}
	cl.Create(key, cl.WriteVersion(key, v1))

	v2 := v1
	v2.Version, v2.Bad = 2, 8
	r, id := cl.StartUpdate(key, cl.WriteVersion(key, v2), "--wait")
	if r.Code != harness.ExitUnknown || !strings.Contains(r.Stdout, "finished FAILED") {
		t.Fatalf("want exit 20, FAILED: %s", r)
	}
	u := cl.MustInfo(key, id)
	if u.Status != "FAILED" || len(u.Order("INSTANCE_ROLLING_BACK")) != 0 {
		t.Fatalf("want FAILED without rolling back: %s", u)
	}
	if got := u.Order("INSTANCE_UPDATED"); !slices.Equal(slices.Sorted(slices.Values(got)), harness.Span(8)) {
		t.Errorf("INSTANCE_UPDATED for %v, want 0..7:\n%s", got, u)
	}
	if got := u.Order("INSTANCE_UPDATE_FAILED"); !slices.Equal(got, []int{8}) {
		t.Errorf("INSTANCE_UPDATE_FAILED for %v, want [8]:\n%s", got, u)
	}
	// Partly updated: 0-7 answer version 2; instance 8 runs version 2,
	// unhealthy (its tasks fail their health checks and are replaced).
	want := harness.All(8, 2)
	var s harness.JobStatus
	harness.Eventually(t, 20*time.Second, "instances 0-7 run version 2", func() (bool, string) {
		var err error
		if s, err = cl.Status(key); err != nil {
			return false, err.Error()
		}
		got, problems := harness.Versions(s)
		delete(got, 8)
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("versions %v\n%s\n%s", got, problems, s)
	})
	if r := cl.Run("update", "pause", key); r.Code != harness.ExitInvalidParameter || !strings.Contains(r.Stderr, "No active update found for this job.") {
		t.Errorf("pause after the update failed: want exit 6, no active update: %s", r)
	}
}

// TestUpdateShellHealthRollsBack: version 2 is health-checked by a shell
// command that always fails, needing 5 successes; the first batch of 2
// fails and the update rolls back, untouched instances untouched.
func TestUpdateShellHealthRollsBack(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("shell")
	const n = 4
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: "{batch_size: 2, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))

	v2 := v1
	v2.Version = 2
	v2.Health = `    health_check_config:
      health_checker: {shell: {shell_command: "false"}}
      initial_interval_secs: 2
      interval_secs: 0.5
      min_consecutive_successes: 5
`
	r, id := cl.StartUpdate(key, cl.WriteVersion(key, v2), "--wait")
	if r.Code != harness.ExitCommandFailure {
		t.Fatalf("want exit 4 (ROLLED_BACK): %s", r)
	}
	u := cl.MustInfo(key, id)
	if u.Status != "ROLLED_BACK" {
		t.Fatalf("update info: %s", u)
	}
	if got := u.Order("INSTANCE_UPDATING"); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("INSTANCE_UPDATING for %v, want the first batch 0, 1 only:\n%s", got, u)
	}
	if got := u.Order("INSTANCE_UPDATE_FAILED"); len(got) == 0 {
		t.Errorf("no INSTANCE_UPDATE_FAILED:\n%s", u)
	}
	if got := u.Order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 1, 0:\n%s", got, u)
	}
	// A version-2 task ended FAILED by the shell check.
	s := cl.Settled(key, harness.All(n, 1), 20*time.Second)
	failed := false
	for _, i := range []int{0, 1} {
		for _, tk := range s.InactiveOf(i) {
			for _, e := range tk.TaskEvents {
				failed = failed || (e.Status == "FAILED" && strings.Contains(strings.ToLower(e.Message), "health"))
			}
		}
	}
	if !failed {
		t.Errorf("no task of instances 0, 1 FAILED its health checks:\n%s", s)
	}
	harness.ReplacedOnce(t, s, before, nil, []int{2, 3})
}

// TestUpdateFailureBudget: max_total_failures 1 and one bad instance: the
// update goes on and ends ROLLED_FORWARD with one INSTANCE_UPDATE_FAILED.
func TestUpdateFailureBudget(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("budget")
	const n = 4
	cfg := "{batch_size: 2, watch_secs: 0, max_total_failures: 1}"
	v1 := harness.Demo{Instances: n, Version: 1, Bad: -1, Update: cfg}
	cl.Create(key, cl.WriteVersion(key, v1))

	v2 := v1
	v2.Version, v2.Bad = 2, 1
	r, id := cl.StartUpdate(key, cl.WriteVersion(key, v2), "--wait")
	if r.Code != harness.ExitOK || !strings.Contains(r.Stdout, "finished ROLLED_FORWARD") {
		t.Fatalf("want exit 0, ROLLED_FORWARD: %s", r)
	}
	u := cl.MustInfo(key, id)
	if got := u.Order("INSTANCE_UPDATE_FAILED"); !slices.Equal(got, []int{1}) {
		t.Errorf("INSTANCE_UPDATE_FAILED for %v, want exactly [1]:\n%s", got, u)
	}
	if got := u.Order("INSTANCE_UPDATED"); !slices.Equal(slices.Sorted(slices.Values(got)), []int{0, 2, 3}) {
		t.Errorf("INSTANCE_UPDATED for %v, want 0, 2, 3:\n%s", got, u)
	}
	if len(u.Order("INSTANCE_ROLLING_BACK")) != 0 {
		t.Errorf("rolled back within the budget:\n%s", u)
	}
	harness.Eventually(t, 20*time.Second, "instances 0, 2, 3 run version 2", func() (bool, string) {
		s, err := cl.Status(key)
		if err != nil {
			return false, err.Error()
		}
		got, problems := harness.Versions(s)
		delete(got, 1)
		return fmt.Sprint(got) == fmt.Sprint(map[int]int{0: 2, 2: 2, 3: 2}), fmt.Sprintf("%v\n%s\n%s", got, problems, s)
	})
}

// TestUpdateAddRemoveInstances: an update from 3 to 5 instances of the same
// task adds instances 3 and 4 and touches nothing else; one to 2 instances
// of version 2 changes 0 and 1, then kills 2, 3 and 4.
func TestUpdateAddRemoveInstances(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("resize")
	v1 := harness.Demo{Instances: 3, Version: 1, Bad: -1, Update: "{batch_size: 2, watch_secs: 0}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))

	grown := v1
	grown.Instances = 5
	r, id := cl.StartUpdate(key, cl.WriteVersion(key, grown), "--wait")
	if r.Code != harness.ExitOK {
		t.Fatalf("3 → 5: want exit 0: %s", r)
	}
	u := cl.MustInfo(key, id)
	harness.Once(t, u, []int{3, 4}, "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	s := cl.Settled(key, harness.All(5, 1), 20*time.Second)
	harness.ReplacedOnce(t, s, before, nil, harness.Span(3))
	for _, i := range []int{3, 4} {
		if len(s.InactiveOf(i)) != 0 {
			t.Errorf("added instance %d has ended tasks:\n%s", i, s)
		}
	}

	shrunk := v1
	shrunk.Instances, shrunk.Version = 2, 2
	r, id = cl.StartUpdate(key, cl.WriteVersion(key, shrunk), "--wait")
	if r.Code != harness.ExitOK {
		t.Fatalf("5 → 2: want exit 0: %s", r)
	}
	u = cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(5), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.Order("INSTANCE_UPDATING"); !slices.Equal(got, harness.Span(5)) {
		t.Errorf("INSTANCE_UPDATING order %v: want the changed 0, 1, then the removed 2, 3, 4:\n%s", got, u)
	}
	s = cl.Settled(key, map[int]int{0: 2, 1: 2}, 20*time.Second)
	for _, i := range []int{2, 3, 4} {
		in := s.InactiveOf(i)
		if len(in) == 0 || in[len(in)-1].Status != "KILLED" {
			t.Errorf("removed instance %d: want its last task KILLED:\n%s", i, s)
		}
		if run := harness.Running(harness.OfInstance(harness.Containers(t, key), i)); len(run) != 0 {
			t.Errorf("removed instance %d still has running containers:\n%s", i, harness.ListContainers(run))
		}
	}
	// The job now has 2 instances: an update to the same config changes nothing.
	if r := cl.Run("update", "start", key, cl.WriteVersion(key, shrunk), "--wait"); r.Code != harness.ExitOK || !strings.Contains(r.Stdout, "Job is unchanged by proposed update.") {
		t.Errorf("the same config again: want exit 0, unchanged: %s", r)
	}
}
