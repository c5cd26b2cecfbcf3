package health

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve starts a real HTTP server on loopback and returns a checker aimed
// at it, with Aurora's default endpoint and expected response.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *HTTPChecker) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	return srv, &HTTPChecker{
		Host:             u.Hostname(),
		Port:             port,
		Endpoint:         "/health",
		ExpectedResponse: "ok",
		Timeout:          5 * time.Second,
	}
}

// answer returns a handler that replies with code and body.
func answer(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

func TestHTTPCheckerVerdicts(t *testing.T) {
	long := strings.Repeat("x", 1000)
	tests := []struct {
		name         string
		code         int
		body         string
		expected     string
		expectedCode int
		wantHealthy  bool
		wantReason   string
	}{
		{"ok", 200, "ok", "ok", 0, true, ""},
		{"case and white space", 200, "  OK\r\n", "ok", 0, true, ""},
		{"expected in upper case", 200, "ok\n", "OK", 0, true, ""},
		{"other 2xx", 204, "", "", 0, true, ""},
		{"body differs", 200, "not ok", "ok", 0, false,
			`Response differs from expected response (expected "ok", got "not ok")`},
		{"body quoted trimmed", 200, "  Broken\n", "ok", 0, false,
			`Response differs from expected response (expected "ok", got "Broken")`},
		{"long body shortened", 200, long, "ok", 0, false,
			`Response differs from expected response (expected "ok", got "` + long[:maxQuotedBody] + `...")`},
		{"non-2xx has an empty body", 503, "ok", "ok", 0, false,
			`Response differs from expected response (expected "ok", got "")`},
		{"non-2xx without expectations is healthy", 503, "ok", "", 0, true, ""},
		{"code matches", 200, "whatever", "", 200, true, ""},
		{"code differs", 503, "", "", 200, false,
			"Response code differs from expected response (expected 200, got 503)"},
		{"body checked before code", 503, "", "ok", 200, false,
			`Response differs from expected response (expected "ok", got "")`},
		{"body and code match", 200, "OK", "ok", 200, true, ""},
		{"code differs with matching body", 201, "ok", "ok", 200, false,
			"Response code differs from expected response (expected 200, got 201)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := serve(t, answer(tt.code, tt.body))
			c.ExpectedResponse = tt.expected
			c.ExpectedResponseCode = tt.expectedCode
			got := c.Check(context.Background())
			assert.Equal(t, Outcome{Healthy: tt.wantHealthy, Reason: tt.wantReason}, got)
		})
	}
}

func TestHTTPCheckerRequest(t *testing.T) {
	var gotMethod, gotPath atomic.Value
	_, c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		gotMethod.Store(r.Method)
		gotPath.Store(r.URL.Path)
		fmt.Fprint(w, "ok")
	})
	c.Endpoint = "status/health" // the leading slash is added
	assert.True(t, c.Check(context.Background()).Healthy)
	assert.Equal(t, http.MethodGet, gotMethod.Load())
	assert.Equal(t, "/status/health", gotPath.Load())
	assert.Equal(t, "http://"+net.JoinHostPort(c.Host, strconv.Itoa(c.Port))+"/status/health", c.URL())

	assert.Equal(t, "http://127.0.0.1:8080/health", (&HTTPChecker{Port: 8080, Endpoint: "/health"}).URL())
	assert.Equal(t, "http://[::1]:8080/", (&HTTPChecker{Host: "::1", Port: 8080}).URL())
}

// TestHTTPCheckerRealListener serves from a plain net.Listener and
// http.Server, the way a task's process does, on the default host.
func TestHTTPCheckerRealListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: answer(200, "ok\n"), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		<-done
	})
	c := &HTTPChecker{Port: ln.Addr().(*net.TCPAddr).Port, Endpoint: "/health",
		ExpectedResponse: "ok", ExpectedResponseCode: 200, Timeout: 5 * time.Second}
	assert.Equal(t, Outcome{Healthy: true}, c.Check(context.Background()))
}

func TestHTTPCheckerConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	c := &HTTPChecker{Host: "127.0.0.1", Port: port, Endpoint: "/health", ExpectedResponse: "ok", Timeout: 5 * time.Second}
	got := c.Check(context.Background())
	assert.False(t, got.Healthy)
	assert.Contains(t, got.Reason, "connection refused")
	assert.Contains(t, got.Reason, c.URL())
}

func TestHTTPCheckerTimeouts(t *testing.T) {
	// The handler holds the request until the client gives up.
	t.Run("no response", func(t *testing.T) {
		_, c := serve(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		c.Timeout = 100 * time.Millisecond
		start := time.Now()
		got := c.Check(context.Background())
		assert.Less(t, time.Since(start), 3*time.Second)
		assert.False(t, got.Healthy)
		assert.Contains(t, got.Reason, "Health check timed out after 100ms")
		assert.Contains(t, got.Reason, "deadline exceeded")
	})
	// Headers arrive, the body never ends: the timeout covers the body.
	t.Run("slow body", func(t *testing.T) {
		_, c := serve(t, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "o")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		})
		c.Timeout = 100 * time.Millisecond
		got := c.Check(context.Background())
		assert.False(t, got.Healthy)
		assert.Contains(t, got.Reason, "deadline exceeded")
	})
	// The caller's context ends the check too, without calling it a timeout.
	t.Run("caller cancels", func(t *testing.T) {
		_, c := serve(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		c.Timeout = 0
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got := c.Check(ctx)
		assert.False(t, got.Healthy)
		assert.Contains(t, got.Reason, "context canceled")
		assert.NotContains(t, got.Reason, "timed out")
	})
}

// TestHTTPCheckerClosesConnections checks that repeated checks, big bodies
// and error codes included, leave no connection open behind them.
func TestHTTPCheckerClosesConnections(t *testing.T) {
	var mu sync.Mutex
	open := 0
	var calls atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		switch calls.Add(1) % 3 {
		case 0:
			fmt.Fprint(w, strings.Repeat("a", 4*MaxBodyBytes)) // more than is read
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "down")
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open++
		case http.StateClosed, http.StateHijacked:
			open--
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	c := &HTTPChecker{Host: u.Hostname(), Port: port, Endpoint: "/health", ExpectedResponse: "ok", Timeout: 5 * time.Second}

	healthy := 0
	for range 30 {
		if c.Check(context.Background()).Healthy {
			healthy++
		}
	}
	assert.Equal(t, 10, healthy)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return open == 0
	}, 5*time.Second, 10*time.Millisecond, "connections left open")
}

// TestHTTPCheckerDrivesCounter runs the counter on a real endpoint that
// becomes healthy after a few requests, as a slow-starting task does.
func TestHTTPCheckerDrivesCounter(t *testing.T) {
	var calls atomic.Int64
	_, c := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) <= 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	})
	// m = 2, n = 2 + 1 + 2 = 5: F, F ignored, F counted (1 ≤ 1), S, S.
	counter := NewCounter(Params{InitialIntervalSecs: 15, IntervalSecs: 10, MaxConsecutiveFailures: 1, MinConsecutiveSuccesses: 2})
	history := NewHistory(3)
	var got []Status
	for range 5 {
		r := Measure(context.Background(), c)
		history.Add(r)
		got = append(got, counter.Record(r.Outcome()))
	}
	assert.Equal(t, []Status{st, st, st, st, ru}, got)
	assert.Equal(t, 2, history.ConsecutiveSuccesses)
	assert.Equal(t, 3, history.TotalFailures)
	assert.Len(t, history.Results, 3)
}

func TestHTTPCheckerBadAddress(t *testing.T) {
	c := &HTTPChecker{Host: "bad host", Port: 80, Endpoint: "/health", ExpectedResponse: "ok"}
	got := c.Check(context.Background())
	assert.False(t, got.Healthy)
	assert.Contains(t, got.Reason, "invalid")
}
