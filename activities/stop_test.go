package activities

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
)

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
