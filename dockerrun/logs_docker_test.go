package dockerrun

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/jobkey"
)

func TestDockerLogsHelloWorld(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	// The seed's hello_world process, in borealis/base.
	spec := taskSpec(newJob(t, h), 0, "while true; do echo hello world; sleep 10; done")
	spec.Runner.Processes[0].Name = "hello_world"
	startTask(t, d, spec)
	waitForLogs(t, d, spec.TaskID, "hello world")

	// Following a quiet task returns after the wait, with nothing.
	logs, cur := readLogs(t, d, spec.TaskID, LogCursor{})
	assert.Contains(t, logs, "hello world\n")
	began := time.Now()
	page, err := d.ReadLogs(testContext(t), spec.TaskID, cur, MaxLogPage, time.Second)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(began), 900*time.Millisecond)
	assert.NotContains(t, string(page.Data), "hello world")
	assert.False(t, page.Ended)
}

// TestDockerLogsLongLine: Docker logs a line longer than 16 KiB as several
// entries; pages hold whole entries and put together give the line back.
func TestDockerLogsLongLine(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	spec := taskSpec(newJob(t, h), 0, `head -c 40000 /dev/zero | tr '\0' x; echo; echo after`)
	startTask(t, d, spec)
	_, err := d.Wait(testContext(t), spec.TaskID)
	require.NoError(t, err)

	const limit = 20000
	var got strings.Builder
	page := LogPage{}
	for n := 0; !page.Ended; n++ {
		require.Less(t, n, 100)
		page, err = d.ReadLogs(testContext(t), spec.TaskID, page.Next, limit, 0)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(page.Data), limit)
		got.Write(page.Data)
	}
	want := strings.Repeat("x", 40000) + "\nafter\n"
	assert.Equal(t, want, linesWithPrefix(got.String(), ""))
}

// TestDockerLogsTTY: a container with a TTY logs a raw stream, not a
// multiplexed one.
func TestDockerLogsTTY(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	spec := taskSpec(newJob(t, h), 0, "")
	cli := rawClient(t)
	resp, err := cli.ContainerCreate(ctx, &container.Config{
		Image: DefaultImage, Tty: true, Labels: spec.labels(nil, "", ""),
		Cmd: []string{"sh", "-c", "for i in 1 2 3 4 5; do echo tty-$i; done"},
	}, &container.HostConfig{}, nil, nil, ContainerName(spec.TaskID))
	require.NoError(t, err)
	require.NoError(t, cli.ContainerStart(ctx, resp.ID, container.StartOptions{}))
	_, err = d.Wait(ctx, spec.TaskID)
	require.NoError(t, err)

	var got strings.Builder
	page := LogPage{}
	for n := 0; !page.Ended; n++ {
		require.Less(t, n, 100)
		page, err = d.ReadLogs(ctx, spec.TaskID, page.Next, 8, 0)
		require.NoError(t, err)
		got.Write(page.Data)
	}
	assert.Equal(t, "tty-1\r\ntty-2\r\ntty-3\r\ntty-4\r\ntty-5\r\n", got.String())

	// Removed, the container's log is read from its sandbox alike.
	require.NoError(t, os.MkdirAll(d.Sandbox(spec.TaskID), 0o750))
	require.NoError(t, d.Remove(ctx, spec.TaskID, RemoveOptions{}))
	saved, _ := readLogs(t, d, spec.TaskID, LogCursor{})
	assert.Equal(t, got.String(), saved)
}

// TestDockerEndpoint: Options.Endpoint names the engine, over DOCKER_HOST,
// and Locate reports it.
func TestDockerEndpoint(t *testing.T) {
	require.NoError(t, dockerSetupErr)
	cli := rawClient(t)
	endpoint := cli.DaemonHost()
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	ctx := testContext(t)
	d, err := New(ctx, Options{DataDir: t.TempDir(), RunnerPath: testRunnerPath, Endpoint: endpoint})
	require.NoError(t, err, "the endpoint wins over DOCKER_HOST")
	t.Cleanup(func() { _ = d.Close() })
	spec := sleeperSpec(newJob(t, harness{track: func(t *testing.T, job jobkey.Key) {
		t.Cleanup(func() { removeJobContainers(t, cli, job) })
	}}), 0)
	task := startTask(t, d, spec)
	loc, err := d.Locate(ctx, spec.TaskID)
	require.NoError(t, err)
	assert.Equal(t, Location{ContainerID: task.ContainerID, ContainerName: task.Name, Running: true, Endpoint: endpoint}, loc)

	_, err = New(ctx, Options{DataDir: t.TempDir(), RunnerPath: os.Args[0], Endpoint: "unix:///nonexistent/other.sock"})
	assert.ErrorIs(t, err, ErrUnavailable)
	_, err = New(context.Background(), Options{DataDir: t.TempDir(), RunnerPath: os.Args[0], Endpoint: "bogus://x"})
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), `docker endpoint "bogus://x"`)
}
