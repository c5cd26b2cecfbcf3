package activities

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/taskapi"
)

// healthyGauge is the job gauge of healthy instances of testJobKey.
func healthyGauge(t *testing.T, c *metrics.JobCollector) float64 {
	t.Helper()
	for _, s := range c.Collect(context.Background()) {
		if s.Name == metrics.JobInstancesHealthy && s.Labels["job"] == testJobKey {
			return s.Value
		}
	}
	t.Fatal("no healthy gauge for " + testJobKey)
	return 0
}

// TestJobMetrics checks the per-job counters (restarts, failed health
// checks) and what the activities tell the tracker of the tasks' health.
func TestJobMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(reg.Handler())
	fake := dockerrun.NewFake()
	tasks := metrics.NewTasks()
	acts := &Activities{Runtime: fake, Tasks: tasks}
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	gauges := &metrics.JobCollector{Runtime: fake, Host: "h", Tasks: tasks, TTL: time.Nanosecond}

	first := taskapi.StartTaskInput{JobKey: testJobKey, Instance: 0, TaskID: "www-data-prod-hello-0-1-abcdefgh", Job: testJob()}
	second := first
	second.TaskID = "www-data-prod-hello-0-2-abcdefgh"
	for _, in := range []taskapi.StartTaskInput{first, second, second} { // the last adopts
		_, err := env.ExecuteActivity(acts.StartTask, in)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, counted(t, reg, "borealis_job_task_restarts_total", "job", testJobKey))
	assert.Equal(t, 0.0, healthyGauge(t, gauges), "a task with a health check is not healthy before a check passes")

	p := health.Params{IntervalSecs: 0.01, MinConsecutiveSuccesses: 2}
	res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: second.TaskID, Check: newScriptedServer(t, "ok").check(p, ""), Until: health.StatusRunning})
	require.Equal(t, health.StatusRunning, res.Status)
	assert.Equal(t, 1.0, healthyGauge(t, gauges))
	res = watch(t, env, acts, taskapi.WatchHealthInput{TaskID: second.TaskID, Check: newScriptedServer(t, "fail").check(p, ""), Until: health.StatusFailed, Resume: &res.Progress})
	require.Equal(t, health.StatusFailed, res.Status)
	assert.Equal(t, 1, counted(t, reg, "borealis_job_health_check_failures_total", "job", testJobKey))
	assert.Equal(t, 0.0, healthyGauge(t, gauges))

	// A worker that did not start the task (restarted) finds its job in
	// the container's labels.
	other := &Activities{Runtime: fake, Tasks: metrics.NewTasks()}
	env2 := suite.NewTestActivityEnvironment()
	env2.RegisterActivity(other)
	watch(t, env2, other, taskapi.WatchHealthInput{TaskID: first.TaskID, Check: newScriptedServer(t, "fail").check(p, ""), Until: health.StatusFailed,
		Resume: &taskapi.HealthProgress{Counter: health.State{Status: health.StatusRunning}}})
	assert.Equal(t, 2, counted(t, reg, "borealis_job_health_check_failures_total", "job", testJobKey))
	assert.Equal(t, testJobKey, other.Tasks.Job(first.TaskID))
}

func TestTaskSeq(t *testing.T) {
	for _, c := range []struct {
		id       string
		instance int
		want     int
	}{
		{"www-data-prod-hello-0-1-abcdefgh", 0, 1},
		{"www-data-prod-hello-3-12-abcdefgh", 3, 12},
		{"my-role-my-env-my-name-7-2-0123abcd", 7, 2},
		{"www-data-prod-hello-3-12-abcdefgh", 4, 0},
		{"www-data-prod-hello-0-x-abcdefgh", 0, 0},
		{"t-m", 0, 0},
		{"", 0, 0},
	} {
		assert.Equal(t, c.want, taskSeq(c.id, c.instance), c.id)
	}
}
