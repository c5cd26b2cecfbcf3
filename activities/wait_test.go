package activities

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/runner"
)

// sandboxFake is the fake runtime with sandboxes the worker can read, as
// dockerrun.Docker has.
type sandboxFake struct {
	*dockerrun.Fake
	root string
}

func (f sandboxFake) Sandbox(taskID string) string { return filepath.Join(f.root, taskID) }

// writeState writes a runner state file into the task's sandbox.
func (f sandboxFake) writeState(t *testing.T, taskID string, st runner.State) {
	t.Helper()
	path := filepath.Join(f.Sandbox(taskID), runner.StateFile)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	data, err := json.Marshal(st)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

func TestWaitTaskRunnerReason(t *testing.T) {
	const diskReason = "Disk limit exceeded.  Reserved 1048576 bytes vs used 2000000 bytes."
	fake := sandboxFake{Fake: dockerrun.NewFake(), root: t.TempDir()}
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	for _, tc := range []struct {
		name       string
		state      *runner.State
		code       int
		oom        bool
		wantReason string
	}{
		{"the runner's reason", &runner.State{State: runner.TaskFailed, Reason: diskReason}, runner.ExitFailed, false, diskReason},
		{"a failure without one", &runner.State{State: runner.TaskFailed}, runner.ExitFailed, false, ""},
		{"no state file", nil, runner.ExitFailed, false, ""},
		{"OOM comes first", &runner.State{State: runner.TaskFailed, Reason: diskReason}, 137, true, dockerrun.ReasonOOMKilled},
		{"a success has no reason", &runner.State{State: runner.TaskSuccess, Reason: "stale"}, 0, false, ""},
		{"only a FAILED task's", &runner.State{State: runner.TaskKilled, Reason: diskReason}, runner.ExitTerminated, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			taskID := "t-reason-" + randHex()
			startFake(t, fake.Fake, taskID)
			if tc.state != nil {
				fake.writeState(t, taskID, *tc.state)
			}
			require.NoError(t, fake.Exit(taskID, tc.code, tc.oom))
			res, err := waitTask(t, env, acts, taskID)
			require.NoError(t, err)
			assert.Equal(t, tc.code, res.ExitCode)
			assert.False(t, res.Lost)
			assert.Equal(t, tc.wantReason, res.Reason)
		})
	}
}

func TestDockerHasSandboxes(t *testing.T) {
	// WaitTask reads the runner's reason where the runtime has sandboxes.
	var rt dockerrun.Runtime = (*dockerrun.Docker)(nil)
	_, ok := rt.(sandboxer)
	assert.True(t, ok, "dockerrun.Docker has no Sandbox(taskID) method")
}
