package dockerrun

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/jobkey"
)

func TestFakeContract(t *testing.T) {
	f := NewFake()
	testContract(t, harness{
		rt:            f,
		addForeign:    func(t *testing.T, name string) { f.AddForeign(name) },
		foreignExists: func(t *testing.T, name string) bool { return f.HasContainer(name) },
		exit: func(t *testing.T, taskID string) {
			require.NoError(t, f.Exit(taskID, 1, false))
		},
		portRange: PortRange{DefaultPortMin, DefaultPortMax},
	})
}

func TestFakeSpecExecLogsAndInjectedErrors(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	spec := taskSpec(jobkey.Key{Cluster: "c", Role: "r", Environment: "e", Name: "web"}, 1,
		"demo -port {{thermos.ports[http]}} -i {{mesos.instance}} -t {{thermos.task_id}}")
	task, err := f.Start(ctx, spec)
	require.NoError(t, err)

	rs, ok := f.RunnerSpec(spec.TaskID)
	require.True(t, ok)
	assert.Equal(t, spec.TaskID, rs.TaskID)
	assert.Equal(t, "demo -port "+strconv.Itoa(task.Ports["http"])+" -i 1 -t "+spec.TaskID, rs.Processes[0].Cmdline)

	f.ExecFunc = func(taskID string, cmd []string) (int, string, error) {
		return 7, strings.Repeat("x", MaxExecOutput+10), nil
	}
	code, out, err := f.Exec(ctx, spec.TaskID, []string{"sh", "-c", "x"})
	require.NoError(t, err)
	assert.Equal(t, 7, code)
	assert.Contains(t, out, "[output truncated: 10 bytes dropped]")

	require.NoError(t, f.WriteLogs(spec.TaskID, "hello world\n"))
	var b strings.Builder
	require.NoError(t, f.Logs(ctx, spec.TaskID, false, &b))
	assert.Equal(t, "hello world\n", b.String())

	f.FailNext("stop", &Error{Op: "stop", Kind: ErrUnavailable, Err: errors.New("daemon down")})
	err = f.Stop(ctx, spec.TaskID, time.Second)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.True(t, Retryable(err))
	require.NoError(t, f.Stop(ctx, spec.TaskID, 3*time.Second))
	assert.Equal(t, []time.Duration{3 * time.Second}, f.Stops(spec.TaskID))

	oom := taskSpec(jobkey.Key{Cluster: "c", Role: "r", Environment: "e", Name: "web"}, 2, "x")
	_, err = f.Start(ctx, oom)
	require.NoError(t, err)
	require.NoError(t, f.Exit(oom.TaskID, 137, true))
	st, err := f.Wait(ctx, oom.TaskID)
	require.NoError(t, err)
	assert.Equal(t, ExitStatus{ExitCode: 137, OOMKilled: true, Reason: ReasonOOMKilled, FinishedAt: st.FinishedAt}, st)
}
