package activities

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/internal/testenv"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
)

// The tests in this file run the activities against the machine's Docker
// Engine (and WatchHealth on a real Temporal dev server). They are part of
// `make test` and are not skipped: a missing daemon, runner or image fails
// them (see TestMain).

const demoImage = "borealis/demo:latest"

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newDockerActivities returns activities on a Docker runtime with its own
// data dir.
func newDockerActivities(t *testing.T) *Activities {
	t.Helper()
	require.NoError(t, dockerSetupErr, "Docker test setup (runner, images)")
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := dockerrun.New(testContext(t), dockerrun.Options{DataDir: t.TempDir(), RunnerPath: testRunnerPath, Logger: logger})
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return &Activities{Runtime: d, Logger: logger}
}

// newJobKey makes a job key no other test uses and removes its containers
// when the test ends.
func newJobKey(t *testing.T, acts *Activities) string {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	key := "devcluster/test/ci/acts-" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		k, _ := jobkey.Parse(key)
		list, err := acts.Runtime.List(ctx, k)
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		for _, st := range list {
			if err := acts.Runtime.Remove(ctx, st.TaskID, dockerrun.RemoveOptions{Sandbox: true}); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
	})
	return key
}

// jobWith is a one-process job on image (empty: the default image).
func jobWith(key, image, cmdline string) config.Job {
	k, _ := jobkey.Parse(key)
	job := config.DefaultJob()
	job.Cluster, job.Role, job.Environment, job.Name = k.Cluster, k.Role, k.Environment, k.Name
	task := config.DefaultTask()
	p := config.DefaultProcess()
	p.Name, p.Cmdline = "main", cmdline
	task.Name, task.Processes = "main", []config.Process{p}
	task.Resources = &config.Resources{CPU: 0.5, RAM: 64 << 20, Disk: 64 << 20}
	job.Task = &task
	if image != "" { // else the runtime's default image
		job.Container = &config.Container{Docker: &config.Docker{Image: image}}
	}
	return job
}

// demoJob runs the demo server with extra flags on an http and a health port.
func demoJob(key, flags string) config.Job {
	return jobWith(key, demoImage,
		"/usr/local/bin/borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}} "+flags)
}

type demoTask struct {
	in  taskapi.StartTaskInput
	res taskapi.StartTaskResult
}

// startDemo starts the demo and waits until it answers /stats (which is
// not a health request), so that health counts start from a listening
// server.
func startDemo(t *testing.T, acts *Activities, key, flags string) demoTask {
	t.Helper()
	in := taskapi.StartTaskInput{JobKey: key, Instance: 0, TaskID: key[len("devcluster/test/ci/"):] + "-0-" + randHex(), Job: demoJob(key, flags)}
	res, err := acts.StartTask(testContext(t), in)
	require.NoError(t, err)
	d := demoTask{in: in, res: res}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := d.stats(); err == nil {
			return d
		} else if time.Now().After(deadline) {
			t.Fatalf("demo never answered /stats: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func randHex() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// stats returns how many /health requests the demo has received.
func (d demoTask) stats() (int, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + net.JoinHostPort(d.res.Host, strconv.Itoa(d.res.Ports["http"])) + "/stats")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var s struct {
		HealthRequests int `json:"health_requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return 0, err
	}
	return s.HealthRequests, nil
}

func (d demoTask) healthRequests(t *testing.T) int {
	t.Helper()
	n, err := d.stats()
	require.NoError(t, err)
	return n
}

func (d demoTask) check(p health.Params) taskapi.HealthCheckSpec {
	job := d.in.Job
	job.HealthCheckConfig.InitialIntervalSecs = p.InitialIntervalSecs
	job.HealthCheckConfig.IntervalSecs = p.IntervalSecs
	job.HealthCheckConfig.MaxConsecutiveFailures = p.MaxConsecutiveFailures
	job.HealthCheckConfig.MinConsecutiveSuccesses = p.MinConsecutiveSuccesses
	return taskapi.HealthCheckFor(job, d.res.Host, d.res.Ports, d.res.Sandbox, d.in.Instance, d.in.TaskID)
}

func TestDockerStartWaitFailedTask(t *testing.T) {
	acts := newDockerActivities(t)
	key := newJobKey(t, acts)
	in := taskapi.StartTaskInput{JobKey: key, Instance: 0, TaskID: "exit3-" + randHex(), Job: jobWith(key, "", "exit 3")}
	res, err := acts.StartTask(testContext(t), in)
	require.NoError(t, err)
	assert.False(t, res.Adopted)
	assert.NotEmpty(t, res.ContainerID)
	assert.DirExists(t, res.Sandbox)

	wait, err := acts.WaitTask(testContext(t), taskapi.WaitTaskInput{TaskID: in.TaskID})
	require.NoError(t, err)
	// The container's exit code is the runner's: 1, the task failed (its
	// process exited 3 and max_failures is 1).
	assert.Equal(t, runner.ExitFailed, wait.ExitCode)
	assert.False(t, wait.Lost)
	assert.False(t, wait.OOMKilled)
	assert.InDelta(t, time.Now().UnixMilli(), wait.EndedAt, 60_000)

	// A retried StartTask adopts the exited container and does not rerun it.
	again, err := acts.StartTask(testContext(t), in)
	require.NoError(t, err)
	assert.True(t, again.Adopted)
	assert.Equal(t, res.ContainerID, again.ContainerID)

	// Removed, the task is gone for WaitTask (LOST), and removing again is fine.
	require.NoError(t, acts.RemoveTask(testContext(t), in.TaskID))
	require.NoError(t, acts.RemoveTask(testContext(t), in.TaskID))
	wait, err = acts.WaitTask(testContext(t), taskapi.WaitTaskInput{TaskID: in.TaskID})
	require.NoError(t, err)
	assert.True(t, wait.Lost)
	assert.DirExists(t, res.Sandbox, "the sandbox is kept for the logs")

	// A missing image can never start.
	bad := in
	bad.TaskID = "noimage-" + randHex()
	bad.Job = jobWith(key, "borealis/no-such-image:latest", "true")
	_, err = acts.StartTask(testContext(t), bad)
	ae := appError(t, err)
	assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
	assert.True(t, ae.NonRetryable())
}

// TestDockerSecretsAndParameters: a task gets its secrets, env, working
// directory and an allowed read-only volume on the real Docker Engine.
func TestDockerSecretsAndParameters(t *testing.T) {
	acts := newDockerActivities(t)
	secrets := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(secrets, "pw"), []byte("file-secret\n"), 0o600))
	t.Setenv("BOREALIS_SECRET_TOKEN", "env-secret")
	shared := t.TempDir()
	require.NoError(t, os.Chmod(shared, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(shared, "greeting"), []byte("hello-volume"), 0o644))
	pol := DefaultPolicy()
	pol.AllowedHostPaths = []string{shared}
	acts.Policy, acts.SecretsDir = &pol, secrets

	key := newJobKey(t, acts)
	job := jobWith(key, "", `echo "$TOKEN {{secret[pw]}} $(cat greeting) $(pwd)" > /sandbox/out`)
	job.Container = &config.Container{Docker: &config.Docker{Image: dockerrun.DefaultImage, Parameters: []config.DockerParameter{
		{Name: "env", Value: "TOKEN={{secret[token]}}"}, {Name: "volume", Value: shared + ":/data:ro"}, {Name: "workdir", Value: "/data"},
	}}}
	in := taskapi.StartTaskInput{JobKey: key, Instance: 0, TaskID: "secrets-" + randHex(), Job: job}
	res, err := acts.StartTask(testContext(t), in)
	require.NoError(t, err)
	wait, err := acts.WaitTask(testContext(t), taskapi.WaitTaskInput{TaskID: in.TaskID})
	require.NoError(t, err)
	assert.Equal(t, runner.ExitSuccess, wait.ExitCode)
	out, err := os.ReadFile(filepath.Join(res.Sandbox, "out"))
	require.NoError(t, err)
	assert.Equal(t, "env-secret file-secret hello-volume /data\n", string(out))
}

func TestDockerStopGraceful(t *testing.T) {
	acts := newDockerActivities(t)
	key := newJobKey(t, acts)
	d := startDemo(t, acts, key, "")
	lc := config.DefaultHTTPLifecycleConfig()
	start := time.Now()
	res, err := acts.StopTask(testContext(t), taskapi.StopTaskInput{TaskID: d.in.TaskID, Host: d.res.Host,
		HealthPort: d.res.Ports["health"], Lifecycle: &lc, FinalizationWait: 30})
	require.NoError(t, err)
	assert.Equal(t, []string{"POST /quitquitquit: 200", "exited after graceful shutdown"}, res.Steps)
	assert.Less(t, time.Since(start), 5*time.Second)
	st, err := acts.Runtime.Inspect(testContext(t), d.in.TaskID)
	require.NoError(t, err)
	assert.False(t, st.Running)
	assert.Equal(t, runner.ExitSuccess, st.ExitCode)
}

func TestDockerStopSIGTERM(t *testing.T) {
	acts := newDockerActivities(t)
	key := newJobKey(t, acts)
	in := taskapi.StartTaskInput{JobKey: key, Instance: 0, TaskID: "sleeper-" + randHex(), Job: jobWith(key, "", "sleep 600")}
	_, err := acts.StartTask(testContext(t), in)
	require.NoError(t, err)
	lc := config.DefaultHTTPLifecycleConfig()
	start := time.Now()
	res, err := acts.StopTask(testContext(t), taskapi.StopTaskInput{TaskID: in.TaskID, Host: "127.0.0.1", Lifecycle: &lc, FinalizationWait: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"SIGTERM; exited with code 143"}, res.Steps, "no health port: no HTTP step")
	require.NotNil(t, res.Exit, "the stop saw the container exit")
	assert.Equal(t, 143, res.Exit.ExitCode)
	assert.Positive(t, res.Exit.EndedAt)
	assert.Less(t, time.Since(start), 10*time.Second, "the runner left on SIGTERM, before SIGKILL")

	res, err = acts.StopTask(testContext(t), taskapi.StopTaskInput{TaskID: in.TaskID, FinalizationWait: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{"already exited with code 143"}, res.Steps)
}

func TestDockerReconcile(t *testing.T) {
	acts := newDockerActivities(t)
	key := newJobKey(t, acts)
	start := func(instance int, id string) {
		_, err := acts.StartTask(testContext(t), taskapi.StartTaskInput{JobKey: key, Instance: instance, TaskID: id, Job: jobWith(key, "", "sleep 600")})
		require.NoError(t, err)
	}
	suffix := randHex()
	start(0, "keep-"+suffix)
	start(0, "orphan-"+suffix)
	start(1, "other-"+suffix)
	res, err := acts.Reconcile(testContext(t), taskapi.ReconcileInput{JobKey: key, Instance: 0, Keep: []string{"keep-" + suffix}, FinalizationWait: 5})
	require.NoError(t, err)
	assert.Equal(t, []string{"orphan-" + suffix}, res.Removed)
	k, _ := jobkey.Parse(key)
	list, err := acts.Runtime.List(testContext(t), k)
	require.NoError(t, err)
	var ids []string
	for _, st := range list {
		ids = append(ids, st.TaskID)
	}
	assert.ElementsMatch(t, []string{"keep-" + suffix, "other-" + suffix}, ids)
}

func TestDockerShellHealthCheck(t *testing.T) {
	acts := newDockerActivities(t)
	key := newJobKey(t, acts)
	job := jobWith(key, "", "sleep 600")
	job.HealthCheckConfig.HealthChecker = config.HealthCheckerConfig{Shell: &config.ShellHealthChecker{ShellCommand: "test -f ready-{{mesos.instance}}"}}
	job.HealthCheckConfig.InitialIntervalSecs, job.HealthCheckConfig.IntervalSecs = 0, 1
	in := taskapi.StartTaskInput{JobKey: key, Instance: 0, TaskID: "shell-" + randHex(), Job: job}
	res, err := acts.StartTask(testContext(t), in)
	require.NoError(t, err)
	check := taskapi.HealthCheckFor(job, res.Host, res.Ports, res.Sandbox, 0, in.TaskID)
	require.Equal(t, "test -f ready-0", check.ShellCommand)

	env := newEnv(t, acts)
	// m = 0, n = 1: no ready file fails the first check.
	got := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: in.TaskID, Check: check, Until: health.StatusRunning})
	assert.Equal(t, health.StatusFailed, got.Status)
	assert.Equal(t, "Command 'test -f ready-0' returned non-zero exit status 1.", got.Reason)

	// The command runs in the sandbox: a file there makes it pass.
	require.NoError(t, os.WriteFile(filepath.Join(res.Sandbox, "ready-0"), nil, 0o644))
	got = watch(t, env, acts, taskapi.WatchHealthInput{TaskID: in.TaskID, Check: check, Until: health.StatusRunning})
	assert.Equal(t, health.StatusRunning, got.Status)
	assert.Equal(t, 1, got.Progress.Counter.RunningSince)

	out, err := acts.ExecInTask(testContext(t), taskapi.ExecInput{TaskID: in.TaskID, Command: "ls ready-* && exit 4"})
	require.NoError(t, err)
	assert.Equal(t, taskapi.ExecResult{ExitCode: 4, Output: "ready-0\n"}, out)
}

// watchWorkflowInput is the input of watchHealthWorkflow.
type watchWorkflowInput struct {
	In           taskapi.WatchHealthInput
	StartToClose time.Duration
	Heartbeat    time.Duration
}

// watchHealthWorkflow runs WatchHealth once, retrying it as the instance
// workflow would.
func watchHealthWorkflow(ctx workflow.Context, in watchWorkflowInput) (taskapi.WatchHealthResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: in.StartToClose,
		HeartbeatTimeout:    in.Heartbeat,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 1, MaximumAttempts: 5},
	})
	var a *Activities
	var res taskapi.WatchHealthResult
	err := workflow.ExecuteActivity(ctx, a.WatchHealth, in.In).Get(ctx, &res)
	return res, err
}

// TestWatchHealthTemporal runs WatchHealth on a real Temporal dev server
// against real demo containers, and counts the /health requests each
// container received: exactly the attempts the rules allow.
func TestWatchHealthTemporal(t *testing.T) {
	acts := newDockerActivities(t)
	srv := testenv.StartTemporal(t)
	c := srv.Client()
	queue := "activities-test-" + randHex()
	w := worker.New(c, queue, worker.Options{
		// Send each check's heartbeat at once, so a retry resumes from
		// the last check (the default batches them for 80% of the
		// heartbeat timeout).
		MaxHeartbeatThrottleInterval: 50 * time.Millisecond,
	})
	w.RegisterWorkflow(watchHealthWorkflow)
	w.RegisterActivity(acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	run := func(t *testing.T, in watchWorkflowInput) (taskapi.WatchHealthResult, client.WorkflowRun) {
		t.Helper()
		if in.StartToClose == 0 {
			in.StartToClose = time.Minute
		}
		if in.Heartbeat == 0 {
			in.Heartbeat = 3 * time.Second
		}
		wr, err := c.ExecuteWorkflow(testContext(t), client.StartWorkflowOptions{
			ID: "watch-" + randHex(), TaskQueue: queue, WorkflowExecutionTimeout: 2 * time.Minute}, watchHealthWorkflow, in)
		require.NoError(t, err)
		var res taskapi.WatchHealthResult
		require.NoError(t, wr.Get(testContext(t), &res))
		return res, wr
	}

	t.Run("RUNNING after exactly min_consecutive_successes checks", func(t *testing.T) {
		key := newJobKey(t, acts)
		d := startDemo(t, acts, key, "")
		p := health.Params{InitialIntervalSecs: 1, IntervalSecs: 1, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 2}
		res, _ := run(t, watchWorkflowInput{In: taskapi.WatchHealthInput{TaskID: d.in.TaskID, Check: d.check(p), Until: health.StatusRunning}})
		assert.Equal(t, health.StatusRunning, res.Status)
		assert.Equal(t, 2, res.Progress.Counter.RunningSince)
		assert.Equal(t, 2, res.Progress.Counter.Attempts)
		assert.Equal(t, 2, d.healthRequests(t))
	})

	t.Run("FAILED at the attempt the rules say", func(t *testing.T) {
		key := newJobKey(t, acts)
		d := startDemo(t, acts, key, "-health-script fail,ok,fail,fail")
		// m = 2, n = 5: F ignored, S, F counted (1 <= 1), F counted (2 > 1): FAILED at 4.
		p := health.Params{InitialIntervalSecs: 2, IntervalSecs: 1, MaxConsecutiveFailures: 1, MinConsecutiveSuccesses: 2}
		res, _ := run(t, watchWorkflowInput{In: taskapi.WatchHealthInput{TaskID: d.in.TaskID, Check: d.check(p), Until: health.StatusRunning}})
		assert.Equal(t, health.StatusFailed, res.Status)
		assert.Equal(t, 4, res.Progress.Counter.FailedAt)
		assert.Equal(t, `Response differs from expected response (expected "ok", got "")`, res.Reason)
		assert.Equal(t, 4, d.healthRequests(t))
		assert.Equal(t, 3, res.Progress.History.TotalFailures)
	})

	t.Run("snooze on and off", func(t *testing.T) {
		key := newJobKey(t, acts)
		d := startDemo(t, acts, key, "-unhealthy")
		snooze := filepath.Join(d.res.Sandbox, health.SnoozeFile)
		require.NoError(t, os.WriteFile(snooze, nil, 0o644))
		p := health.Params{InitialIntervalSecs: 0, IntervalSecs: 1, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 2}
		check := d.check(p)
		res, _ := run(t, watchWorkflowInput{In: taskapi.WatchHealthInput{TaskID: d.in.TaskID, Check: check, Until: health.StatusRunning}})
		assert.Equal(t, health.StatusRunning, res.Status)
		assert.Equal(t, 2, res.Progress.Counter.RunningSince)
		assert.True(t, res.Progress.History.Snoozed())
		assert.Equal(t, 0, d.healthRequests(t), "snoozed checks are skipped")

		require.NoError(t, os.Remove(snooze))
		res, _ = run(t, watchWorkflowInput{In: taskapi.WatchHealthInput{TaskID: d.in.TaskID, Check: check, Until: health.StatusFailed, Resume: &res.Progress}})
		assert.Equal(t, health.StatusFailed, res.Status)
		assert.Equal(t, 3, res.Progress.Counter.FailedAt)
		assert.Equal(t, 1, d.healthRequests(t))
	})

	t.Run("a retried attempt resumes the count", func(t *testing.T) {
		key := newJobKey(t, acts)
		d := startDemo(t, acts, key, "")
		// n = 5 checks 2 s apart; each attempt may run 5 s: the first
		// checks at 0, 2 and 4 s and times out, the second resumes at
		// attempt 4, an interval after the last check.
		p := health.Params{InitialIntervalSecs: 0, IntervalSecs: 2, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 5}
		res, wr := run(t, watchWorkflowInput{In: taskapi.WatchHealthInput{TaskID: d.in.TaskID, Check: d.check(p), Until: health.StatusRunning},
			StartToClose: 5 * time.Second, Heartbeat: 2 * time.Second})
		assert.Equal(t, health.StatusRunning, res.Status)
		assert.Equal(t, 5, res.Progress.Counter.RunningSince)
		assert.Equal(t, 5, d.healthRequests(t), "no check lost or repeated across the retry")
		assert.Equal(t, 5, res.Progress.History.Total)

		var attempt int32
		iter := c.GetWorkflowHistory(testContext(t), wr.GetID(), wr.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			if a := ev.GetActivityTaskStartedEventAttributes(); a != nil {
				attempt = a.GetAttempt()
			}
		}
		assert.Equal(t, int32(2), attempt, "the first attempt timed out")
	})
}
