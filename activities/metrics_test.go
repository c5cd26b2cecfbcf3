package activities

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/metrics"
)

// counted sums the samples of the counter name (as exposed, with _total)
// that carry the label key="value".
func counted(t *testing.T, reg *metrics.Registry, name, key, value string) int {
	t.Helper()
	var b strings.Builder
	_, err := reg.WriteTo(&b)
	require.NoError(t, err)
	sum := 0
	for _, l := range strings.Split(b.String(), "\n") {
		if !strings.HasPrefix(l, name+"{") || !strings.Contains(l, key+`="`+value+`"`) {
			continue
		}
		n, err := strconv.Atoi(l[strings.LastIndexByte(l, ' ')+1:])
		require.NoError(t, err, l)
		sum += n
	}
	return sum
}

// TestActivityMetrics checks the activities count starts, exits and health
// checks in the metrics handler of their activity context.
func TestActivityMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(reg.Handler())
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)

	in := taskapi.StartTaskInput{JobKey: testJobKey, TaskID: "t-m", Job: testJob()}
	for range 2 { // started, then adopted
		_, err := env.ExecuteActivity(acts.StartTask, in)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, counted(t, reg, "borealis_container_starts_total", "adopted", "false"))
	assert.Equal(t, 1, counted(t, reg, "borealis_container_starts_total", "adopted", "true"))

	require.NoError(t, fake.Exit("t-m", 0, false))
	_, err := waitTask(t, env, acts, "t-m")
	require.NoError(t, err)
	startFake(t, fake, "t-m-oom")
	require.NoError(t, fake.Exit("t-m-oom", 137, true))
	_, err = waitTask(t, env, acts, "t-m-oom")
	require.NoError(t, err)
	_, err = waitTask(t, env, acts, "t-m-never")
	require.NoError(t, err)
	for _, outcome := range []string{"exited", "oom", "lost"} {
		assert.Equal(t, 1, counted(t, reg, "borealis_container_exits_total", "outcome", outcome), outcome)
	}

	sandbox := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(sandbox, health.SnoozeFile), nil, 0o644))
	p := health.Params{IntervalSecs: 0.01, MinConsecutiveSuccesses: 2}
	res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t-m", Check: newScriptedServer(t, "fail").check(p, sandbox), Until: health.StatusRunning})
	require.NoError(t, os.Remove(filepath.Join(sandbox, health.SnoozeFile)))
	watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t-m", Check: newScriptedServer(t, "fail").check(p, sandbox), Until: health.StatusFailed, Resume: &res.Progress})
	watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t-m2", Check: newScriptedServer(t, "ok").check(p, sandbox), Until: health.StatusRunning})
	assert.Equal(t, 2, counted(t, reg, "borealis_health_checks_total", "result", "snoozed"))
	assert.Equal(t, 1, counted(t, reg, "borealis_health_checks_total", "result", "unhealthy"))
	assert.Equal(t, 2, counted(t, reg, "borealis_health_checks_total", "result", "healthy"))

	// Called directly, outside an activity, they count nothing and do not panic.
	before := counted(t, reg, "borealis_container_starts_total", "adopted", "true")
	_, err = acts.StartTask(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, before, counted(t, reg, "borealis_container_starts_total", "adopted", "true"))
}
