package workflows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

func statuses(events []workflows.TaskEvent) []workflows.TaskStatus {
	var out []workflows.TaskStatus
	for _, e := range events {
		if len(out) == 0 || out[len(out)-1] != e.Status {
			out = append(out, e.Status)
		}
	}
	return out
}

func TestServiceRestartsAfterExit(t *testing.T) {
	e := newEnv(t)
	j := e.job("hello", 2, true)
	e.create(j)
	key := j.Key()

	first := e.running(key, 0)
	other := e.running(key, 1)
	assert.NotEqual(t, first.TaskID, other.TaskID)
	assert.Equal(t, []workflows.TaskStatus{workflows.StatusPending, workflows.StatusAssigned, workflows.StatusStarting, workflows.StatusRunning}, statuses(first.TaskEvents))

	require.NoError(t, e.fake.Exit(first.TaskID, 137, false))
	second := e.running(key, 0, first.TaskID)
	assert.NotEqual(t, first.TaskID, second.TaskID, "a new task with a new id")

	st, err := e.status(key, 0)
	require.NoError(t, err)
	require.Len(t, st.Inactive, 1)
	assert.Equal(t, first.TaskID, st.Inactive[0].TaskID)
	assert.Equal(t, workflows.StatusFailed, st.Inactive[0].Status)
	assert.Equal(t, "Exited with status 137", st.Inactive[0].TaskEvents[len(st.Inactive[0].TaskEvents)-1].Message)
	assert.Equal(t, 1, st.FailureCount)
	assert.Equal(t, 1, st.Restarts)

	// A clean exit restarts a service too, and is not a failure.
	require.NoError(t, e.fake.Exit(second.TaskID, 0, false))
	e.running(key, 0, first.TaskID, second.TaskID)
	st, err = e.status(key, 0)
	require.NoError(t, err)
	assert.Equal(t, workflows.StatusFinished, st.Inactive[1].Status)
	assert.Equal(t, 1, st.FailureCount)

	// The other instance never noticed.
	st1, err := e.status(key, 1)
	require.NoError(t, err)
	assert.Equal(t, other.TaskID, st1.Active.TaskID)

	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-service-restarts")
}

func TestNonServiceMaxTaskFailures(t *testing.T) {
	e := newEnv(t)
	j := e.job("batch", 1, false)
	j.MaxTaskFailures = 3
	e.create(j)
	key := j.Key()

	var seen []string
	for run := 1; run <= 3; run++ {
		task := e.running(key, 0, seen...)
		seen = append(seen, task.TaskID)
		require.NoError(t, e.fake.Exit(task.TaskID, 1, false))
	}
	st := e.waitFor(key, 0, "done", func(s workflows.InstanceStatus) bool { return s.Done })
	assert.Nil(t, st.Active)
	require.Len(t, st.Inactive, 3, "exactly three runs")
	for _, task := range st.Inactive {
		assert.Equal(t, workflows.StatusFailed, task.Status)
	}
	assert.Equal(t, 3, st.FailureCount)
	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-max-task-failures")
}

func TestNonServiceFinishes(t *testing.T) {
	e := newEnv(t)
	j := e.job("once", 1, false)
	j.MaxTaskFailures = 3
	e.create(j)
	key := j.Key()

	task := e.running(key, 0)
	require.NoError(t, e.fake.Exit(task.TaskID, 0, false))
	st := e.waitFor(key, 0, "done", func(s workflows.InstanceStatus) bool { return s.Done })
	require.Len(t, st.Inactive, 1, "FINISHED is final: no restart")
	assert.Equal(t, workflows.StatusFinished, st.Inactive[0].Status)
	assert.Equal(t, 0, st.FailureCount)
}

func TestLostTaskRestartsWithoutFailure(t *testing.T) {
	e := newEnv(t)
	j := e.job("lost", 1, false)
	e.create(j)
	key := j.Key()

	task := e.running(key, 0)
	// The container vanishes behind Borealis's back.
	require.NoError(t, e.fake.Remove(context.Background(), task.TaskID, dockerrunRemoveAll))
	next := e.running(key, 0, task.TaskID)
	st, err := e.status(key, 0)
	require.NoError(t, err)
	assert.Equal(t, workflows.StatusLost, st.Inactive[0].Status)
	assert.Equal(t, 0, st.FailureCount, "LOST is not a failure")
	assert.NotEqual(t, task.TaskID, next.TaskID)
}

func TestFlappingServiceIsThrottled(t *testing.T) {
	e := newEnv(t)
	e.policy = taskapi.RestartPolicy{FlappingThreshold: time.Hour, InitialDelay: time.Second, MaxDelay: 2 * time.Second}
	j := e.job("flap", 1, true)
	e.create(j)
	key := j.Key()

	var seen []string
	var waits []string
	for i := 0; i < 4; i++ {
		task := e.running(key, 0, seen...)
		seen = append(seen, task.TaskID)
		for _, ev := range task.TaskEvents {
			if ev.Status == workflows.StatusThrottled {
				waits = append(waits, ev.Message)
			}
		}
		require.NoError(t, e.fake.Exit(task.TaskID, 1, false))
	}
	assert.Equal(t, []string{
		"Rescheduling flapping task in 1s",
		"Rescheduling flapping task in 2s",
		"Rescheduling flapping task in 2s",
	}, waits, "the first task is not throttled; then 1 s doubling, capped")
	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-flapping")
}

func TestKillNeverRestarts(t *testing.T) {
	e := newEnv(t)
	j := e.job("kill", 2, true)
	e.create(j)
	key := j.Key()
	task := e.running(key, 1)
	e.running(key, 0)

	var res workflows.OpResult
	require.NoError(t, e.update(key, workflows.UpdateKill, workflows.KillRequest{Instances: []int{1}}, &res))
	assert.Empty(t, res.Failed)

	st := e.waitFor(key, 1, "done", func(s workflows.InstanceStatus) bool { return s.Done })
	assert.Nil(t, st.Active)
	require.Len(t, st.Inactive, 1)
	assert.Equal(t, task.TaskID, st.Inactive[0].TaskID)
	assert.Equal(t, workflows.StatusKilled, st.Inactive[0].Status)
	assert.Contains(t, statuses(st.Inactive[0].TaskEvents), workflows.StatusKilling)
	assert.Len(t, e.fake.Stops(task.TaskID), 1, "stopped once, with the task's finalization wait")
	assert.Equal(t, 30*time.Second, e.fake.Stops(task.TaskID)[0])

	var view workflows.JobView
	v, err := e.c.QueryWorkflow(context.Background(), workflows.JobWorkflowID(key), "", workflows.QueryJob)
	require.NoError(t, err)
	require.NoError(t, v.Get(&view))
	assert.Equal(t, []int{0}, view.InstanceIDs())
	assert.Equal(t, []int{1}, view.Killed)

	// Unknown instances are refused by the validator, leaving no trace.
	err = e.update(key, workflows.UpdateKill, workflows.KillRequest{Instances: []int{7}}, &res)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has no instance [7]")

	// killall ends the job.
	require.NoError(t, e.update(key, workflows.UpdateKillAll, nil, &res))
	e.waitFor(key, 0, "done", func(s workflows.InstanceStatus) bool { return s.Done })
	run := e.c.GetWorkflow(context.Background(), workflows.JobWorkflowID(key), "")
	require.NoError(t, run.Get(context.Background(), &view))
	assert.True(t, view.Ended)
	e.replay(workflows.JobWorkflowID(key), "job-kill-killall")
	e.replay(workflows.InstanceWorkflowID(key, 1), "instance-killed")
}

func TestRestartReplacesEveryTask(t *testing.T) {
	e := newEnv(t)
	e.policy.FlappingThreshold = time.Hour // a user restart is never throttled
	j := e.job("restart", 3, true)
	e.create(j)
	key := j.Key()
	before := map[int]string{}
	for i := 0; i < 3; i++ {
		before[i] = e.running(key, i).TaskID
	}

	var res workflows.OpResult
	require.NoError(t, e.update(key, workflows.UpdateRestart, workflows.RestartRequest{BatchSize: 2, WatchSecs: 1}, &res))
	assert.Empty(t, res.Failed)
	assert.Equal(t, []int{0, 1, 2}, res.Instances)
	for i := 0; i < 3; i++ {
		st, err := e.status(key, i)
		require.NoError(t, err)
		require.NotNil(t, st.Active)
		assert.NotEqual(t, before[i], st.Active.TaskID)
		assert.Equal(t, workflows.StatusRunning, st.Active.Status)
		assert.NotContains(t, statuses(st.Active.TaskEvents), workflows.StatusThrottled)
		assert.Equal(t, workflows.StatusKilled, st.Inactive[len(st.Inactive)-1].Status)
	}
	e.replay(workflows.JobWorkflowID(key), "job-restart")
	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-restarted")
}

func TestAddCopiesAnInstance(t *testing.T) {
	e := newEnv(t)
	j := e.job("add", 1, true)
	e.create(j)
	key := j.Key()
	e.running(key, 0)
	var res workflows.OpResult
	require.NoError(t, e.update(key, workflows.UpdateAdd, workflows.AddRequest{From: 0, Count: 2}, &res))
	assert.Equal(t, []int{1, 2}, res.Instances)
	e.running(key, 1)
	e.running(key, 2)
	e.replay(workflows.JobWorkflowID(key), "job-add")
}

// TestHistoryBoundedAcrossRestarts restarts one service task 200 times and
// checks every run of the instance workflow stayed under a fixed bound: it
// continues as new once a run passes 1,000 events.
func TestHistoryBoundedAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("200 restarts")
	}
	e := newEnv(t)
	e.timeout = 10 * time.Second
	j := e.job("churn", 1, true)
	e.create(j)
	key := j.Key()
	var prev []string
	for i := 0; i < 200; i++ {
		task := e.running(key, 0, prev...)
		prev = []string{task.TaskID}
		require.NoError(t, e.fake.Exit(task.TaskID, 1, false))
	}
	last := e.running(key, 0, prev...)
	st, err := e.status(key, 0)
	require.NoError(t, err)
	assert.Equal(t, 200, st.Restarts)
	assert.Equal(t, 200, st.FailureCount, "no failure count forgotten across continue-as-new")
	assert.Len(t, st.Inactive, 10, "the latest inactive tasks are kept, not all")
	_ = last

	// Every run's history is bounded; read them all.
	id := workflows.InstanceWorkflowID(key, 0)
	runs, longest := 0, 0
	var token []byte
	for {
		resp, err := e.c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = '%s'", id), NextPageToken: token})
		require.NoError(t, err)
		for _, ex := range resp.Executions {
			runs++
			n := historyLength(t, e.c, id, ex.Execution.RunId)
			longest = max(longest, n)
		}
		token = resp.NextPageToken
		if len(token) == 0 {
			break
		}
	}
	assert.GreaterOrEqual(t, runs, 2, "200 restarts span several runs")
	assert.LessOrEqual(t, longest, 1100, "events in the longest run")
	t.Logf("%d runs, longest %d events", runs, longest)
}

func historyLength(t *testing.T, c client.Client, id, run string) int {
	it := c.GetWorkflowHistory(context.Background(), id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		_, err := it.Next()
		require.NoError(t, err)
		n++
	}
	return n
}
