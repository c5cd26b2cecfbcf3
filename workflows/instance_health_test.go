package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

// healthProgress reads the heartbeated progress of the instance's health
// watch (its pending WatchHealth activity), or nil when there is none.
func (e *env) healthProgress(key string, i int) (*taskapi.HealthProgress, string) {
	e.t.Helper()
	desc, err := e.c.DescribeWorkflow(context.Background(), workflows.InstanceWorkflowID(key, i), "")
	require.NoError(e.t, err)
	run := desc.WorkflowExecution.RunID
	for _, pa := range desc.RawResponse.GetPendingActivities() {
		if pa.GetActivityType().GetName() != "WatchHealth" || pa.GetHeartbeatDetails() == nil {
			continue
		}
		var p taskapi.HealthProgress
		if converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &p) == nil {
			return &p, run
		}
	}
	return nil, run
}

// TestHealthCountSurvivesContinueAsNew: a run that continues as new while
// its task is STARTING hands the health count on, so the task fails after
// exactly n attempts in all (m = 0, max_consecutive_failures 15,
// min_consecutive_successes 1: n = 16), not n attempts more in the new run.
func TestHealthCountSurvivesContinueAsNew(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	checks := map[string]int{} // by task
	e.fake.ExecFunc = func(task string, _ []string) (int, string, error) {
		mu.Lock()
		defer mu.Unlock()
		checks[task]++
		return 1, "never healthy", nil
	}
	j := e.job("carry", 1, true)
	j.HealthCheckConfig.HealthChecker = config.HealthCheckerConfig{Shell: &config.ShellHealthChecker{ShellCommand: "check"}}
	j.HealthCheckConfig.InitialIntervalSecs = 0
	j.HealthCheckConfig.IntervalSecs = 0.25
	j.HealthCheckConfig.MaxConsecutiveFailures = 15
	key := j.Key()
	// The instance's workflow alone, with a request key it has seen: that
	// request wakes it up without changing anything.
	_, err := e.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.InstanceWorkflowID(key, 0), TaskQueue: e.queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.InstanceWorkflowName, workflows.InstanceInput{
		JobKey: key, Instance: 0, Job: j, Policy: e.policy,
		State: &workflows.InstanceState{Seen: []string{"wake"}},
	})
	require.NoError(t, err)

	var firstRun string
	require.Eventually(t, func() bool {
		p, run := e.healthProgress(key, 0)
		firstRun = run
		return p != nil && p.Counter.Attempts >= 4
	}, 20*time.Second, 20*time.Millisecond, "four failed checks while STARTING")
	desc, err := e.c.DescribeWorkflow(context.Background(), workflows.InstanceWorkflowID(key, 0), "")
	require.NoError(t, err)
	limit := int(desc.RawResponse.GetWorkflowExecutionInfo().GetHistoryLength())
	restore := workflows.SetHistoryLimit(limit)
	defer restore()
	require.NoError(t, e.c.SignalWorkflow(context.Background(), workflows.InstanceWorkflowID(key, 0), "",
		workflows.SignalInstanceRequest, workflows.InstanceRequest{Key: "wake", Kind: workflows.RequestRestart}))
	var before int
	require.Eventually(t, func() bool {
		p, run := e.healthProgress(key, 0)
		if run != firstRun && p != nil {
			before = p.Counter.Attempts
			return true
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "the run continued as new, its task still STARTING")
	restore()
	assert.Greater(t, before, 4, "the new run's watch resumed the count")

	st := e.waitFor(key, 0, "task FAILED", func(s workflows.InstanceStatus) bool {
		return len(s.Inactive) > 0
	})
	failed := st.Inactive[0]
	assert.Equal(t, workflows.StatusFailed, failed.Status)
	require.NotNil(t, failed.Health)
	assert.Equal(t, 16, failed.Health.Counter.Attempts, "n attempts in all, across both runs")
	mu.Lock()
	defer mu.Unlock()
	// The check under way at the hand-over may have run without counting.
	assert.LessOrEqual(t, checks[failed.TaskID], 17, "checks of the task: its count did not start again")
	e.replayRun(workflows.InstanceWorkflowID(key, 0), firstRun, "instance-health-carried", limit)
}
