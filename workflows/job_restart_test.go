package workflows_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/workflows"
)

// Tests of job restart's Aurora flags (issue 19): the failure budget
// (--max-total-failures, --max-per-instance-failures) and the deadline to
// become RUNNING (--restart-threshold), both run by the job workflow.

// restart runs a restart in the job's workflow and returns its result.
func (e *env) restart(key string, r workflows.RestartRequest) workflows.OpResult {
	e.t.Helper()
	var res workflows.OpResult
	require.NoError(e.t, e.update(key, workflows.UpdateRestart, r, &res))
	return res
}

// activeTasks maps each of ids to its instance's active task's id.
func (e *env) activeTasks(key string, ids ...int) map[int]string {
	e.t.Helper()
	out := map[int]string{}
	for _, i := range ids {
		st, err := e.status(key, i)
		require.NoError(e.t, err)
		require.NotNil(e.t, st.Active, "instance %d has an active task", i)
		out[i] = st.Active.TaskID
	}
	return out
}

// failedIDs lists the instances a result says failed.
func failedIDs(res workflows.OpResult) []int {
	var ids []int
	for _, id := range res.Instances {
		if _, bad := res.Failed[id]; bad {
			ids = append(ids, id)
		}
	}
	return ids
}

func budget(n int) *int { return &n }

// TestRestartFailureBudget: instance 1's new tasks never pass a health
// check. With no failure tolerated, the restart stops after the batch that
// failed and leaves the later instances as they were; a retry of the failed
// instance waits behind the instances not restarted yet, so those are
// restarted before the budget runs out; a budget of one failure lets the
// restart go through.
func TestRestartFailureBudget(t *testing.T) {
	e := newEnv(t)
	key := e.auCreate(e.versioned("budget", 4, 1, nil))
	e.hold("1/1")

	before := e.activeTasks(key, 0, 2, 3)
	res := e.restart(key, workflows.RestartRequest{BatchSize: 1, MaxTotalFailures: budget(0)})
	assert.Equal(t, []int{0, 1, 2, 3}, res.Instances)
	assert.Equal(t, []int{1}, failedIDs(res))
	assert.Contains(t, res.Failed[1], "Failed health check")
	assert.Equal(t, []int{2, 3}, res.Skipped, "no batch starts once the budget is spent")
	assert.Equal(t, "1 failed instances observed, maximum allowed is 0", res.Aborted)
	after := e.activeTasks(key, 0, 2, 3)
	assert.NotEqual(t, before[0], after[0], "instance 0 was restarted")
	assert.Equal(t, before[2], after[2], "instance 2 was not restarted")
	assert.Equal(t, before[3], after[3], "instance 3 was not restarted")

	before = e.activeTasks(key, 0, 2, 3)
	res = e.restart(key, workflows.RestartRequest{BatchSize: 1, MaxPerInstanceFailures: 1, MaxTotalFailures: budget(0)})
	assert.Equal(t, []int{1}, failedIDs(res), "instance 1 failed its retry too")
	assert.Empty(t, res.Skipped, "instance 1's retry came after instances 2 and 3")
	assert.Equal(t, "1 failed instances observed, maximum allowed is 0", res.Aborted)
	after = e.activeTasks(key, 0, 2, 3)
	for _, i := range []int{0, 2, 3} {
		assert.NotEqual(t, before[i], after[i], "instance %d was restarted", i)
	}

	res = e.restart(key, workflows.RestartRequest{BatchSize: 2, MaxTotalFailures: budget(1)})
	assert.Equal(t, []int{1}, failedIDs(res))
	assert.Empty(t, res.Skipped)
	assert.Empty(t, res.Aborted, "one failure is within the budget")
	e.replay(workflows.JobWorkflowID(key), "job-restart-budget")
}

// TestRestartWithoutBudget: a request without the new fields restarts
// every instance whatever fails, as restart did before them.
func TestRestartWithoutBudget(t *testing.T) {
	e := newEnv(t)
	key := e.auCreate(e.versioned("nobudget", 3, 1, nil))
	e.hold("1/0")
	before := e.activeTasks(key, 1, 2)
	res := e.restart(key, workflows.RestartRequest{BatchSize: 1})
	assert.Equal(t, []int{0}, failedIDs(res))
	assert.Empty(t, res.Skipped)
	assert.Empty(t, res.Aborted)
	after := e.activeTasks(key, 1, 2)
	for i := 1; i < 3; i++ {
		assert.NotEqual(t, before[i], after[i], "instance %d was restarted", i)
	}
}

// TestRestartThreshold: an instance whose new task is not RUNNING within
// the restart threshold counts as failed, and the task is left running; an
// instance that gets there in time is restarted.
func TestRestartThreshold(t *testing.T) {
	e := newEnv(t)
	// Failed health checks are not counted for a minute (initial_interval_secs).
	key := e.auCreate(e.held("slow", 2, 1))
	e.hold("1/1")
	before := e.activeTasks(key, 0, 1)
	res := e.restart(key, workflows.RestartRequest{BatchSize: 2, RestartThresholdSecs: 1})
	assert.Equal(t, []int{1}, failedIDs(res))
	st, err := e.status(key, 1)
	require.NoError(t, err)
	require.NotNil(t, st.Active)
	assert.NotEqual(t, before[1], st.Active.TaskID)
	assert.Equal(t, workflows.StatusStarting, st.Active.Status, "the slow task is left running")
	assert.Equal(t, fmt.Sprintf("task %s not RUNNING within the restart threshold of 1 s", st.Active.TaskID), res.Failed[1])
	assert.NotEqual(t, before[0], e.running(key, 0).TaskID, "instance 0 was restarted")
	assert.Empty(t, res.Aborted)
	e.replay(workflows.JobWorkflowID(key), "job-restart-threshold")
	e.replay(workflows.InstanceWorkflowID(key, 1), "instance-restart-threshold")
}

// TestRestartRequestValidated: negative numbers are refused before the
// restart starts.
func TestRestartRequestValidated(t *testing.T) {
	e := newEnv(t)
	key := e.auCreate(e.versioned("valid", 1, 1, nil))
	for _, tc := range []struct {
		req  workflows.RestartRequest
		want string
	}{
		{workflows.RestartRequest{BatchSize: 1, MaxPerInstanceFailures: -1}, "max per instance failures must be ≥ 0, got -1"},
		{workflows.RestartRequest{BatchSize: 1, MaxTotalFailures: budget(-2)}, "max total failures must be ≥ 0, got -2"},
		{workflows.RestartRequest{BatchSize: 1, RestartThresholdSecs: -3}, "restart threshold must be ≥ 0 seconds, got -3"},
	} {
		var res workflows.OpResult
		err := e.update(key, workflows.UpdateRestart, tc.req, &res)
		require.Error(t, err)
		assert.True(t, strings.Contains(err.Error(), tc.want), "%v: %v", tc.req, err)
	}
	assert.Empty(t, e.jobView(key).Busy)
}
