package activities

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
)

// The tests in this file use dockerrun.Fake and the SDK's activity test
// environment; docker_test.go runs the activities against the real Docker
// Engine and a real Temporal dev server.

const testJobKey = "devcluster/www-data/prod/hello"

// newEnv returns an activity test environment running acts.
func newEnv(t *testing.T, acts *Activities) *testsuite.TestActivityEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return env
}

// testJob is a job with two ordered processes, a final one and a health port.
func testJob() config.Job {
	job := config.DefaultJob()
	job.Cluster, job.Role, job.Environment, job.Name = "devcluster", "www-data", "prod", "hello"
	task := config.DefaultTask()
	task.Name = "hello"
	p1 := config.DefaultProcess()
	p1.Name, p1.Cmdline = "setup", "echo setup"
	p2 := config.Process{Name: "server", Cmdline: "serve --port {{thermos.ports[http]}} --health {{thermos.ports[health]}}",
		MaxFailures: 3, Daemon: true, Ephemeral: false, MinDuration: 7}
	p3 := config.Process{Name: "cleanup", Cmdline: "echo bye", MaxFailures: 1, MinDuration: 5, Final: true, Ephemeral: true}
	task.Processes = []config.Process{p1, p2, p3}
	task.Constraints = []config.Constraint{{Order: []string{"setup", "server"}}}
	task.Resources = &config.Resources{CPU: 0.5, RAM: 128 << 20, Disk: 256 << 20}
	task.MaxFailures, task.MaxConcurrency, task.FinalizationWait = 2, 3, 12
	job.Task = &task
	return job
}

func appError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "want an application error, got %T %v", err, err)
	return ae
}

func TestTaskSpecFor(t *testing.T) {
	job := testJob()
	job.Container = &config.Container{Docker: &config.Docker{Image: "borealis/demo:latest", Parameters: []config.DockerParameter{
		{Name: "cap-add", Value: "NET_BIND_SERVICE"}, {Name: "env", Value: "X=1"}, {Name: "cap-add", Value: "CHOWN, KILL"},
	}}}
	in := taskapi.StartTaskInput{JobKey: testJobKey, Instance: 2, TaskID: "t-1", Job: job}
	got := TaskSpecFor(in)
	want := dockerrun.TaskSpec{
		JobKey:   jobkey.Key{Cluster: "devcluster", Role: "www-data", Environment: "prod", Name: "hello"},
		Instance: 2,
		TaskID:   "t-1",
		Image:    "borealis/demo:latest",
		Runner: runner.TaskSpec{
			TaskID: "t-1",
			Processes: []runner.ProcessSpec{
				{Name: "setup", Cmdline: "echo setup", MaxFailures: 1, MinDuration: 5},
				{Name: "server", Cmdline: "serve --port {{thermos.ports[http]}} --health {{thermos.ports[health]}}",
					MaxFailures: 3, Daemon: true, MinDuration: 7},
				{Name: "cleanup", Cmdline: "echo bye", MaxFailures: 1, MinDuration: 5, Final: true, Ephemeral: true},
			},
			Orders:           [][]string{{"setup", "server"}},
			MaxFailures:      2,
			MaxConcurrency:   3,
			FinalizationWait: 12,
		},
		PortNames: []string{"health", "http"},
		CPU:       0.5,
		RAMBytes:  128 << 20,
		DiskBytes: 256 << 20,
		CapAdd:    []string{"NET_BIND_SERVICE", "CHOWN", "KILL"},
	}
	assert.Equal(t, want, got)
	assert.Equal(t, got, TaskSpecFor(in), "deterministic")

	// No container, no resources: the runtime's default image, no limits.
	job = testJob()
	job.Task.Resources = nil
	got = TaskSpecFor(taskapi.StartTaskInput{JobKey: testJobKey, TaskID: "t-2", Job: job})
	assert.Empty(t, got.Image)
	assert.Zero(t, got.CPU+float64(got.RAMBytes+got.DiskBytes))
	assert.Nil(t, got.CapAdd)
}

func TestStartTask(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	in := taskapi.StartTaskInput{JobKey: testJobKey, Instance: 0, TaskID: "t-start", Job: testJob()}

	val, err := env.ExecuteActivity(acts.StartTask, in)
	require.NoError(t, err)
	var res taskapi.StartTaskResult
	require.NoError(t, val.Get(&res))
	assert.NotEmpty(t, res.ContainerID)
	assert.Equal(t, dockerrun.DefaultHost, res.Host)
	assert.Len(t, res.Ports, 2)
	assert.NotZero(t, res.Ports["health"])
	assert.NotEmpty(t, res.Sandbox)
	assert.False(t, res.Adopted)
	assert.Contains(t, res.DiskNote, "enforces no disk limit")

	rs, ok := fake.RunnerSpec("t-start")
	require.True(t, ok)
	assert.Equal(t, "serve --port "+strconv.Itoa(res.Ports["http"])+" --health "+strconv.Itoa(res.Ports["health"]),
		rs.Processes[1].Cmdline, "templates filled at launch")

	// A retried StartTask adopts the container.
	val, err = env.ExecuteActivity(acts.StartTask, in)
	require.NoError(t, err)
	var again taskapi.StartTaskResult
	require.NoError(t, val.Get(&again))
	assert.True(t, again.Adopted)
	assert.Equal(t, res.ContainerID, again.ContainerID)
	assert.Equal(t, res.Ports, again.Ports)
}

func TestStartTaskErrors(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	start := func(in taskapi.StartTaskInput) error {
		_, err := env.ExecuteActivity(acts.StartTask, in)
		return err
	}
	good := taskapi.StartTaskInput{JobKey: testJobKey, TaskID: "t-err", Job: testJob()}

	t.Run("missing image", func(t *testing.T) {
		in := good
		in.Job.Container = &config.Container{Docker: &config.Docker{Image: "nope:latest"}}
		ae := appError(t, start(in))
		assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
		assert.True(t, ae.NonRetryable())
		assert.Contains(t, ae.Error(), `image "nope:latest" not found locally`)
	})
	t.Run("invalid config", func(t *testing.T) {
		in := good
		in.JobKey = "not-a-key"
		job := testJob()
		job.Task.Constraints = append(job.Task.Constraints, config.Constraint{Order: []string{"server", "ghost"}})
		in.Job = job
		ae := appError(t, start(in))
		assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
		assert.True(t, ae.NonRetryable())
		assert.Contains(t, ae.Error(), `job key "not-a-key"`)
		assert.Contains(t, ae.Error(), `unknown process "ghost"`, "every problem at once")

		in = good
		in.Job.Task = nil
		assert.Contains(t, appError(t, start(in)).Error(), "job has no task")
	})
	t.Run("foreign container", func(t *testing.T) {
		in := good
		in.TaskID = "t-foreign"
		fake.AddForeign(dockerrun.ContainerName(in.TaskID))
		ae := appError(t, start(in))
		assert.Equal(t, taskapi.ErrTypeConflict, ae.Type())
		assert.True(t, ae.NonRetryable())
		assert.True(t, fake.HasContainer(dockerrun.ContainerName(in.TaskID)), "left alone")
	})
	t.Run("docker unavailable", func(t *testing.T) {
		fake.FailNext("start", dockerrun.ErrUnavailable)
		ae := appError(t, start(good))
		assert.Equal(t, taskapi.ErrTypeDockerUnavailable, ae.Type())
		assert.False(t, ae.NonRetryable(), "a daemon that is down is retried")
		require.NoError(t, start(good), "the retry starts it")
	})
}

func waitTask(t *testing.T, env *testsuite.TestActivityEnvironment, acts *Activities, taskID string) (taskapi.WaitTaskResult, error) {
	t.Helper()
	val, err := env.ExecuteActivity(acts.WaitTask, taskapi.WaitTaskInput{TaskID: taskID})
	if err != nil {
		return taskapi.WaitTaskResult{}, err
	}
	var res taskapi.WaitTaskResult
	require.NoError(t, val.Get(&res))
	return res, nil
}

// startFake starts a task of testJob on the fake.
func startFake(t *testing.T, fake *dockerrun.Fake, taskID string) {
	t.Helper()
	_, err := fake.Start(context.Background(), TaskSpecFor(taskapi.StartTaskInput{JobKey: testJobKey, TaskID: taskID, Job: testJob()}))
	require.NoError(t, err)
}

func TestWaitTask(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake, HeartbeatInterval: 10 * time.Millisecond}
	env := newEnv(t, acts)
	var beats atomic.Int64
	env.SetOnActivityHeartbeatListener(func(*activity.Info, converter.EncodedValues) { beats.Add(1) })

	t.Run("exit code", func(t *testing.T) {
		startFake(t, fake, "t-exit")
		go func() {
			// Exit once the activity has heartbeated, so it was waiting.
			for beats.Load() < 1 {
				time.Sleep(5 * time.Millisecond)
			}
			assert.NoError(t, fake.Exit("t-exit", 3, false))
		}()
		res, err := waitTask(t, env, acts, "t-exit")
		require.NoError(t, err)
		assert.Equal(t, 3, res.ExitCode)
		assert.False(t, res.Lost)
		assert.False(t, res.OOMKilled)
		assert.Empty(t, res.Reason)
		assert.InDelta(t, time.Now().UnixMilli(), res.EndedAt, 60_000)
	})
	t.Run("OOM", func(t *testing.T) {
		startFake(t, fake, "t-oom")
		require.NoError(t, fake.Exit("t-oom", 137, true))
		res, err := waitTask(t, env, acts, "t-oom")
		require.NoError(t, err)
		assert.Equal(t, taskapi.WaitTaskResult{ExitCode: 137, OOMKilled: true, Reason: "OOM killed", EndedAt: res.EndedAt}, res)
	})
	t.Run("no container", func(t *testing.T) {
		res, err := waitTask(t, env, acts, "t-never")
		require.NoError(t, err)
		assert.True(t, res.Lost)
		assert.Equal(t, "container vanished", res.Reason)
	})
	t.Run("removed while waiting", func(t *testing.T) {
		startFake(t, fake, "t-removed")
		require.NoError(t, fake.Remove(context.Background(), "t-removed", dockerrun.RemoveOptions{}))
		res, err := waitTask(t, env, acts, "t-removed")
		require.NoError(t, err)
		assert.True(t, res.Lost)
		assert.Equal(t, ReasonVanished, res.Reason)
	})
	t.Run("docker unreachable is not lost", func(t *testing.T) {
		startFake(t, fake, "t-unreachable")
		fake.FailNext("wait", dockerrun.ErrUnavailable)
		_, err := waitTask(t, env, acts, "t-unreachable")
		ae := appError(t, err)
		assert.False(t, ae.NonRetryable())
		assert.Equal(t, taskapi.ErrTypeDockerUnavailable, ae.Type())
	})
	t.Run("cancelled", func(t *testing.T) {
		startFake(t, fake, "t-cancel")
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := acts.WaitTask(ctx, taskapi.WaitTaskInput{TaskID: "t-cancel"})
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// lifecycleServer stands in for a task's lifecycle endpoints: each
// endpoint answers with its code and then runs its action.
type lifecycleServer struct {
	host string
	port int
	mu   sync.Mutex
	hits []string
}

func newLifecycleServer(t *testing.T, handlers map[string]func(w http.ResponseWriter)) *lifecycleServer {
	t.Helper()
	ls := &lifecycleServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		ls.hits = append(ls.hits, r.Method+" "+r.URL.Path)
		ls.mu.Unlock()
		if h, ok := handlers[r.URL.Path]; ok && r.Method == http.MethodPost {
			h(w)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	ls.host = u.Hostname()
	ls.port, err = strconv.Atoi(u.Port())
	require.NoError(t, err)
	return ls
}

func (ls *lifecycleServer) requests() []string {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return append([]string(nil), ls.hits...)
}

func TestStopTask(t *testing.T) {
	lc := config.DefaultHTTPLifecycleConfig()
	lc.GracefulShutdownWaitSecs, lc.ShutdownWaitSecs = 1, 1
	stop := func(t *testing.T, acts *Activities, in taskapi.StopTaskInput) taskapi.StopTaskResult {
		t.Helper()
		val, err := newEnv(t, acts).ExecuteActivity(acts.StopTask, in)
		require.NoError(t, err)
		var res taskapi.StopTaskResult
		require.NoError(t, val.Get(&res))
		return res
	}

	t.Run("missing and exited tasks are stopped already", func(t *testing.T) {
		fake := dockerrun.NewFake()
		acts := &Activities{Runtime: fake}
		none := stop(t, acts, taskapi.StopTaskInput{TaskID: "t-none"})
		assert.Equal(t, []string{"no container: already stopped"}, none.Steps)
		assert.Nil(t, none.Exit, "no container: WaitTask tells the task is LOST")
		startFake(t, fake, "t-done")
		require.NoError(t, fake.Exit("t-done", 0, false))
		done := stop(t, acts, taskapi.StopTaskInput{TaskID: "t-done", FinalizationWait: 30})
		assert.Equal(t, []string{"already exited with code 0"}, done.Steps)
		require.NotNil(t, done.Exit)
		assert.Equal(t, 0, done.Exit.ExitCode)
		assert.Empty(t, fake.Stops("t-done"))
	})
	t.Run("no health port: SIGTERM with finalization_wait", func(t *testing.T) {
		fake := dockerrun.NewFake()
		acts := &Activities{Runtime: fake}
		startFake(t, fake, "t-term")
		res := stop(t, acts, taskapi.StopTaskInput{TaskID: "t-term", Lifecycle: &lc, FinalizationWait: 30})
		assert.Equal(t, []string{"SIGTERM; exited with code 143"}, res.Steps)
		require.NotNil(t, res.Exit, "the stop saw the exit")
		assert.Equal(t, 143, res.Exit.ExitCode)
		assert.False(t, res.Exit.Lost)
		assert.Equal(t, []time.Duration{30 * time.Second}, fake.Stops("t-term"))
		// Remove: the containers of earlier ended tasks go too.
		startFake(t, fake, "t-old")
		require.NoError(t, fake.Exit("t-old", 1, false))
		startFake(t, fake, "t-next")
		stop(t, acts, taskapi.StopTaskInput{TaskID: "t-next", Remove: []string{"t-old", "t-gone"}})
		_, err := fake.Inspect(context.Background(), "t-old")
		assert.ErrorIs(t, err, dockerrun.ErrNotFound, "removed")
		// Idempotent: again is a no-op success.
		assert.Equal(t, []string{"already exited with code 143"}, stop(t, acts, taskapi.StopTaskInput{TaskID: "t-term", FinalizationWait: 30}).Steps)
	})
	t.Run("graceful shutdown", func(t *testing.T) {
		fake := dockerrun.NewFake()
		acts := &Activities{Runtime: fake}
		startFake(t, fake, "t-quit")
		ls := newLifecycleServer(t, map[string]func(http.ResponseWriter){
			"/quitquitquit": func(http.ResponseWriter) { assert.NoError(t, fake.Exit("t-quit", 0, false)) },
		})
		res := stop(t, acts, taskapi.StopTaskInput{TaskID: "t-quit", Host: ls.host, HealthPort: ls.port, Lifecycle: &lc, FinalizationWait: 30})
		assert.Equal(t, []string{"POST /quitquitquit: 200", "exited after graceful shutdown"}, res.Steps)
		assert.Equal(t, []string{"POST /quitquitquit"}, ls.requests())
		assert.Empty(t, fake.Stops("t-quit"), "no SIGTERM needed")
	})
	t.Run("abort after the graceful wait", func(t *testing.T) {
		fake := dockerrun.NewFake()
		acts := &Activities{Runtime: fake, HeartbeatInterval: 50 * time.Millisecond}
		startFake(t, fake, "t-abort")
		ls := newLifecycleServer(t, map[string]func(http.ResponseWriter){
			"/quitquitquit":    func(http.ResponseWriter) {}, // answers 200, keeps running
			"/abortabortabort": func(http.ResponseWriter) { assert.NoError(t, fake.Exit("t-abort", 0, false)) },
		})
		start := time.Now()
		res := stop(t, acts, taskapi.StopTaskInput{TaskID: "t-abort", Host: ls.host, HealthPort: ls.port, Lifecycle: &lc, FinalizationWait: 30})
		assert.Equal(t, []string{"POST /quitquitquit: 200", "still running after 1s", "POST /abortabortabort: 200", "exited after shutdown"}, res.Steps)
		assert.GreaterOrEqual(t, time.Since(start), time.Second, "waited graceful_shutdown_wait_secs")
		assert.Empty(t, fake.Stops("t-abort"))
	})
	t.Run("endpoints that do not answer 2xx are not waited for", func(t *testing.T) {
		slow := lc
		slow.GracefulShutdownWaitSecs, slow.ShutdownWaitSecs = 60, 60
		fake := dockerrun.NewFake()
		acts := &Activities{Runtime: fake}
		startFake(t, fake, "t-404")
		ls := newLifecycleServer(t, map[string]func(http.ResponseWriter){
			"/abortabortabort": func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) },
		})
		start := time.Now()
		res := stop(t, acts, taskapi.StopTaskInput{TaskID: "t-404", Host: ls.host, HealthPort: ls.port, Lifecycle: &slow, FinalizationWait: 5})
		assert.Less(t, time.Since(start), 10*time.Second)
		assert.Equal(t, []string{"POST /quitquitquit: 404", "POST /abortabortabort: 500", "SIGTERM; exited with code 143"}, res.Steps)
		assert.Equal(t, []time.Duration{5 * time.Second}, fake.Stops("t-404"))

		// A refused connection moves on at once too.
		startFake(t, fake, "t-refused")
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
		start = time.Now()
		res = stop(t, acts, taskapi.StopTaskInput{TaskID: "t-refused", Host: "127.0.0.1", HealthPort: port, Lifecycle: &slow, FinalizationWait: 5})
		assert.Less(t, time.Since(start), 10*time.Second)
		require.Len(t, res.Steps, 3)
		assert.Contains(t, res.Steps[0], "POST /quitquitquit: ")
		assert.Contains(t, res.Steps[0], "connection refused")
		assert.Contains(t, res.Steps[1], "POST /abortabortabort: ")
		assert.Equal(t, "SIGTERM; exited with code 143", res.Steps[2])
	})
	t.Run("docker unavailable is retried", func(t *testing.T) {
		fake := dockerrun.NewFake()
		acts := &Activities{Runtime: fake}
		startFake(t, fake, "t-down")
		fake.FailNext("stop", dockerrun.ErrUnavailable)
		_, err := newEnv(t, acts).ExecuteActivity(acts.StopTask, taskapi.StopTaskInput{TaskID: "t-down", FinalizationWait: 1})
		ae := appError(t, err)
		assert.False(t, ae.NonRetryable())
		assert.Equal(t, []string{"SIGTERM; exited with code 143"}, stop(t, acts, taskapi.StopTaskInput{TaskID: "t-down", FinalizationWait: 1}).Steps)
	})
}

// TestStopTaskRedirectNotFollowed: a lifecycle endpoint that redirects has
// not answered 2xx, so the task is not waited for, and the redirect's target
// is never asked, with the default client or the caller's.
func TestStopTaskRedirectNotFollowed(t *testing.T) {
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { targetHits.Add(1) }))
	t.Cleanup(target.Close)
	redirect := func(w http.ResponseWriter) {
		w.Header().Set("Location", target.URL+"/quitquitquit")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}
	lc := config.DefaultHTTPLifecycleConfig()
	lc.GracefulShutdownWaitSecs, lc.ShutdownWaitSecs = 5, 5
	callers := &http.Client{} // follows redirects on its own
	for name, client := range map[string]*http.Client{"default client": nil, "caller's client": callers} {
		t.Run(name, func(t *testing.T) {
			fake := dockerrun.NewFake()
			acts := &Activities{Runtime: fake, HTTPClient: client}
			startFake(t, fake, "t-redirect")
			ls := newLifecycleServer(t, map[string]func(http.ResponseWriter){"/quitquitquit": redirect, "/abortabortabort": redirect})
			start := time.Now()
			val, err := newEnv(t, acts).ExecuteActivity(acts.StopTask, taskapi.StopTaskInput{
				TaskID: "t-redirect", Host: ls.host, HealthPort: ls.port, Lifecycle: &lc, FinalizationWait: 5})
			require.NoError(t, err)
			var res taskapi.StopTaskResult
			require.NoError(t, val.Get(&res))
			assert.Less(t, time.Since(start), 5*time.Second, "not waited for")
			assert.Equal(t, []string{"POST /quitquitquit: 307", "POST /abortabortabort: 307", "SIGTERM; exited with code 143"}, res.Steps)
			assert.Equal(t, []string{"POST /quitquitquit", "POST /abortabortabort"}, ls.requests())
		})
	}
	assert.Zero(t, targetHits.Load(), "the redirect's target was asked")
	assert.Nil(t, callers.CheckRedirect, "the caller's client is left as it was")
}

func TestHealthCheckFor(t *testing.T) {
	ports := map[string]int{"health": 31005, "http": 31006}
	job := testJob()
	job.HealthCheckConfig.InitialIntervalSecs = 20
	job.HealthCheckConfig.IntervalSecs = 10
	job.HealthCheckConfig.MaxConsecutiveFailures = 4
	job.HealthCheckConfig.MinConsecutiveSuccesses = 2
	job.HealthCheckConfig.TimeoutSecs = 2.5
	wantParams := health.Params{InitialIntervalSecs: 20, IntervalSecs: 10, MaxConsecutiveFailures: 4, MinConsecutiveSuccesses: 2}

	got := taskapi.HealthCheckFor(job, "127.0.0.1", ports, "/sb/t1", 3, "t1")
	assert.Equal(t, taskapi.HealthCheckSpec{Kind: "http", Host: "127.0.0.1", Port: 31005, Endpoint: "/health", Expected: "ok",
		TimeoutSecs: 2.5, Sandbox: "/sb/t1", Params: wantParams}, got)

	job.HealthCheckConfig.HealthChecker.HTTP = &config.HTTPHealthChecker{Endpoint: "/ready", ExpectedResponseCode: 204}
	got = taskapi.HealthCheckFor(job, "10.0.0.1", ports, "/sb/t1", 3, "t1")
	assert.Equal(t, "/ready", got.Endpoint)
	assert.Empty(t, got.Expected)
	assert.Equal(t, 204, got.ExpectedCode)
	assert.Equal(t, "10.0.0.1", got.Host)

	job.HealthCheckConfig.HealthChecker.HTTP = nil // the default checker applies
	got = taskapi.HealthCheckFor(job, "127.0.0.1", ports, "/sb/t1", 3, "t1")
	assert.Equal(t, "/health", got.Endpoint)
	assert.Equal(t, "ok", got.Expected)

	job.HealthCheckConfig.HealthChecker.Shell = &config.ShellHealthChecker{
		ShellCommand: "check --port {{thermos.ports[http]}} --instance {{mesos.instance}} --task {{thermos.task_id}}"}
	got = taskapi.HealthCheckFor(job, "127.0.0.1", ports, "/sb/t1", 3, "t1")
	assert.Equal(t, taskapi.HealthCheckSpec{Kind: "shell", ShellCommand: "check --port 31006 --instance 3 --task t1",
		TimeoutSecs: 2.5, Sandbox: "/sb/t1", Params: wantParams}, got, "shell wins over the health port")

	noPort := testJob()
	noPort.Task.Processes[1].Cmdline = "serve --port {{thermos.ports[http]}}"
	got = taskapi.HealthCheckFor(noPort, "127.0.0.1", map[string]int{"http": 31006}, "/sb/t2", 0, "t2")
	assert.Equal(t, "none", got.Kind)
	assert.Equal(t, got, taskapi.HealthCheckFor(noPort, "127.0.0.1", map[string]int{"http": 31006}, "/sb/t2", 0, "t2"), "deterministic")
}

// scriptedServer answers /health by a script of "ok"/"fail" (the last
// entry repeats) and counts requests.
type scriptedServer struct {
	script []string
	count  atomic.Int64
	host   string
	port   int
}

func newScriptedServer(t *testing.T, script ...string) *scriptedServer {
	t.Helper()
	s := &scriptedServer{script: script}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(s.count.Add(1))
		if s.script[min(n, len(s.script))-1] == "ok" {
			_, _ = w.Write([]byte("ok"))
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	s.host = u.Hostname()
	s.port, err = strconv.Atoi(u.Port())
	require.NoError(t, err)
	return s
}

func (s *scriptedServer) check(p health.Params, sandbox string) taskapi.HealthCheckSpec {
	return taskapi.HealthCheckSpec{Kind: taskapi.CheckHTTP, Host: s.host, Port: s.port, Endpoint: "/health", Expected: "ok",
		TimeoutSecs: 5, Sandbox: sandbox, Params: p}
}

func watch(t *testing.T, env *testsuite.TestActivityEnvironment, acts *Activities, in taskapi.WatchHealthInput) taskapi.WatchHealthResult {
	t.Helper()
	val, err := env.ExecuteActivity(acts.WatchHealth, in)
	require.NoError(t, err)
	var res taskapi.WatchHealthResult
	require.NoError(t, val.Get(&res))
	return res
}

// TestWatchHealthRules runs rows of docs/semantics.md §3's table, times divided by 100,
// against a scripted endpoint: first until RUNNING, then, resumed, until
// FAILED.
func TestWatchHealthRules(t *testing.T) {
	rows := []struct {
		interval, initial float64
		mcf, mcs          int
		script            []string
		runningAt         int // 0: never RUNNING
		failedAt          int
	}{
		{0.1, 0.2, 0, 1, []string{"fail", "ok", "fail"}, 2, 3},
		{0.1, 0.2, 0, 1, []string{"ok", "fail", "fail"}, 1, 3},
		{0.1, 0.2, 0, 1, []string{"fail", "fail", "fail"}, 0, 3},
		{0.1, 0.15, 2, 2, []string{"ok", "ok", "fail"}, 2, 5},
		{0.1, 0.15, 1, 2, []string{"fail", "ok", "fail", "fail"}, 0, 4},
		{0.1, 0.15, 2, 4, []string{"fail"}, 0, 5},
		{0.1, 0, 0, 1, []string{"fail"}, 0, 1},
	}
	for _, row := range rows {
		t.Run(strings.Join(row.script, ","), func(t *testing.T) {
			srv := newScriptedServer(t, row.script...)
			acts := &Activities{Runtime: dockerrun.NewFake()}
			env := newEnv(t, acts)
			var mu sync.Mutex
			var beats []taskapi.HealthProgress
			env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
				var p taskapi.HealthProgress
				if d.HasValues() && d.Get(&p) == nil {
					mu.Lock()
					beats = append(beats, p)
					mu.Unlock()
				}
			})
			p := health.Params{InitialIntervalSecs: row.initial, IntervalSecs: row.interval,
				MaxConsecutiveFailures: row.mcf, MinConsecutiveSuccesses: row.mcs}
			in := taskapi.WatchHealthInput{TaskID: "t", Check: srv.check(p, t.TempDir()), Until: health.StatusRunning}
			res := watch(t, env, acts, in)
			if row.runningAt > 0 {
				require.Equal(t, health.StatusRunning, res.Status)
				assert.Equal(t, row.runningAt, res.Progress.Counter.Attempts)
				assert.Equal(t, row.runningAt, res.Progress.Counter.RunningSince)
				assert.EqualValues(t, row.runningAt, srv.count.Load())
				in.Until, in.Resume = health.StatusFailed, &res.Progress
				res = watch(t, env, acts, in)
			}
			require.Equal(t, health.StatusFailed, res.Status)
			assert.Equal(t, row.failedAt, res.Progress.Counter.FailedAt)
			assert.Equal(t, row.failedAt, res.Progress.History.Total)
			assert.EqualValues(t, row.failedAt, srv.count.Load(), "one request per attempt")
			assert.NotEmpty(t, res.Reason)
			assert.Equal(t, res.Reason, res.Progress.Counter.Reason)
			mu.Lock()
			defer mu.Unlock()
			require.NotEmpty(t, beats)
			// The SDK batches heartbeats (the activity test environment
			// has no heartbeat timeout), so only the first is sure to be
			// seen at once; docker_test.go checks resuming from them.
			assert.Equal(t, 1, beats[0].Counter.Attempts, "the first check was heartbeated")
		})
	}
}

func TestWatchHealthResume(t *testing.T) {
	p := health.Params{InitialIntervalSecs: 0, IntervalSecs: 0.5, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 3}
	acts := &Activities{Runtime: dockerrun.NewFake()}

	t.Run("heartbeat details win over Resume", func(t *testing.T) {
		srv := newScriptedServer(t, "ok")
		env := newEnv(t, acts)
		old := taskapi.HealthProgress{Counter: health.State{Attempts: 0, Status: health.StatusStarting}}
		newer := taskapi.HealthProgress{Counter: health.State{Attempts: 2, ConsecutiveSuccesses: 2, Status: health.StatusStarting},
			History: health.History{Limit: 5, Total: 2}}
		env.SetHeartbeatDetails(newer)
		res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t", Check: srv.check(p, ""), Until: health.StatusRunning, Resume: &old})
		assert.Equal(t, health.StatusRunning, res.Status)
		assert.Equal(t, 3, res.Progress.Counter.RunningSince, "two successes came from the heartbeat")
		assert.EqualValues(t, 1, srv.count.Load())
		assert.Equal(t, 3, res.Progress.History.Total)
	})
	t.Run("next check an interval after the last", func(t *testing.T) {
		srv := newScriptedServer(t, "ok")
		env := newEnv(t, acts)
		last := time.Now()
		resume := taskapi.HealthProgress{Counter: health.State{Attempts: 2, ConsecutiveSuccesses: 2}, LastCheckMs: last.UnixMilli()}
		res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t", Check: srv.check(p, ""), Until: health.StatusRunning, Resume: &resume})
		assert.Equal(t, health.StatusRunning, res.Status)
		assert.GreaterOrEqual(t, time.Since(last), 450*time.Millisecond)
		assert.EqualValues(t, 1, srv.count.Load())
	})
	t.Run("already there", func(t *testing.T) {
		srv := newScriptedServer(t, "ok")
		env := newEnv(t, acts)
		failed := taskapi.HealthProgress{Counter: health.State{Attempts: 1, Status: health.StatusFailed, Reason: "x", FailedAt: 1}}
		res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t", Check: srv.check(p, ""), Until: health.StatusFailed, Resume: &failed})
		assert.Equal(t, health.StatusFailed, res.Status)
		assert.Equal(t, "x", res.Reason)
		assert.Zero(t, srv.count.Load())
	})
}

func TestWatchHealthSnooze(t *testing.T) {
	srv := newScriptedServer(t, "fail")
	sandbox := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(sandbox, health.SnoozeFile), nil, 0o644))
	acts := &Activities{Runtime: dockerrun.NewFake()}
	env := newEnv(t, acts)
	p := health.Params{InitialIntervalSecs: 0, IntervalSecs: 0.1, MinConsecutiveSuccesses: 2}
	res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t", Check: srv.check(p, sandbox), Until: health.StatusRunning})
	assert.Equal(t, health.StatusRunning, res.Status)
	assert.Equal(t, 2, res.Progress.Counter.Attempts)
	assert.True(t, res.Progress.History.Snoozed())
	assert.Zero(t, srv.count.Load(), "snoozed checks are skipped")

	require.NoError(t, os.Remove(filepath.Join(sandbox, health.SnoozeFile)))
	res = watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t", Check: srv.check(p, sandbox), Until: health.StatusFailed, Resume: &res.Progress})
	assert.Equal(t, health.StatusFailed, res.Status)
	assert.Equal(t, 3, res.Progress.Counter.FailedAt)
	assert.EqualValues(t, 1, srv.count.Load())
}

func TestWatchHealthShell(t *testing.T) {
	fake := dockerrun.NewFake()
	var mu sync.Mutex
	var cmds [][]string
	ready := false
	fake.ExecFunc = func(taskID string, cmd []string) (int, string, error) {
		mu.Lock()
		defer mu.Unlock()
		cmds = append(cmds, cmd)
		if ready {
			return 0, "", nil
		}
		return 1, "not yet\n", nil
	}
	startFake(t, fake, "t-shell")
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	job := testJob()
	job.HealthCheckConfig = config.HealthCheckConfig{HealthChecker: config.HealthCheckerConfig{
		Shell: &config.ShellHealthChecker{ShellCommand: "test -f ready-{{mesos.instance}}"}},
		IntervalSecs: 0.1, MinConsecutiveSuccesses: 1, TimeoutSecs: 1}
	check := taskapi.HealthCheckFor(job, "127.0.0.1", nil, "", 4, "t-shell")

	res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t-shell", Check: check, Until: health.StatusRunning})
	assert.Equal(t, health.StatusFailed, res.Status)
	assert.Equal(t, "Command 'test -f ready-4' returned non-zero exit status 1. Output: not yet", res.Reason)

	mu.Lock()
	ready = true
	mu.Unlock()
	res = watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t-shell", Check: check, Until: health.StatusRunning})
	assert.Equal(t, health.StatusRunning, res.Status)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, [][]string{{"/bin/sh", "-c", "test -f ready-4"}, {"/bin/sh", "-c", "test -f ready-4"}}, cmds)
}

func TestWatchHealthNoneAndErrors(t *testing.T) {
	acts := &Activities{Runtime: dockerrun.NewFake(), HeartbeatInterval: 10 * time.Millisecond}
	env := newEnv(t, acts)
	none := taskapi.HealthCheckSpec{Kind: taskapi.CheckNone, Params: health.DefaultParams()}
	res := watch(t, env, acts, taskapi.WatchHealthInput{TaskID: "t", Check: none, Until: health.StatusRunning})
	assert.Equal(t, health.StatusRunning, res.Status)

	// Watching a task without checks for FAILED blocks until cancelled.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := acts.WatchHealth(ctx, taskapi.WatchHealthInput{TaskID: "t", Check: none, Until: health.StatusFailed})
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// So does a check loop; the abandoned check is not counted.
	srv := newScriptedServer(t, "ok")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	p := health.Params{IntervalSecs: 10, MinConsecutiveSuccesses: 1}
	_, err = acts.WatchHealth(ctx2, taskapi.WatchHealthInput{TaskID: "t", Check: srv.check(p, ""), Until: health.StatusFailed})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.EqualValues(t, 1, srv.count.Load())

	_, err = env.ExecuteActivity(acts.WatchHealth, taskapi.WatchHealthInput{TaskID: "t", Check: taskapi.HealthCheckSpec{Kind: "tcp"}, Until: health.StatusRunning})
	ae := appError(t, err)
	assert.Equal(t, taskapi.ErrTypeInvalidHealthCheck, ae.Type())
	assert.True(t, ae.NonRetryable())
	_, err = env.ExecuteActivity(acts.WatchHealth, taskapi.WatchHealthInput{TaskID: "t", Check: none, Until: health.StatusStarting})
	assert.True(t, appError(t, err).NonRetryable())
}

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
