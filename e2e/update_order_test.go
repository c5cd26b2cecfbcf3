package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestUpdateStartFirst: update_order start_first with real containers. Each
// instance's new task starts on ports of its own while the old task still
// serves, and the old task is stopped only once the new one is RUNNING. An
// old task killed behind Borealis's back while its successor starts ends
// FAILED and counted, and is not restarted; the update goes on.
func TestUpdateStartFirst(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("sfirst")
	v1 := harness.Demo{Instances: 2, Version: 1, Bad: -1, Update: "{batch_size: 1, watch_secs: 0, update_order: start_first}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	old0, _ := before.ActiveOf(0)

	// Version 2 listens 6 s after it starts: a wide window with both tasks.
	v2 := v1
	v2.Version, v2.Flags = 2, "-slow-start 6"
	v2.Health = "    health_check_config: {initial_interval_secs: 12, interval_secs: 0.5, min_consecutive_successes: 1}\n"
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))

	s := cl.WaitStatus(key, 30*time.Second, "instance 0 with its old and its new task", func(s harness.JobStatus) (bool, string) {
		n := 0
		for _, a := range s.Active {
			if a.InstanceID == 0 {
				n++
			}
		}
		return n == 2, s.String()
	})
	var next harness.Task
	for _, a := range s.Active {
		if a.InstanceID == 0 && a.TaskID != old0.TaskID {
			next = a
		}
	}
	if next.Status != "STARTING" && next.Status != "ASSIGNED" {
		t.Fatalf("want the new task of instance 0 starting:\n%s", s)
	}
	if next.AssignedPorts["http"] == old0.AssignedPorts["http"] || next.AssignedPorts["health"] == old0.AssignedPorts["health"] {
		t.Errorf("the new task shares a port with the old one: %v and %v", next.AssignedPorts, old0.AssignedPorts)
	}
	if body, err := harness.Get(old0.AssignedPorts["http"], "/"); err != nil || body != "version 1" {
		t.Errorf("the old task stops serving before its successor runs: %q %v", body, err)
	}

	harness.Docker(t, "kill", old0.ContainerID)
	s = cl.WaitStatus(key, 30*time.Second, "the killed old task ended", func(s harness.JobStatus) (bool, string) {
		tk, ok := s.Find(old0.TaskID)
		return ok && tk.Status == "FAILED", s.String()
	})
	ended, _ := s.Find(old0.TaskID)
	if last := ended.TaskEvents[len(ended.TaskEvents)-1].Message; !strings.Contains(last, "while its successor was starting") || ended.FailureCount != 1 {
		t.Errorf("the killed old task: want FAILED, counted, ended while its successor was starting:%s (failures %d)", ended.Events(), ended.FailureCount)
	}

	u := cl.WaitUpdate(key, id, harness.UpdateTimeout, "update ROLLED_FORWARD", func(u harness.UpdateInfo) bool { return u.Status == "ROLLED_FORWARD" })
	harness.Once(t, u, harness.Span(2), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	s = cl.Settled(key, harness.All(2, 2), 30*time.Second)
	harness.OldGone(t, key, before)

	// Instance 0 had no task but the new one after the kill: no restart.
	if n := len(s.InactiveOf(0)); n != 1 {
		t.Errorf("instance 0: want its killed old task as its only ended task, got %d:\n%s", n, s)
	}
	// Instance 1's old task was stopped once its successor ran.
	old1, _ := before.ActiveOf(1)
	next1, _ := s.ActiveOf(1)
	retired, ok := s.Find(old1.TaskID)
	if !ok || retired.Status != "KILLED" {
		t.Fatalf("instance 1: want its old task KILLED:\n%s", s)
	}
	var running, killed int64
	for _, e := range next1.TaskEvents {
		if e.Status == "RUNNING" && running == 0 {
			running = e.Timestamp
		}
	}
	for _, e := range retired.TaskEvents {
		if e.Status == "KILLED" {
			killed = e.Timestamp
		}
	}
	if running == 0 || killed < running {
		t.Errorf("instance 1: old task killed at %d, before its successor ran at %d:%s\n%s", killed, running, retired.Events(), next1.Events())
	}
}
