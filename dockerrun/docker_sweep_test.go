package dockerrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/runner"
)

func TestDockerSweepSandboxes(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	job := newJob(t, h)
	old := time.Now().Add(-48 * time.Hour)
	age := func(dir string) {
		t.Helper()
		for _, p := range []string{
			filepath.Join(dir, filepath.FromSlash(runner.SpecFile)),
			filepath.Join(dir, filepath.FromSlash(runner.StateFile)),
			filepath.Join(dir, runner.LogDir),
			filepath.Join(dir, ".borealis"),
			dir,
		} {
			if _, err := os.Stat(p); err == nil {
				require.NoError(t, os.Chtimes(p, old, old))
			}
		}
	}

	// A running task, and a stopped one kept for its logs: both keep their
	// sandboxes however old they look.
	running := startTask(t, d, taskSpec(job, 0, "sleep 600"))
	stopped := startTask(t, d, taskSpec(job, 1, "echo bye"))
	_, err := d.Wait(ctx, stopped.TaskID)
	require.NoError(t, err)
	// A task whose container is gone: its sandbox goes once idle long enough.
	gone := startTask(t, d, taskSpec(job, 2, "echo gone"))
	_, err = d.Wait(ctx, gone.TaskID)
	require.NoError(t, err)
	require.NoError(t, d.Remove(ctx, gone.TaskID, RemoveOptions{}))
	// A sandbox written a moment ago, without a container (a task being
	// started): kept.
	fresh := d.Sandbox("fresh-task-being-started")
	require.NoError(t, os.MkdirAll(filepath.Join(fresh, ".borealis"), 0o755))

	for _, task := range []*Task{running, stopped, gone} {
		age(task.Sandbox)
	}
	cutoff := time.Now().Add(-24 * time.Hour)
	removed, err := d.SweepSandboxes(ctx, cutoff)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Base(gone.Sandbox)}, removed)
	assert.NoDirExists(t, gone.Sandbox)
	for _, dir := range []string{running.Sandbox, stopped.Sandbox, fresh} {
		assert.DirExists(t, dir)
	}
	logs, err := os.ReadFile(filepath.Join(stopped.Sandbox, runner.LogDir, "main.stdout"))
	require.NoError(t, err, "a stopped task's logs stay")
	assert.Equal(t, "bye\n", string(logs))

	// Once the stopped task's container is removed, its sandbox goes too,
	// after another retention (removing saved the container's log into it);
	// the fresh one stays until it is old.
	require.NoError(t, d.Remove(ctx, stopped.TaskID, RemoveOptions{}))
	removed, err = d.SweepSandboxes(ctx, cutoff)
	require.NoError(t, err)
	assert.Empty(t, removed, "the sandbox just got the container's log")
	assert.FileExists(t, filepath.Join(stopped.Sandbox, filepath.FromSlash(ContainerLogFile)))
	age(stopped.Sandbox)
	removed, err = d.SweepSandboxes(ctx, cutoff)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Base(stopped.Sandbox)}, removed)
	age(fresh)
	removed, err = d.SweepSandboxes(ctx, cutoff)
	require.NoError(t, err)
	assert.Equal(t, []string{filepath.Base(fresh)}, removed)
	assert.DirExists(t, running.Sandbox)
}

// TestDockerSweepEvery: the periodic sweep removes an ended container once
// it has been over for the retention, saving its log, and its sandbox
// after another retention; a running task keeps both.
func TestDockerSweepEvery(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDockerRuntimeWith(t, Options{Deployment: "sweep-every-" + randHex(4)})
	d.testSweepLabeledOnly = true // leave other tests' containers alone
	h := dockerHarness(t, d)
	job := newJob(t, h)
	running := startTask(t, d, taskSpec(job, 0, "while true; do sleep 1; done"))
	ended := startTask(t, d, taskSpec(job, 1, "echo bye"))
	_, err := d.Wait(ctx, ended.TaskID)
	require.NoError(t, err)

	const retention = 5 * time.Second
	sweepCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.SweepSandboxesEvery(sweepCtx, retention, 200*time.Millisecond) }()
	t.Cleanup(func() { stop(); <-done })

	poll.Until(t, time.Minute, "the ended container is swept", func() (bool, string) {
		_, err := d.Inspect(ctx, ended.TaskID)
		return IsNotFound(err), fmt.Sprint(err)
	})
	logs, _ := readLogs(t, d, ended.TaskID, LogCursor{})
	assert.Equal(t, "bye\n", linesWithPrefix(logs, "bye"), "its log was saved")
	poll.Until(t, time.Minute, "its sandbox is swept", func() (bool, string) {
		_, err := os.Stat(ended.Sandbox)
		return os.IsNotExist(err), fmt.Sprint(err)
	})
	_, err = d.ReadLogs(ctx, ended.TaskID, LogCursor{}, MaxLogPage, 0)
	assert.ErrorIs(t, err, ErrNotFound)

	st, err := d.Inspect(ctx, running.TaskID)
	require.NoError(t, err)
	assert.True(t, st.Running)
	assert.DirExists(t, running.Sandbox)
}

// TestDockerSweepCreatedContainer: a container created but never started
// (a crash between create and start, never retried) is swept by its
// creation time; its empty log is saved.
func TestDockerSweepCreatedContainer(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDockerRuntimeWith(t, Options{Deployment: "sweep-created-" + randHex(4)})
	d.testSweepLabeledOnly = true
	h := dockerHarness(t, d)
	spec := sleeperSpec(newJob(t, h), 0)
	d.testHookBeforeStart = func(map[string]int) { panic("crash before start") }
	require.Panics(t, func() { _, _ = d.Start(ctx, spec) })
	d.testHookBeforeStart = nil
	st, err := d.Inspect(ctx, spec.TaskID)
	require.NoError(t, err)
	require.Equal(t, StateCreated, st.State)

	removed, err := d.SweepContainers(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	assert.Empty(t, removed, "created a moment ago")
	removed, err = d.SweepContainers(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []string{spec.TaskID}, removed)
	page, err := d.ReadLogs(ctx, spec.TaskID, LogCursor{}, MaxLogPage, 0)
	require.NoError(t, err)
	assert.Empty(t, page.Data)
	assert.True(t, page.Ended)
}

// TestDockerPortsOfOtherDeployments: ports promised to another
// deployment's container (created, not yet bound) are not handed out.
func TestDockerPortsOfOtherDeployments(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	base := 40000 + 2*int(randUint16()%2000)
	ports := PortRange{Min: base, Max: base + 1}
	a := newDockerRuntimeWith(t, Options{Deployment: "ports-a-" + randHex(4), PortRange: ports})
	b := newDockerRuntimeWith(t, Options{Deployment: "ports-b-" + randHex(4), PortRange: ports})
	h := dockerHarness(t, a)
	job := newJob(t, h)
	ofA := sleeperSpec(job, 0)
	ofA.PortNames = []string{"p1", "p2"}
	a.testHookBeforeStart = func(map[string]int) { panic("crash before start") }
	require.Panics(t, func() { _, _ = a.Start(ctx, ofA) })
	st, err := a.Inspect(ctx, ofA.TaskID)
	require.NoError(t, err)
	require.Equal(t, StateCreated, st.State)
	require.Len(t, st.Ports, 2)

	ofB := sleeperSpec(job, 1)
	ofB.PortNames = []string{"p"}
	_, err = b.Start(ctx, ofB)
	require.Error(t, err, "both ports are A's")
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.Contains(t, err.Error(), "no free port")
}

func randUint16() uint16 {
	v, _ := strconv.ParseUint(randHex(2), 16, 16)
	return uint16(v)
}
