package activities

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
)

// TestLogPageBoundsAgree: the page bound the CLI asks for is the runtime's.
func TestLogPageBoundsAgree(t *testing.T) {
	assert.Equal(t, dockerrun.MaxLogPage, taskapi.MaxLogPage)
}

// TestReadTaskLogs pages through a task's log with the cursor each page
// returns: every line once, in order; a wait past the bound is refused.
func TestReadTaskLogs(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	startFake(t, fake, "t-logs")
	require.NoError(t, fake.WriteLogs("t-logs", "one\ntwo\nthree\n"))
	require.NoError(t, fake.WriteLogs("t-logs", "four\n"))

	var all strings.Builder
	in := taskapi.LogsInput{TaskID: "t-logs", MaxBytes: 8}
	for range 10 {
		val, err := env.ExecuteActivity(acts.ReadTaskLogs, in)
		require.NoError(t, err)
		var page taskapi.LogsPage
		require.NoError(t, val.Get(&page))
		all.Write(page.Data)
		in.Cursor = page.Next
		if !page.Full {
			break
		}
	}
	assert.Equal(t, "one\ntwo\nthree\nfour\n", all.String())

	in.WaitSecs = taskapi.MaxLogWaitSecs + 1
	_, err := env.ExecuteActivity(acts.ReadTaskLogs, in)
	assert.Equal(t, taskapi.ErrTypeInvalidTask, appError(t, err).Type())
	_, err = env.ExecuteActivity(acts.ReadTaskLogs, taskapi.LogsInput{TaskID: "t-none"})
	assert.Equal(t, taskapi.ErrTypeNotFound, appError(t, err).Type())
}

// TestLocateTask reports the container, the engine and this host.
func TestLocateTask(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	startFake(t, fake, "t-loc")

	val, err := env.ExecuteActivity(acts.LocateTask, taskapi.LocateInput{TaskID: "t-loc"})
	require.NoError(t, err)
	var loc taskapi.TaskLocation
	require.NoError(t, val.Get(&loc))
	host, err := os.Hostname()
	require.NoError(t, err)
	assert.Equal(t, dockerrun.ContainerName("t-loc"), loc.ContainerName)
	assert.NotEmpty(t, loc.ContainerID)
	assert.True(t, loc.Running)
	assert.Equal(t, dockerrun.FakeEndpoint, loc.Endpoint)
	assert.Equal(t, host, loc.Hostname)
	assert.Equal(t, dockerrun.SandboxMountPath, loc.WorkDir)

	_, err = env.ExecuteActivity(acts.LocateTask, taskapi.LocateInput{TaskID: "t-none"})
	assert.Equal(t, taskapi.ErrTypeNotFound, appError(t, err).Type())
}
