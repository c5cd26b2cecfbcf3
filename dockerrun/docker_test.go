package dockerrun

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
)

// The tests in this file run against the machine's Docker Engine; they are
// part of `make test` and CI and are not skipped: a missing daemon, runner
// or image fails them (see TestMain).

const demoImage = "borealis/demo:latest"

// newDockerRuntime connects a Docker runtime with its own data dir.
func newDockerRuntime(t *testing.T) *Docker {
	t.Helper()
	return newDockerRuntimeWith(t, Options{})
}

// newDockerRuntimeWith connects a Docker runtime with opts, its own data
// dir, the test runner and a logger to the test's output.
func newDockerRuntimeWith(t *testing.T, opts Options) *Docker {
	t.Helper()
	require.NoError(t, dockerSetupErr, "Docker test setup (runner, images)")
	ctx := testContext(t)
	opts.DataDir, opts.RunnerPath = t.TempDir(), testRunnerPath
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := New(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// rawClient is a Docker client for what the tests do behind dockerrun's back.
func rawClient(t *testing.T) *client.Client {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	require.NoError(t, err)
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// dockerHarness adapts a Docker runtime to the contract suite.
func dockerHarness(t *testing.T, d *Docker) harness {
	cli := rawClient(t)
	return harness{
		rt: d,
		addForeign: func(t *testing.T, name string) {
			ctx := testContext(t)
			resp, err := cli.ContainerCreate(ctx,
				&container.Config{Image: DefaultImage, Cmd: []string{"sleep", "300"}},
				&container.HostConfig{}, nil, nil, name)
			require.NoError(t, err)
			t.Cleanup(func() {
				_ = cli.ContainerRemove(context.Background(), resp.ID, container.RemoveOptions{Force: true})
			})
			require.NoError(t, cli.ContainerStart(ctx, resp.ID, container.StartOptions{}))
		},
		foreignExists: func(t *testing.T, name string) bool {
			c, err := cli.ContainerInspect(testContext(t), name)
			return err == nil && c.State.Running
		},
		track: func(t *testing.T, job jobkey.Key) {
			t.Cleanup(func() { removeJobContainers(t, cli, job) })
		},
		portRange: d.Options().PortRange,
		emit:      emitToSandbox,
		endpoint:  d.cli.DaemonHost(),
		withDeployment: func(t *testing.T, deployment, host string) sweeper {
			other := newDockerRuntimeWith(t, Options{Deployment: deployment, HostName: host})
			// Containers of other packages' tests have no deployment label.
			other.testSweepLabeledOnly = true
			return other
		},
		labels: func(t *testing.T, taskID string) map[string]string {
			c, err := cli.ContainerInspect(testContext(t), ContainerName(taskID))
			require.NoError(t, err)
			return c.Config.Labels
		},
	}
}

// emitToSandbox has an emitLoop task print text: it writes the file emit
// into the task's sandbox and waits until the task has printed and removed
// it.
func emitToSandbox(t *testing.T, task *Task, text string) {
	t.Helper()
	tmp := filepath.Join(task.Sandbox, "emit.tmp")
	require.NoError(t, os.WriteFile(tmp, []byte(text), 0o644))
	require.NoError(t, os.Rename(tmp, filepath.Join(task.Sandbox, "emit")))
	poll.Until(t, 30*time.Second, "the task took its emit file", func() (bool, string) {
		_, err := os.Stat(filepath.Join(task.Sandbox, "emit"))
		return os.IsNotExist(err), "the task did not print the file emit"
	})
}

// removeJobContainers removes every container of the job.
func removeJobContainers(t *testing.T, cli *client.Client, job jobkey.Key) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", LabelJob+"="+job.String()))})
	if err != nil {
		t.Errorf("cleanup: list containers of %s: %v", job, err)
		return
	}
	for _, c := range list {
		if err := cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true}); err != nil && !IsNotFound(wrap("", "", err, "")) {
			t.Errorf("cleanup: remove %s: %v", c.ID, err)
		}
	}
}

func TestDockerContract(t *testing.T) {
	d := newDockerRuntime(t)
	testContract(t, dockerHarness(t, d))
}

// startTask starts spec and waits until the runner reports it running.
func startTask(t *testing.T, d *Docker, spec TaskSpec) *Task {
	t.Helper()
	task, err := d.Start(testContext(t), spec)
	require.NoError(t, err)
	return task
}

// httpGet fetches url and returns the status code and body.
func httpGet(url string) (int, string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, string(b), err
}

func TestDockerDemoPortsReachable(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	job := newJob(t, h)
	spec := taskSpec(job, 0, "borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}}")
	spec.Image = demoImage
	task := startTask(t, d, spec)
	require.Contains(t, task.Ports, "http")
	require.Contains(t, task.Ports, "health")

	health := fmt.Sprintf("http://127.0.0.1:%d/health", task.Ports["health"])
	poll.Until(t, 30*time.Second, "the task's health endpoint answers", func() (bool, string) {
		code, body, err := httpGet(health)
		return err == nil && code == 200 && strings.TrimSpace(body) == "ok", fmt.Sprint(code, body, err)
	})
	code, _, err := httpGet(fmt.Sprintf("http://127.0.0.1:%d/", task.Ports["http"]))
	require.NoError(t, err, "the http port answers on the host")
	assert.Less(t, code, 500)

	// The numbers the process saw are the host's (docs/semantics.md §2): the spec the
	// runner read has them, and so has its environment.
	data, err := os.ReadFile(filepath.Join(task.Sandbox, runner.SpecFile))
	require.NoError(t, err)
	assert.Contains(t, string(data), fmt.Sprintf("-port %d -health-port %d", task.Ports["http"], task.Ports["health"]))
	code2, out, err := d.Exec(testContext(t), spec.TaskID, []string{"env"})
	require.NoError(t, err)
	assert.Equal(t, 0, code2)
	assert.Contains(t, out, "BOREALIS_PORT_HTTP="+strconv.Itoa(task.Ports["http"]))
	assert.Contains(t, out, "BOREALIS_PORT_HEALTH="+strconv.Itoa(task.Ports["health"]))
	assert.Contains(t, out, "BOREALIS_TASK_ID="+spec.TaskID)
	assert.Contains(t, out, "BOREALIS_INSTANCE=0")
}

func TestDockerLimitsAndSecurity(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	spec := sleeperSpec(newJob(t, h), 0)
	spec.CPU = 0.5
	spec.RAMBytes = 96 << 20
	spec.DiskBytes = 64 << 20
	task := startTask(t, d, spec)

	c, err := rawClient(t).ContainerInspect(testContext(t), task.ContainerID)
	require.NoError(t, err)
	hc := c.HostConfig
	assert.Equal(t, int64(500_000_000), hc.NanoCPUs)
	assert.Equal(t, int64(96<<20), hc.Memory)
	assert.Equal(t, int64(96<<20), hc.MemorySwap)
	require.NotNil(t, hc.PidsLimit)
	assert.Equal(t, int64(DefaultPidsLimit), *hc.PidsLimit)
	assert.Equal(t, []string{"ALL"}, []string(hc.CapDrop))
	assert.Empty(t, hc.CapAdd)
	assert.Contains(t, hc.SecurityOpt, "no-new-privileges")
	assert.False(t, hc.Privileged)
	assert.Equal(t, container.RestartPolicyDisabled, hc.RestartPolicy.Name)
	require.NotNil(t, hc.Init)
	assert.False(t, *hc.Init)
	assert.Equal(t, fmt.Sprintf("%d:%d", DefaultTaskID, DefaultTaskID), c.Config.User)
	assert.Equal(t, SandboxMountPath, c.Config.WorkingDir)
	assert.Equal(t, []string{RunnerMountPath}, []string(c.Config.Entrypoint))
	var runnerRO bool
	for _, m := range c.Mounts {
		if m.Destination == RunnerMountPath {
			runnerRO = !m.RW
		}
	}
	assert.True(t, runnerRO, "the runner is mounted read-only")
	assert.Equal(t, spec.JobKey.String(), c.Config.Labels[LabelJob])
	assert.Equal(t, "0", c.Config.Labels[LabelInstance])
	assert.Equal(t, spec.TaskID, c.Config.Labels[LabelTask])
	if task.DiskEnforced {
		assert.Equal(t, strconv.FormatInt(spec.DiskBytes, 10), hc.StorageOpt["size"])
	} else {
		assert.NotEmpty(t, task.DiskReason, "an unenforced disk limit says why")
		assert.Empty(t, hc.StorageOpt)
	}

	// Inside: no capabilities at all, and no new privileges.
	code, out, err := d.Exec(testContext(t), spec.TaskID, []string{"sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"})
	require.NoError(t, err)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "CapEff:\t0000000000000000")
	assert.Contains(t, out, "CapBnd:\t0000000000000000")
	assert.Contains(t, out, "NoNewPrivs:\t1")
}

func TestDockerStopGrace(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)

	t.Run("TermTrapped", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		spec := taskSpec(newJob(t, h), 0,
			`trap 'echo got TERM; exit 0' TERM; echo ready; while true; do sleep 1; done`)
		startTask(t, d, spec)
		waitForLogs(t, d, spec.TaskID, "ready")
		began := time.Now()
		require.NoError(t, d.Stop(ctx, spec.TaskID, 20*time.Second))
		assert.Less(t, time.Since(began), 15*time.Second, "a process that exits on TERM ends the stop early")
		waitForLogs(t, d, spec.TaskID, "got TERM")
		st, err := d.Inspect(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.Equal(t, runner.ExitTerminated, st.ExitCode, "the runner exits 143 when terminated")
	})

	t.Run("TermIgnored", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		spec := taskSpec(newJob(t, h), 0, `trap '' TERM; echo ready; while true; do sleep 1; done`)
		startTask(t, d, spec)
		waitForLogs(t, d, spec.TaskID, "ready")
		began := time.Now()
		require.NoError(t, d.Stop(ctx, spec.TaskID, 2*time.Second))
		took := time.Since(began)
		assert.GreaterOrEqual(t, took, 1500*time.Millisecond, "SIGKILL comes only after the grace")
		assert.Less(t, took, 15*time.Second)
		st, err := d.Inspect(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.False(t, st.Running)
		assert.Equal(t, 137, st.ExitCode, "killed by SIGKILL")
	})
}

func TestDockerExec(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	spec := sleeperSpec(newJob(t, h), 0)
	startTask(t, d, spec)
	ctx := testContext(t)

	code, out, err := d.Exec(ctx, spec.TaskID, []string{"sh", "-c", "echo out; echo err >&2; pwd; id -u; exit 7"})
	require.NoError(t, err)
	assert.Equal(t, 7, code)
	assert.Contains(t, out, "out\n")
	assert.Contains(t, out, "err\n")
	assert.Contains(t, out, SandboxMountPath+"\n")
	assert.Contains(t, out, strconv.Itoa(DefaultTaskID)+"\n", "as the task's user")

	code, out, err = d.Exec(ctx, spec.TaskID, []string{"sh", "-c", "yes | head -c 200000"})
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.LessOrEqual(t, len(out), MaxExecOutput+100)
	assert.Contains(t, out, "[output truncated:")

	_, _, err = d.Exec(ctx, spec.TaskID, nil)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestDockerPortTakenMeanwhileIsRetried(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	var taken net.Listener
	d.testHookBeforeStart = func(ports map[string]int) {
		if taken != nil {
			return
		}
		l, err := net.Listen("tcp", net.JoinHostPort(d.Options().Host, strconv.Itoa(ports["http"])))
		require.NoError(t, err)
		taken = l
	}
	t.Cleanup(func() {
		if taken != nil {
			_ = taken.Close()
		}
	})
	spec := sleeperSpec(newJob(t, h), 0)
	spec.PortNames = []string{"http"}
	task := startTask(t, d, spec)
	require.NotNil(t, taken)
	takenPort := taken.Addr().(*net.TCPAddr).Port
	assert.NotEqual(t, takenPort, task.Ports["http"], "a new port after the bind failure")
	list, err := d.List(testContext(t), spec.JobKey)
	require.NoError(t, err)
	require.Len(t, list, 1, "the failed container was replaced, not kept")
	assert.Equal(t, task.Ports, list[0].Ports)
}

func TestDockerAdoptCreatedContainer(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	spec := sleeperSpec(newJob(t, h), 0)
	// A crash between create and start leaves a created container.
	d.testHookBeforeStart = func(map[string]int) { panic("crash before start") }
	require.Panics(t, func() { _, _ = d.Start(testContext(t), spec) })
	d.testHookBeforeStart = nil
	st, err := d.Inspect(testContext(t), spec.TaskID)
	require.NoError(t, err)
	require.Equal(t, StateCreated, st.State)

	task := startTask(t, d, spec)
	assert.True(t, task.Adopted)
	assert.Equal(t, st.ContainerID, task.ContainerID)
	st, err = d.Inspect(testContext(t), spec.TaskID)
	require.NoError(t, err)
	assert.True(t, st.Running)
}

func TestDockerUnavailable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
	_, err := New(context.Background(), Options{DataDir: t.TempDir(), RunnerPath: os.Args[0]})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.True(t, Retryable(err))
}

func TestDockerOptionsValidation(t *testing.T) {
	_, err := New(context.Background(), Options{PortRange: PortRange{5, 2}, RunnerPath: "/nonexistent/runner"})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalid)
	for _, want := range []string{"port range 5-2", "data dir is empty", "runner path"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestDockerOOMKilled(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	ctx := testContext(t)
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, errs := d.Events(evCtx)

	// tail keeps a line-less input whole: it grows past the limit.
	spec := taskSpec(newJob(t, h), 0, "head -c 200000000 /dev/zero | tail")
	spec.RAMBytes = 32 << 20
	startTask(t, d, spec)
	status, err := d.Wait(ctx, spec.TaskID)
	require.NoError(t, err)
	assert.True(t, status.OOMKilled)
	assert.Equal(t, ReasonOOMKilled, status.Reason)
	assert.NotZero(t, status.ExitCode)
	assert.False(t, status.FinishedAt.IsZero())
	for {
		select {
		case ev := <-events:
			if ev.TaskID == spec.TaskID {
				assert.True(t, ev.OOMKilled)
				assert.Equal(t, status.ExitCode, ev.ExitCode)
				return
			}
		case err := <-errs:
			t.Fatalf("event stream: %v", err)
		case <-ctx.Done():
			t.Fatal("no exit event")
		}
	}
}

// TestDockerStartReturnsOnceLaunched: Start returns once the runner has
// launched the task's process (docs/semantics.md §3's "as soon as the container is
// running"), and does not hang on a task whose runner ends at once.
func TestDockerStartReturnsOnceLaunched(t *testing.T) {
	t.Parallel()
	// A long wait bound, so that returning early shows even on a loaded
	// engine, where starting a container alone may take seconds.
	const launchWait = 60 * time.Second
	d := newDockerRuntimeWith(t, Options{LaunchWait: launchWait})
	h := dockerHarness(t, d)
	job := newJob(t, h)
	task := startTask(t, d, taskSpec(job, 0, "sleep 600"))
	st, err := runner.ReadState(task.Sandbox)
	require.NoError(t, err, "the runner wrote its state before Start returned")
	require.NotEmpty(t, st.Processes)
	assert.Equal(t, 1, st.Processes[0].Runs, "the process was launched")

	start := time.Now()
	done := startTask(t, d, taskSpec(job, 1, "exit 0"))
	assert.Less(t, time.Since(start), launchWait/2, "a task over at once ends the wait")
	_, err = runner.ReadState(done.Sandbox)
	require.NoError(t, err)
}
