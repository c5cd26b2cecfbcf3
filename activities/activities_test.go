package activities

import (
	"context"
	"errors"
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
	// The runner in the container runs the check and kills it at the timeout.
	viaRunner := []string{dockerrun.RunnerMountPath, "check", "--timeout", "1", "--", "/bin/sh", "-c", "test -f ready-4"}
	assert.Equal(t, [][]string{viaRunner, viaRunner}, cmds)
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
