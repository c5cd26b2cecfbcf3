package workflows_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/internal/tupdate"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/messenger"
	"github.com/borealis-dev/borealis/workflows"
)

// versioned is a service whose process names its version and instance; a
// shell health check passes unless the task runs a version and instance
// listed in bad (bad["2/8"]: instance 8 of version 2 never gets healthy).
// The bad lists of every call add up.
func (e *env) versioned(name string, n, version int, bad map[string]bool) config.Job {
	j := e.job(name, n, true)
	j.Task.Processes[0].Cmdline = fmt.Sprintf("serve %d/{{mesos.instance}}", version)
	j.HealthCheckConfig.HealthChecker = config.HealthCheckerConfig{Shell: &config.ShellHealthChecker{ShellCommand: "check"}}
	j.HealthCheckConfig.InitialIntervalSecs = 0
	j.HealthCheckConfig.IntervalSecs = 0.1
	j.UpdateConfig.WatchSecs = 0
	e.badMu.Lock()
	for b := range bad {
		e.bad[b] = true
	}
	e.badMu.Unlock()
	return j
}

// checkHealth answers the fake's shell health checks for versioned jobs.
func (e *env) checkHealth(taskID string, _ []string) (int, string, error) {
	spec, ok := e.fake.RunnerSpec(taskID)
	if !ok {
		return 1, "no such task", nil
	}
	e.badMu.Lock()
	defer e.badMu.Unlock()
	for b := range e.bad {
		if strings.HasSuffix(spec.Processes[0].Cmdline, " "+b) {
			return 1, "unhealthy " + b, nil
		}
	}
	return 0, "", nil
}

// startUpdate asks the job's workflow to start an update to next.
func (e *env) startUpdate(next config.Job, id string, only ...int) (workflows.StartUpdateResult, error) {
	var res workflows.StartUpdateResult
	err := e.update(next.Key(), workflows.UpdateStartUpdate, workflows.StartUpdateRequest{UpdateID: id, Job: next, Instances: only}, &res)
	return res, err
}

// waitUpdate waits for an update to finish and returns its info.
func (e *env) waitUpdate(key, id string) workflows.UpdateInfo {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var info workflows.UpdateInfo
	require.NoError(e.t, e.c.GetWorkflow(ctx, workflows.UpdateWorkflowID(key, id), "").Get(ctx, &info))
	return info
}

func (e *env) updateInfo(key, id string) workflows.UpdateInfo {
	e.t.Helper()
	v, err := e.c.QueryWorkflow(context.Background(), workflows.UpdateWorkflowID(key, id), "", workflows.QueryUpdateInfo)
	require.NoError(e.t, err)
	var info workflows.UpdateInfo
	require.NoError(e.t, v.Get(&info))
	return info
}

// op sends pause, resume, abort, rollback or pulse to an update.
func (e *env) op(key, id, name string) (workflows.UpdateStatus, error) {
	var s workflows.UpdateStatus
	err := tupdate.Send(context.Background(), e.c, client.UpdateWorkflowOptions{WorkflowID: workflows.UpdateWorkflowID(key, id), UpdateName: name}, &s)
	return s, err
}

func (e *env) jobView(key string) workflows.JobView {
	e.t.Helper()
	v, err := e.c.QueryWorkflow(context.Background(), workflows.JobWorkflowID(key), "", workflows.QueryJob)
	require.NoError(e.t, err)
	var view workflows.JobView
	require.NoError(e.t, v.Get(&view))
	return view
}

// actions lists, in order, the instances that got action (the notes of
// SLA-aware updates, events with a message, aside; a failure's message is
// its reason).
func actions(info workflows.UpdateInfo, action string) []int {
	failure := action == workflows.InstanceUpdateFailed || action == workflows.InstanceRollbackFailed
	var ids []int
	for _, ev := range info.InstanceEvents {
		if ev.Action == action && (ev.Message == "" || failure) {
			ids = append(ids, ev.InstanceID)
		}
	}
	return ids
}

// versions maps every instance to the config version the job records for it.
func versions(view workflows.JobView) map[int]string {
	out := map[int]string{}
	for _, r := range view.Instances {
		out[r.ID] = r.ConfigVersion
	}
	return out
}

func (e *env) runningAll(key string, n int) {
	e.t.Helper()
	for i := 0; i < n; i++ {
		e.running(key, i)
	}
}

// activeCmdline is what instance i's active task runs.
func (e *env) activeCmdline(key string, i int) string {
	e.t.Helper()
	task := e.running(key, i)
	spec, ok := e.fake.RunnerSpec(task.TaskID)
	require.True(e.t, ok)
	return spec.Processes[0].Cmdline
}

func TestUpdateRollsForward(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("fwd", 10, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 10)

	v2 := e.versioned("fwd", 10, 2, nil)
	v2.UpdateConfig.BatchSize = 3
	res, err := e.startUpdate(v2, "u1")
	require.NoError(t, err)
	assert.Len(t, res.Steps, 10)

	// A second update while this one is active is refused.
	_, err = e.startUpdate(e.versioned("fwd", 10, 3, nil), "u2")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Job is currently updating (update u1)")
	// So are kills and restarts.
	err = e.update(key, workflows.UpdateKill, workflows.KillRequest{Instances: []int{0}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Job is currently updating")

	info := e.waitUpdate(key, "u1")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	ids := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	assert.Equal(t, ids, actions(info, workflows.InstanceUpdating), "started in ascending order, once each")
	updated := actions(info, workflows.InstanceUpdated)
	slices.Sort(updated)
	assert.Equal(t, ids, updated, "every instance updated exactly once")
	assert.Empty(t, actions(info, workflows.InstanceUpdateFailed))

	view := e.jobView(key)
	assert.Empty(t, view.Updating)
	for i := 0; i < 10; i++ {
		assert.Equal(t, "u1", versions(view)[i])
		assert.Equal(t, fmt.Sprintf("serve 2/%d", i), e.activeCmdline(key, i))
	}
	e.replay(workflows.UpdateWorkflowID(key, "u1"), "update-rolled-forward")

	// The same config again changes nothing.
	_, err = e.startUpdate(v2, "u3")
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, "Unchanged", appErr.Type())
	assert.Contains(t, err.Error(), "Job is unchanged by proposed update.")
}

func TestUpdateRollsBackInReverse(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("back", 9, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 9)

	v2 := e.versioned("back", 9, 2, map[string]bool{"2/8": true})
	v2.UpdateConfig.UpdateStrategy = &config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: 3}}
	_, err := e.startUpdate(v2, "bad")
	require.NoError(t, err)
	info := e.waitUpdate(key, "bad")
	assert.Equal(t, workflows.UpdateRolledBack, info.Status)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, actions(info, workflows.InstanceUpdating))
	assert.Equal(t, []int{8}, actions(info, workflows.InstanceUpdateFailed))
	assert.Equal(t, []int{8, 7, 6, 5, 4, 3, 2, 1, 0}, actions(info, workflows.InstanceRollingBack), "exactly the reverse order")
	rolled := actions(info, workflows.InstanceRolledBack)
	slices.Sort(rolled)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}, rolled)

	view := e.jobView(key)
	for i := 0; i < 9; i++ {
		assert.Equal(t, "", versions(view)[i], "instance %d runs the old config again", i)
		assert.Equal(t, fmt.Sprintf("serve 1/%d", i), e.activeCmdline(key, i))
	}
	e.replay(workflows.UpdateWorkflowID(key, "bad"), "update-rolled-back")
}

func TestUpdateFailsWithoutRollback(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("norb", 3, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 3)

	v2 := e.versioned("norb", 3, 2, map[string]bool{"2/1": true})
	v2.UpdateConfig.RollbackOnFailure = false
	_, err := e.startUpdate(v2, "u")
	require.NoError(t, err)
	info := e.waitUpdate(key, "u")
	assert.Equal(t, workflows.UpdateFailed, info.Status)
	assert.Equal(t, []int{0, 1}, actions(info, workflows.InstanceUpdating), "instance 2 never started")
	assert.Empty(t, actions(info, workflows.InstanceRollingBack))
	assert.Equal(t, map[int]string{0: "u", 1: "u", 2: ""}, versions(e.jobView(key)), "the job stays partly updated")
}

func TestUpdateWithinFailureBudget(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("budget", 4, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 4)

	v2 := e.versioned("budget", 4, 2, map[string]bool{"2/2": true})
	v2.UpdateConfig.MaxTotalFailures = 1
	v2.UpdateConfig.BatchSize = 2
	_, err := e.startUpdate(v2, "u")
	require.NoError(t, err)
	info := e.waitUpdate(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, []int{2}, actions(info, workflows.InstanceUpdateFailed))
	assert.Len(t, actions(info, workflows.InstanceUpdated), 3)
}

func TestUpdateAddsAndRemovesInstances(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("scale", 3, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 3)

	up := e.versioned("scale", 5, 1, nil)
	_, err := e.startUpdate(up, "grow")
	require.NoError(t, err)
	info := e.waitUpdate(key, "grow")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, []int{3, 4}, actions(info, workflows.InstanceUpdated), "only instances 3 and 4 are new; the rest are unchanged")
	assert.Equal(t, []int{0, 1, 2, 3, 4}, e.jobView(key).InstanceIDs())
	e.running(key, 4)

	down := e.versioned("scale", 2, 2, nil)
	_, err = e.startUpdate(down, "shrink")
	require.NoError(t, err)
	info = e.waitUpdate(key, "shrink")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, []int{0, 1, 2, 3, 4}, actions(info, workflows.InstanceUpdating), "change 0,1 then remove 2,3,4")
	assert.Equal(t, []int{0, 1}, e.jobView(key).InstanceIDs())
	st := e.waitFor(key, 4, "killed", func(s workflows.InstanceStatus) bool { return s.Done })
	assert.Equal(t, workflows.StatusKilled, st.Inactive[len(st.Inactive)-1].Status)
	e.replay(workflows.JobWorkflowID(key), "job-updates")
}

func TestUpdatePauseResumeAbort(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("pause", 4, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 4)

	v2 := e.versioned("pause", 4, 2, nil)
	v2.UpdateConfig.UpdateStrategy = &config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: 1, AutopauseAfterBatch: true}}
	_, err := e.startUpdate(v2, "u")
	require.NoError(t, err)

	waitStatus := func(want workflows.UpdateStatus) workflows.UpdateInfo {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			info := e.updateInfo(key, "u")
			if info.Status == want {
				return info
			}
			require.True(t, time.Now().Before(deadline), "update not %s; it is %s", want, info.Status)
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Autopause: after the first batch, nothing new starts until resumed.
	info := waitStatus(workflows.UpdateRollForwardPaused)
	assert.Equal(t, []int{0}, actions(info, workflows.InstanceUpdating))
	s, err := e.op(key, "u", workflows.UpdatePause)
	require.NoError(t, err, "pausing a paused update is a no-op")
	assert.Equal(t, workflows.UpdateRollForwardPaused, s)

	s, err = e.op(key, "u", workflows.UpdateResume)
	require.NoError(t, err)
	assert.Equal(t, workflows.UpdateRollingForward, s)
	info = waitStatus(workflows.UpdateRollForwardPaused)
	assert.Equal(t, []int{0, 1}, actions(info, workflows.InstanceUpdating))

	s, err = e.op(key, "u", workflows.UpdateAbort)
	require.NoError(t, err)
	assert.Equal(t, workflows.UpdateAborted, s)
	info = e.waitUpdate(key, "u")
	assert.Equal(t, workflows.UpdateAborted, info.Status)
	assert.Equal(t, map[int]string{0: "u", 1: "u", 2: "", 3: ""}, versions(e.jobView(key)), "aborted: partly updated")
	assert.Empty(t, e.jobView(key).Updating)

	// A finished update takes no more operations (the CLI answers them from
	// the job: "No active update found for this job.").
	_, err = e.op(key, "u", workflows.UpdatePause)
	require.Error(t, err, "pausing a finished update is refused")
	_, err = e.op(key, "u", workflows.UpdateRollback)
	require.Error(t, err)
}

func TestUpdateUserRollback(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("urb", 4, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 4)

	v2 := e.versioned("urb", 4, 2, nil)
	v2.UpdateConfig.UpdateStrategy = &config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: 2, AutopauseAfterBatch: true}}
	// The rollback watches each rolled-back instance this long, so it is
	// still ROLLING_BACK while the operations below are sent, however slow
	// the machine: it cannot end sooner.
	v2.UpdateConfig.WatchSecs = 5
	_, err := e.startUpdate(v2, "u")
	require.NoError(t, err)
	poll.Until(t, 30*time.Second, "paused after the first batch", func() (bool, string) {
		status := e.updateInfo(key, "u").Status
		return status == workflows.UpdateRollForwardPaused, string(status)
	})
	s, err := e.op(key, "u", workflows.UpdateRollback)
	require.NoError(t, err)
	assert.Equal(t, workflows.UpdateRollingBack, s, "a paused update rolls back at once")
	s, err = e.op(key, "u", workflows.UpdateRollback)
	require.NoError(t, err, "rolling back an update that rolls back is a no-op, as in Aurora")
	assert.Equal(t, workflows.UpdateRollingBack, s)
	s, err = e.op(key, "u", workflows.UpdateResume)
	require.NoError(t, err)
	assert.Equal(t, workflows.UpdateRollingBack, s, "resuming an update that is not paused is a no-op")
	info := e.waitUpdate(key, "u")
	assert.Equal(t, workflows.UpdateRolledBack, info.Status)
	assert.Equal(t, []int{1, 0}, actions(info, workflows.InstanceRollingBack))
	assert.Equal(t, map[int]string{0: "", 1: "", 2: "", 3: ""}, versions(e.jobView(key)))
}

func TestUpdatePulses(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("pulse", 2, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 2)

	v2 := e.versioned("pulse", 2, 2, nil)
	interval := 60
	v2.UpdateConfig.PulseIntervalSecs = &interval
	_, err := e.startUpdate(v2, "u")
	require.NoError(t, err)
	info := e.updateInfo(key, "u")
	assert.Equal(t, workflows.UpdateRollForwardAwaitingPulse, info.Status, "a coordinated update starts awaiting a pulse")
	assert.Empty(t, actions(info, workflows.InstanceUpdating), "nothing moves without a pulse")

	s, err := e.op(key, "u", workflows.UpdatePulse)
	require.NoError(t, err)
	assert.Equal(t, workflows.UpdateRollingForward, s)
	info = e.waitUpdate(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, []int{0, 1}, actions(info, workflows.InstanceUpdated))
}

func TestUpdateRefusedForNonService(t *testing.T) {
	e := newEnv(t)
	j := e.job("batch", 1, false)
	e.create(j)
	e.running(j.Key(), 0)
	next := j
	next.Task = &config.Task{}
	*next.Task = *j.Task
	next.Task.Processes = []config.Process{j.Task.Processes[0]}
	next.Task.Processes[0].Cmdline = "other"
	_, err := e.startUpdate(next, "u")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Updates are not supported for non-service tasks.")
}

func TestUpdateStartFirst(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("sf", 2, 1, nil)
	e.create(v1)
	key := v1.Key()
	before := map[int]string{0: e.running(key, 0).TaskID, 1: e.running(key, 1).TaskID}

	v2 := e.versioned("sf", 2, 2, nil)
	v2.UpdateConfig.UpdateOrder = config.UpdateOrderStartFirst
	_, err := e.startUpdate(v2, "sf")
	require.NoError(t, err)
	info := e.waitUpdate(key, "sf")
	require.Equal(t, workflows.UpdateRolledForward, info.Status)

	for i := 0; i < 2; i++ {
		st := e.waitFor(key, i, "old task retired", func(s workflows.InstanceStatus) bool { return s.Replacing == nil && len(s.Inactive) > 0 })
		old := st.Inactive[len(st.Inactive)-1]
		require.Equal(t, before[i], old.TaskID)
		assert.Equal(t, workflows.StatusKilled, old.Status)
		assert.Equal(t, "serve 2/"+fmt.Sprint(i), e.activeCmdline(key, i))

		// The old task was stopped only after its successor was RUNNING.
		var running, killed int64
		for _, ev := range st.Active.TaskEvents {
			if ev.Status == workflows.StatusRunning {
				running = ev.Timestamp
			}
		}
		for _, ev := range old.TaskEvents {
			if ev.Status == workflows.StatusKilled {
				killed = ev.Timestamp
			}
		}
		assert.NotZero(t, running)
		assert.GreaterOrEqual(t, killed, running, "old task killed after the new one ran")
		assert.Contains(t, old.TaskEvents[len(old.TaskEvents)-1].Message, "Replaced by "+st.Active.TaskID)
		assert.Len(t, e.fake.Stops(old.TaskID), 1)
	}
	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-start-first")
}

// TestUpdateStartFirstKeptTaskExits: the task a start_first replace keeps
// running exits by itself while its successor is still starting. It ends
// FAILED, counted, and is not stopped later; the successor goes on.
func TestUpdateStartFirstKeptTaskExits(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("sfx", 1, 1, nil)
	e.create(v1)
	key := v1.Key()
	old := e.running(key, 0).TaskID

	v2 := e.versioned("sfx", 1, 2, map[string]bool{"2/0": true})
	v2.UpdateConfig.UpdateOrder = config.UpdateOrderStartFirst
	// Failures are ignored for 60 s, so the successor stays STARTING.
	v2.HealthCheckConfig.InitialIntervalSecs = 60
	_, err := e.startUpdate(v2, "sfx")
	require.NoError(t, err)
	e.waitFor(key, 0, "replacing", func(s workflows.InstanceStatus) bool {
		return s.Replacing != nil && s.Active != nil && s.Active.Status == workflows.StatusStarting
	})

	require.NoError(t, e.fake.Exit(old, 3, false))
	st := e.waitFor(key, 0, "kept task ended", func(s workflows.InstanceStatus) bool { return s.Replacing == nil })
	ended := st.Inactive[len(st.Inactive)-1]
	require.Equal(t, old, ended.TaskID)
	assert.Equal(t, workflows.StatusFailed, ended.Status)
	assert.Contains(t, ended.TaskEvents[len(ended.TaskEvents)-1].Message, "Exited with status 3 while its successor was starting")
	assert.Equal(t, 1, st.FailureCount, "the kept task's failure is counted")
	assert.Equal(t, 1, ended.FailureCount)
	assert.Equal(t, workflows.StatusStarting, st.Active.Status, "the successor goes on")

	e.badMu.Lock()
	delete(e.bad, "2/0")
	e.badMu.Unlock()
	info := e.waitUpdate(key, "sfx")
	require.Equal(t, workflows.UpdateRolledForward, info.Status)
	st = e.waitFor(key, 0, "successor RUNNING", func(s workflows.InstanceStatus) bool {
		return s.Active != nil && s.Active.Status == workflows.StatusRunning
	})
	assert.Equal(t, "serve 2/0", e.activeCmdline(key, 0))
	assert.Equal(t, old, st.Inactive[len(st.Inactive)-1].TaskID, "nothing else ended")
	assert.Empty(t, e.fake.Stops(old), "a task that exited by itself is not stopped")
	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-start-first-kept-exits")
}

// TestUpdateHistoryCost guards what an update costs in history: a batch's
// requests and records go out in one local activity, so the update's own
// history grows by about one event per instance (its reply), and an
// instance without health checks spends a bounded number of events on its
// replacement (bench/README.md has the figures).
func TestUpdateHistoryCost(t *testing.T) {
	e := newEnv(t)
	const n = 20
	v1 := e.job("cost", n, true)
	v1.UpdateConfig.WatchSecs = 0
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, n)
	events := func() int {
		sum := 0
		for i := range n {
			sum += historyLength(t, e.c, workflows.InstanceWorkflowID(key, i), "")
		}
		return sum
	}
	// The second update also removes the containers of the first tasks
	// (the newest ended task's is kept for its logs).
	for round, id := range []string{"cost", "cost2"} {
		before := events()
		next := v1
		next.Task.Processes = slices.Clone(v1.Task.Processes)
		next.Task.Processes[0].Cmdline += " --" + id
		next.UpdateConfig.BatchSize = 10
		_, err := e.startUpdate(next, id)
		require.NoError(t, err)
		info := e.waitUpdate(key, id)
		require.Equal(t, workflows.UpdateRolledForward, info.Status)

		update := historyLength(t, e.c, workflows.UpdateWorkflowID(key, id), "")
		perInstance := float64(events()-before) / n
		t.Logf("update %d: per instance update %.1f instance events, %.1f update events", round+1, perInstance, float64(update)/n)
		assert.LessOrEqual(t, perInstance, 15.0, "instance events per replacement (13, 14 with a removal, when no workflow task is split)")
		assert.LessOrEqual(t, update, 3*n+30, "update events: a reply per instance and a few workflow tasks per batch")
	}
	jk, err := jobkey.Parse(key)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		tasks, err := e.fake.List(context.Background(), jk)
		return err == nil && len(tasks) == 2*n
	}, 10*time.Second, 50*time.Millisecond, "each instance keeps its running task's container and the newest ended one's")
	e.replay(workflows.UpdateWorkflowID(key, "cost"), "update-batched")
	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-updated-twice")
}

// TestSendMessages delivers signals and tells which workflows were not there.
func TestSendMessages(t *testing.T) {
	e := newEnv(t)
	j := e.job("msg", 1, true)
	e.create(j)
	key := j.Key()
	task := e.running(key, 0)

	m := &messenger.Messenger{Client: e.c}
	req := workflows.InstanceRequest{Key: "msg-restart", Kind: workflows.RequestRestart}
	delivered, err := m.SendMessages(context.Background(), []workflows.Message{
		{WorkflowID: workflows.InstanceWorkflowID(key, 0), Request: &req},
		{WorkflowID: "job/no/such/workflow/0", Reply: &workflows.InstanceReply{Key: "k"}},
	})
	require.NoError(t, err)
	assert.Equal(t, []bool{true, false}, delivered)
	e.running(key, 0, task.TaskID) // the restart request arrived

	_, err = m.SendMessages(context.Background(), []workflows.Message{{WorkflowID: "x"}})
	require.ErrorContains(t, err, "carries nothing")
}
