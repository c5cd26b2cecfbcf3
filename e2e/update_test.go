package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
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
	cl := newCluster(t, flapping{})
	key := cl.job("fwd")
	const n = 10
	v1 := demo{instances: n, version: 1, bad: -1, update: "{batch_size: 3, watch_secs: 0}"}
	before := cl.create(key, cl.writeVersion(key, v1))
	cl.settled(key, all(n, 1), 20*time.Second)

	v2 := v1
	v2.version = 2
	r, id := cl.startUpdate(key, cl.writeVersion(key, v2), "--wait")
	if r.code != exitOK || !strings.Contains(r.stdout, "finished ROLLED_FORWARD") {
		t.Fatalf("want exit 0, ROLLED_FORWARD: %s", r)
	}
	u := cl.mustInfo(key, id)
	if u.Status != "ROLLED_FORWARD" {
		t.Fatalf("update info: %s", u)
	}
	once(t, u, span(n), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.order("INSTANCE_UPDATING"); !slices.Equal(got, span(n)) {
		t.Errorf("INSTANCE_UPDATING order %v, want ascending:\n%s", got, u)
	}
	// At most 3 in flight: the 4th instance starts only when one of the
	// first three is updated.
	checkInFlight(t, u, 3)

	s := cl.settled(key, all(n, 2), 20*time.Second)
	replacedOnce(t, s, before, span(n), nil)
	oldGone(t, key, before)
	if u := cl.mustInfo(key, ""); u.UpdateID != id {
		t.Errorf("update info without an id: want the latest update %s, got %s", id, u.UpdateID)
	}
	if r := cl.mustRun("update", "list", key, "--status", "ROLLED_FORWARD", "--write-json"); !strings.Contains(r.stdout, `"updateId": "`+id+`"`) && !strings.Contains(r.stdout, `"updateId":"`+id+`"`) {
		t.Errorf("update list --status ROLLED_FORWARD: want update %s: %s", id, r)
	}
}

// checkInFlight checks that no more than max instances were ever between
// INSTANCE_UPDATING and their end (INSTANCE_UPDATED or _FAILED).
func checkInFlight(t *testing.T, u updateInfo, max int) {
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

// TestUpdateRollsBack is SPEC §5's example: 9 instances, batches of 3,
// instance 8 never healthy in version 2 and no failure budget: forward
// (0,1,2)(3,4,5)(6,7,8), instance 8 fails, back (8,7,6)(5,4,3)(2,1,0),
// ROLLED_BACK, exit 4, and every container answers "version 1" again.
func TestUpdateRollsBack(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, flapping{})
	key := cl.job("back")
	const n = 9
	v1 := demo{instances: n, version: 1, bad: -1, update: "{update_strategy: {batch: {batch_size: 3}}, watch_secs: 0}"}
	before := cl.create(key, cl.writeVersion(key, v1))

	v2 := v1
	v2.version, v2.bad = 2, 8
	r, id := cl.startUpdate(key, cl.writeVersion(key, v2), "--wait")
	if r.code != exitCommandFailure || !strings.Contains(r.stdout, "finished ROLLED_BACK") {
		t.Fatalf("want exit 4, ROLLED_BACK: %s", r)
	}
	u := cl.mustInfo(key, id)
	if u.Status != "ROLLED_BACK" {
		t.Fatalf("update info: %s", u)
	}
	if got := u.order("INSTANCE_UPDATING"); !slices.Equal(got, span(n)) {
		t.Errorf("INSTANCE_UPDATING order %v, want 0..8:\n%s", got, u)
	}
	if got := u.order("INSTANCE_UPDATE_FAILED"); !slices.Equal(got, []int{8}) {
		t.Errorf("INSTANCE_UPDATE_FAILED for %v, want [8]:\n%s", got, u)
	}
	if got := u.order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, reversed(span(n))) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 8..0:\n%s", got, u)
	}
	if got := u.order("INSTANCE_ROLLED_BACK"); len(got) != n {
		t.Errorf("INSTANCE_ROLLED_BACK for %v, want every instance once:\n%s", got, u)
	}
	checkBatches(t, u, "INSTANCE_ROLLING_BACK", []string{"INSTANCE_ROLLED_BACK", "INSTANCE_ROLLBACK_FAILED"}, [][]int{{8, 7, 6}, {5, 4, 3}, {2, 1, 0}})
	checkBatches(t, u, "INSTANCE_UPDATING", []string{"INSTANCE_UPDATED", "INSTANCE_UPDATE_FAILED"}, [][]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}})
	for i := range n {
		want := []string{"INSTANCE_UPDATING", "INSTANCE_UPDATED", "INSTANCE_ROLLING_BACK", "INSTANCE_ROLLED_BACK"}
		if i == 8 {
			want[1] = "INSTANCE_UPDATE_FAILED"
		}
		if got := u.actions(i); !slices.Equal(got, want) {
			t.Errorf("instance %d: actions %v, want %v", i, got, want)
		}
	}
	s := cl.settled(key, all(n, 1), 20*time.Second)
	t.Logf("the update took %s", time.Duration(u.LastModified-u.Started)*time.Millisecond)
	oldGone(t, key, before)
	for i := range n {
		if a, _ := s.active(i); a.TaskID == "" || slicesHasTask(before.Active, a.TaskID) {
			t.Errorf("instance %d: want a new task of version 1 after the rollback:\n%s", i, s)
		}
	}
}

// checkBatches checks that the instances of groups got action start in
// exactly that order, and that (when ends are given) each group started
// only after every instance of the group before got one of ends.
func checkBatches(t *testing.T, u updateInfo, start string, ends []string, groups [][]int) {
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
	if got := u.order(start); !slices.Equal(got, flat) {
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
	cl := newCluster(t, flapping{})
	key := cl.job("failed")
	const n = 9
	cfg := "{update_strategy: {batch: {batch_size: 3}}, watch_secs: 0, rollback_on_failure: false}"
	v1 := demo{instances: n, version: 1, bad: -1, update: cfg}
	cl.create(key, cl.writeVersion(key, v1))

	v2 := v1
	v2.version, v2.bad = 2, 8
	r, id := cl.startUpdate(key, cl.writeVersion(key, v2), "--wait")
	if r.code != exitUnknown || !strings.Contains(r.stdout, "finished FAILED") {
		t.Fatalf("want exit 20, FAILED: %s", r)
	}
	u := cl.mustInfo(key, id)
	if u.Status != "FAILED" || len(u.order("INSTANCE_ROLLING_BACK")) != 0 {
		t.Fatalf("want FAILED without rolling back: %s", u)
	}
	if got := u.order("INSTANCE_UPDATED"); !slices.Equal(slices.Sorted(slices.Values(got)), span(8)) {
		t.Errorf("INSTANCE_UPDATED for %v, want 0..7:\n%s", got, u)
	}
	if got := u.order("INSTANCE_UPDATE_FAILED"); !slices.Equal(got, []int{8}) {
		t.Errorf("INSTANCE_UPDATE_FAILED for %v, want [8]:\n%s", got, u)
	}
	// Partly updated: 0-7 answer version 2; instance 8 runs version 2,
	// unhealthy (its tasks fail their health checks and are replaced).
	want := all(8, 2)
	var s jobStatus
	eventually(t, 20*time.Second, "instances 0-7 run version 2", func() (bool, string) {
		var err error
		if s, err = cl.status(key); err != nil {
			return false, err.Error()
		}
		got, problems := versions(s)
		delete(got, 8)
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("versions %v\n%s\n%s", got, problems, s)
	})
	if r := cl.run("update", "pause", key); r.code != exitInvalidParameter || !strings.Contains(r.stderr, "No active update found for this job.") {
		t.Errorf("pause after the update failed: want exit 6, no active update: %s", r)
	}
}

// TestUpdateShellHealthRollsBack: version 2 is health-checked by a shell
// command that always fails, needing 5 successes; the first batch of 2
// fails and the update rolls back, untouched instances untouched.
func TestUpdateShellHealthRollsBack(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, flapping{})
	key := cl.job("shell")
	const n = 4
	v1 := demo{instances: n, version: 1, bad: -1, update: "{batch_size: 2, watch_secs: 0}"}
	before := cl.create(key, cl.writeVersion(key, v1))

	v2 := v1
	v2.version = 2
	v2.health = `    health_check_config:
      health_checker: {shell: {shell_command: "false"}}
      initial_interval_secs: 2
      interval_secs: 0.5
      min_consecutive_successes: 5
`
	r, id := cl.startUpdate(key, cl.writeVersion(key, v2), "--wait")
	if r.code != exitCommandFailure {
		t.Fatalf("want exit 4 (ROLLED_BACK): %s", r)
	}
	u := cl.mustInfo(key, id)
	if u.Status != "ROLLED_BACK" {
		t.Fatalf("update info: %s", u)
	}
	if got := u.order("INSTANCE_UPDATING"); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("INSTANCE_UPDATING for %v, want the first batch 0, 1 only:\n%s", got, u)
	}
	if got := u.order("INSTANCE_UPDATE_FAILED"); len(got) == 0 {
		t.Errorf("no INSTANCE_UPDATE_FAILED:\n%s", u)
	}
	if got := u.order("INSTANCE_ROLLING_BACK"); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("INSTANCE_ROLLING_BACK order %v, want 1, 0:\n%s", got, u)
	}
	// A version-2 task ended FAILED by the shell check.
	s := cl.settled(key, all(n, 1), 20*time.Second)
	failed := false
	for _, i := range []int{0, 1} {
		for _, tk := range s.inactive(i) {
			for _, e := range tk.TaskEvents {
				failed = failed || (e.Status == "FAILED" && strings.Contains(strings.ToLower(e.Message), "health"))
			}
		}
	}
	if !failed {
		t.Errorf("no task of instances 0, 1 FAILED its health checks:\n%s", s)
	}
	replacedOnce(t, s, before, nil, []int{2, 3})
}

// TestUpdateFailureBudget: max_total_failures 1 and one bad instance: the
// update goes on and ends ROLLED_FORWARD with one INSTANCE_UPDATE_FAILED.
func TestUpdateFailureBudget(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, flapping{})
	key := cl.job("budget")
	const n = 4
	cfg := "{batch_size: 2, watch_secs: 0, max_total_failures: 1}"
	v1 := demo{instances: n, version: 1, bad: -1, update: cfg}
	cl.create(key, cl.writeVersion(key, v1))

	v2 := v1
	v2.version, v2.bad = 2, 1
	r, id := cl.startUpdate(key, cl.writeVersion(key, v2), "--wait")
	if r.code != exitOK || !strings.Contains(r.stdout, "finished ROLLED_FORWARD") {
		t.Fatalf("want exit 0, ROLLED_FORWARD: %s", r)
	}
	u := cl.mustInfo(key, id)
	if got := u.order("INSTANCE_UPDATE_FAILED"); !slices.Equal(got, []int{1}) {
		t.Errorf("INSTANCE_UPDATE_FAILED for %v, want exactly [1]:\n%s", got, u)
	}
	if got := u.order("INSTANCE_UPDATED"); !slices.Equal(slices.Sorted(slices.Values(got)), []int{0, 2, 3}) {
		t.Errorf("INSTANCE_UPDATED for %v, want 0, 2, 3:\n%s", got, u)
	}
	if len(u.order("INSTANCE_ROLLING_BACK")) != 0 {
		t.Errorf("rolled back within the budget:\n%s", u)
	}
	eventually(t, 20*time.Second, "instances 0, 2, 3 run version 2", func() (bool, string) {
		s, err := cl.status(key)
		if err != nil {
			return false, err.Error()
		}
		got, problems := versions(s)
		delete(got, 1)
		return fmt.Sprint(got) == fmt.Sprint(map[int]int{0: 2, 2: 2, 3: 2}), fmt.Sprintf("%v\n%s\n%s", got, problems, s)
	})
}

// TestUpdateAddRemoveInstances: an update from 3 to 5 instances of the same
// task adds instances 3 and 4 and touches nothing else; one to 2 instances
// of version 2 changes 0 and 1, then kills 2, 3 and 4.
func TestUpdateAddRemoveInstances(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, flapping{})
	key := cl.job("resize")
	v1 := demo{instances: 3, version: 1, bad: -1, update: "{batch_size: 2, watch_secs: 0}"}
	before := cl.create(key, cl.writeVersion(key, v1))

	grown := v1
	grown.instances = 5
	r, id := cl.startUpdate(key, cl.writeVersion(key, grown), "--wait")
	if r.code != exitOK {
		t.Fatalf("3 → 5: want exit 0: %s", r)
	}
	u := cl.mustInfo(key, id)
	once(t, u, []int{3, 4}, "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	s := cl.settled(key, all(5, 1), 20*time.Second)
	replacedOnce(t, s, before, nil, span(3))
	for _, i := range []int{3, 4} {
		if len(s.inactive(i)) != 0 {
			t.Errorf("added instance %d has ended tasks:\n%s", i, s)
		}
	}

	shrunk := v1
	shrunk.instances, shrunk.version = 2, 2
	r, id = cl.startUpdate(key, cl.writeVersion(key, shrunk), "--wait")
	if r.code != exitOK {
		t.Fatalf("5 → 2: want exit 0: %s", r)
	}
	u = cl.mustInfo(key, id)
	once(t, u, span(5), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	if got := u.order("INSTANCE_UPDATING"); !slices.Equal(got, span(5)) {
		t.Errorf("INSTANCE_UPDATING order %v: want the changed 0, 1, then the removed 2, 3, 4:\n%s", got, u)
	}
	s = cl.settled(key, map[int]int{0: 2, 1: 2}, 20*time.Second)
	for _, i := range []int{2, 3, 4} {
		in := s.inactive(i)
		if len(in) == 0 || in[len(in)-1].Status != "KILLED" {
			t.Errorf("removed instance %d: want its last task KILLED:\n%s", i, s)
		}
		if run := running(ofInstance(containers(t, key), i)); len(run) != 0 {
			t.Errorf("removed instance %d still has running containers:\n%s", i, listContainers(run))
		}
	}
	// The job now has 2 instances: an update to the same config changes nothing.
	if r := cl.run("update", "start", key, cl.writeVersion(key, shrunk), "--wait"); r.code != exitOK || !strings.Contains(r.stdout, "Job is unchanged by proposed update.") {
		t.Errorf("the same config again: want exit 0, unchanged: %s", r)
	}
}
