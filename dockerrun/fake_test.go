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
		emit: func(t *testing.T, task *Task, text string) {
			require.NoError(t, f.WriteLogs(task.TaskID, text))
		},
		endpoint: FakeEndpoint,
		withDeployment: func(t *testing.T, deployment, host string) sweeper {
			other := f.WithDeployment(deployment, host)
			// The other subtests' containers have no deployment label.
			other.testSweepLabeledOnly = true
			return other
		},
		labels: func(t *testing.T, taskID string) map[string]string {
			labels, ok := f.ContainerLabels(taskID)
			require.True(t, ok, "task %s has a container", taskID)
			return labels
		},
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
	page, err := f.ReadLogs(ctx, spec.TaskID, LogCursor{}, MaxLogPage, 0)
	require.NoError(t, err)
	assert.Equal(t, "hello world\n", string(page.Data))
	f.FailNext("logs", &Error{Op: "logs", Kind: ErrUnavailable, Err: errors.New("daemon down")})
	_, err = f.ReadLogs(ctx, spec.TaskID, LogCursor{}, MaxLogPage, 0)
	assert.ErrorIs(t, err, ErrUnavailable)

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

// TestFakeLogTimestamps: every line of one WriteLogs shares a timestamp, so
// a cursor counts how many of them were read.
func TestFakeLogTimestamps(t *testing.T) {
	ctx := context.Background()
	f := NewFake()
	spec := sleeperSpec(jobkey.Key{Cluster: "c", Role: "r", Environment: "e", Name: "logs"}, 0)
	_, err := f.Start(ctx, spec)
	require.NoError(t, err)
	require.NoError(t, f.WriteLogs(spec.TaskID, "a1\na2\na3\n"))
	require.NoError(t, f.WriteLogs(spec.TaskID, "b1\nb2 without newline"))

	p1, err := f.ReadLogs(ctx, spec.TaskID, LogCursor{}, 6, 0)
	require.NoError(t, err)
	assert.Equal(t, "a1\na2\n", string(p1.Data))
	assert.True(t, p1.Full)
	assert.Equal(t, 2, p1.Next.Skip)
	p2, err := f.ReadLogs(ctx, spec.TaskID, p1.Next, 6, 0)
	require.NoError(t, err)
	assert.Equal(t, "a3\nb1\n", string(p2.Data))
	assert.Greater(t, p2.Next.Since, p1.Next.Since)
	assert.Equal(t, 1, p2.Next.Skip)
	p3, err := f.ReadLogs(ctx, spec.TaskID, p2.Next, 6, 0)
	require.NoError(t, err)
	assert.Equal(t, "b2 without newline", string(p3.Data), "an entry bigger than the page comes whole")
	assert.Equal(t, LogCursor{Since: p2.Next.Since, Skip: 2}, p3.Next)
	assert.False(t, p3.Ended, "the task still runs")

	loc, err := f.Locate(ctx, spec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, FakeEndpoint, loc.Endpoint)
}
