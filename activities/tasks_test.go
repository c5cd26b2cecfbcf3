package activities

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
)

func TestReconcile(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	other := testJob()
	other.Name = "other"
	for _, s := range []struct {
		key      string
		job      config.Job
		instance int
		id       string
	}{
		{testJobKey, testJob(), 0, "keep"},
		{testJobKey, testJob(), 0, "orphan-running"},
		{testJobKey, testJob(), 0, "orphan-exited"},
		{testJobKey, testJob(), 1, "other-instance"},
		{"devcluster/www-data/prod/other", other, 0, "other-job"},
	} {
		_, err := fake.Start(context.Background(), TaskSpecFor(taskapi.StartTaskInput{JobKey: s.key, Instance: s.instance, TaskID: s.id, Job: s.job}))
		require.NoError(t, err)
	}
	require.NoError(t, fake.Exit("orphan-exited", 0, false))
	fake.AddForeign("someone-elses")

	val, err := env.ExecuteActivity(acts.Reconcile, taskapi.ReconcileInput{JobKey: testJobKey, Instance: 0, Keep: []string{"keep"}, FinalizationWait: 3})
	require.NoError(t, err)
	var res taskapi.ReconcileResult
	require.NoError(t, val.Get(&res))
	assert.ElementsMatch(t, []string{"orphan-running", "orphan-exited"}, res.Removed)
	assert.Equal(t, []time.Duration{3 * time.Second}, fake.Stops("orphan-running"))
	for _, id := range []string{"keep", "other-instance", "other-job"} {
		assert.True(t, fake.HasContainer(dockerrun.ContainerName(id)), id)
	}
	assert.False(t, fake.HasContainer(dockerrun.ContainerName("orphan-running")))
	assert.True(t, fake.HasContainer("someone-elses"))

	// Nothing left to do the second time.
	val, err = env.ExecuteActivity(acts.Reconcile, taskapi.ReconcileInput{JobKey: testJobKey, Instance: 0, Keep: []string{"keep"}})
	require.NoError(t, err)
	res = taskapi.ReconcileResult{}
	require.NoError(t, val.Get(&res))
	assert.Empty(t, res.Removed)

	fake.FailNext("list", dockerrun.ErrUnavailable)
	_, err = env.ExecuteActivity(acts.Reconcile, taskapi.ReconcileInput{JobKey: testJobKey, Instance: 0})
	assert.False(t, appError(t, err).NonRetryable())
}

func TestRemoveAndExec(t *testing.T) {
	fake := dockerrun.NewFake()
	fake.ExecFunc = func(_ string, cmd []string) (int, string, error) { return 2, strings.Join(cmd, " "), nil }
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	startFake(t, fake, "t-x")

	val, err := env.ExecuteActivity(acts.ExecInTask, taskapi.ExecInput{TaskID: "t-x", Command: "ls -l"})
	require.NoError(t, err)
	var out taskapi.ExecResult
	require.NoError(t, val.Get(&out))
	assert.Equal(t, taskapi.ExecResult{ExitCode: 2, Output: "/bin/sh -c ls -l"}, out)

	// task run's {{mesos.hostname}} is the task's host, as in its cmdlines.
	val, err = env.ExecuteActivity(acts.ExecInTask, taskapi.ExecInput{TaskID: "t-x", Command: "echo {{mesos.hostname}}"})
	require.NoError(t, err)
	require.NoError(t, val.Get(&out))
	assert.Equal(t, "/bin/sh -c echo "+taskHostName(acts), out.Output)
	assert.NotContains(t, out.Output, "{{")

	_, err = env.ExecuteActivity(acts.RemoveTask, "t-x")
	require.NoError(t, err)
	assert.False(t, fake.HasContainer(dockerrun.ContainerName("t-x")))
	_, err = env.ExecuteActivity(acts.RemoveTask, "t-x")
	require.NoError(t, err, "removing a removed task is fine")

	_, err = env.ExecuteActivity(acts.ExecInTask, taskapi.ExecInput{TaskID: "t-x", Command: "ls"})
	ae := appError(t, err)
	assert.Equal(t, taskapi.ErrTypeNotFound, ae.Type())
	assert.True(t, ae.NonRetryable())
}
