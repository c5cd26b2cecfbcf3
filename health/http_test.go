package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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

// freePort returns a loopback port that nobody listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// dialClient returns a client like the default one that dials with dial.
func dialClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	tr := defaultHTTPClient.Transport.(*http.Transport).Clone()
	tr.DialContext = dial
	return &http.Client{Transport: tr}
}

// countingHandler answers "ok" and counts the requests it gets.
func countingHandler(requests *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		fmt.Fprint(w, "ok")
	}
}

// TestHTTPCheckerWaitsForListener: the task's process starts listening
// after the check's first connections were refused; the same attempt goes
// on connecting and reports the process healthy.
func TestHTTPCheckerWaitsForListener(t *testing.T) {
	port := freePort(t)
	refused := make(chan error, 100)
	var dialer net.Dialer
	client := dialClient(func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			select {
			case refused <- err:
			default:
			}
		}
		return conn, err
	})
	var requests atomic.Int64
	srv := &http.Server{Handler: countingHandler(&requests), ReadHeaderTimeout: 5 * time.Second}
	listening := make(chan error, 1)
	served := make(chan error, 1)
	const refusals = 4 // about 200 ms at RetryInterval
	go func() {
		for range refusals {
			select {
			case err := <-refused:
				if !errors.Is(err, syscall.ECONNREFUSED) {
					listening <- fmt.Errorf("dial failed otherwise: %w", err)
					return
				}
			case <-time.After(5 * time.Second):
				listening <- errors.New("no connection was refused")
				return
			}
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		listening <- err
		if err == nil {
			served <- srv.Serve(ln)
		}
	}()

	c := &HTTPChecker{Port: port, Endpoint: "/health", ExpectedResponse: "ok", Timeout: 5 * time.Second, Client: client}
	start := time.Now()
	got := c.Check(context.Background())
	elapsed := time.Since(start)
	select {
	case err := <-listening:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		require.Fail(t, "the server never started")
	}
	require.NoError(t, srv.Close())
	<-served

	assert.Equal(t, Outcome{Healthy: true}, got)
	assert.Equal(t, int64(1), requests.Load())
	assert.GreaterOrEqual(t, elapsed, (refusals-1)*RetryInterval, "waited between tries")
	assert.Less(t, elapsed, c.Timeout)
}

// TestHTTPCheckerRetriesDroppedConnections: like Docker's port proxy before
// the task's process listens, the port accepts connections and drops them
// before any answer; the attempt goes on until the process answers.
func TestHTTPCheckerRetriesDroppedConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var requests atomic.Int64
	srv := &http.Server{Handler: countingHandler(&requests), ReadHeaderTimeout: 5 * time.Second}
	const drops = 4 // about 200 ms at RetryInterval
	var dropped atomic.Int64
	served := make(chan error, 1)
	go func() {
		for range drops {
			conn, err := ln.Accept()
			if err != nil {
				served <- err
				return
			}
			_ = conn.Close()
			dropped.Add(1)
		}
		served <- srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = ln.Close()
		<-served
	})

	c := &HTTPChecker{Port: ln.Addr().(*net.TCPAddr).Port, Endpoint: "/health", ExpectedResponse: "ok", Timeout: 5 * time.Second}
	got := c.Check(context.Background())
	assert.Equal(t, Outcome{Healthy: true}, got)
	assert.Equal(t, int64(drops), dropped.Load())
	assert.Equal(t, int64(1), requests.Load())
}

// TestHTTPCheckerConnectionRefused: a port that never listens fails the
// attempt once its timeout has passed, with the refusal as reason.
func TestHTTPCheckerConnectionRefused(t *testing.T) {
	const timeout = 500 * time.Millisecond
	port := freePort(t)
	check := func(t *testing.T, c *HTTPChecker) {
		t.Helper()
		start := time.Now()
		got := c.Check(context.Background())
		elapsed := time.Since(start)
		assert.False(t, got.Healthy)
		assert.Contains(t, got.Reason, "connection refused")
		assert.Contains(t, got.Reason, c.URL())
		assert.NotContains(t, got.Reason, "timed out")
		assert.GreaterOrEqual(t, elapsed, timeout, "tried until the timeout")
		assert.Less(t, elapsed, timeout+time.Second, "not much longer")
	}
	t.Run("default client", func(t *testing.T) {
		check(t, &HTTPChecker{Host: "127.0.0.1", Port: port, Endpoint: "/health", ExpectedResponse: "ok", Timeout: timeout})
	})
	t.Run("one try every RetryInterval", func(t *testing.T) {
		var dials atomic.Int64
		var dialer net.Dialer
		client := dialClient(func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return dialer.DialContext(ctx, network, addr)
		})
		check(t, &HTTPChecker{Port: port, Endpoint: "/health", ExpectedResponse: "ok", Timeout: timeout, Client: client})
		assert.GreaterOrEqual(t, dials.Load(), int64(3))
		assert.LessOrEqual(t, dials.Load(), int64(timeout/RetryInterval)+1)
	})
}

// TestHTTPCheckerAnswerEndsAttempt: any HTTP answer, and a timeout, end the
// attempt at once: the endpoint gets one request.
func TestHTTPCheckerAnswerEndsAttempt(t *testing.T) {
	t.Run("500", func(t *testing.T) {
		var requests atomic.Int64
		srv, c := serve(t, func(w http.ResponseWriter, _ *http.Request) {
			requests.Add(1)
			w.WriteHeader(http.StatusInternalServerError)
		})
		start := time.Now()
		got := c.Check(context.Background())
		assert.Less(t, time.Since(start), time.Second)
		srv.Close()
		assert.Equal(t, Outcome{Reason: `Response differs from expected response (expected "ok", got "")`}, got)
		assert.Equal(t, int64(1), requests.Load())
	})
	t.Run("timeout", func(t *testing.T) {
		var requests atomic.Int64
		srv, c := serve(t, func(_ http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			<-r.Context().Done()
		})
		c.Timeout = 200 * time.Millisecond
		got := c.Check(context.Background())
		srv.Close() // waits for the handler
		assert.False(t, got.Healthy)
		assert.Contains(t, got.Reason, "Health check timed out after 200ms")
		assert.Equal(t, int64(1), requests.Load())
	})
}

// TestHTTPCheckerDialErrorsEndAttempt: a DNS error or a dial timeout is not
// tried again.
func TestHTTPCheckerDialErrorsEndAttempt(t *testing.T) {
	for name, dialErr := range map[string]error{
		"dns":          &net.DNSError{Err: "no such host", Name: "task.invalid", IsNotFound: true},
		"dial timeout": &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded},
	} {
		t.Run(name, func(t *testing.T) {
			var dials atomic.Int64
			client := dialClient(func(context.Context, string, string) (net.Conn, error) {
				dials.Add(1)
				return nil, dialErr
			})
			c := &HTTPChecker{Port: 80, Endpoint: "/health", ExpectedResponse: "ok", Timeout: 5 * time.Second, Client: client}
			start := time.Now()
			got := c.Check(context.Background())
			assert.Less(t, time.Since(start), time.Second)
			assert.False(t, got.Healthy)
			assert.Contains(t, got.Reason, dialErr.Error())
			assert.Equal(t, int64(1), dials.Load())
		})
	}
}

func TestBeforeAnswer(t *testing.T) {
	get := func(err error) error { return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/health", Err: err} }
	sys := func(op string, errno syscall.Errno) error {
		return get(&net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)})
	}
	for name, err := range map[string]error{
		"refused":          sys("dial", syscall.ECONNREFUSED),
		"reset":            sys("read", syscall.ECONNRESET),
		"broken pipe":      sys("write", syscall.EPIPE),
		"EOF":              get(io.EOF),
		"unexpected EOF":   get(io.ErrUnexpectedEOF),
		"closed unwritten": get(errors.New("http: server closed idle connection")),
	} {
		assert.True(t, beforeAnswer(err), name)
	}
	for name, err := range map[string]error{
		"deadline":     get(context.DeadlineExceeded),
		"canceled":     get(context.Canceled),
		"dial timeout": get(&net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}),
		"dns":          get(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}}),
		"malformed":    get(errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "hello"`)),
		"bad url":      &url.Error{Op: "parse", URL: "http://bad host:80/", Err: errors.New("invalid character \" \" in host name")},
	} {
		assert.False(t, beforeAnswer(err), name)
	}
}

// TestHTTPCheckerRedirectNotFollowed: a 3xx is the task's answer, and an
// unhealthy one; its target is never asked, whatever the client.
func TestHTTPCheckerRedirectNotFollowed(t *testing.T) {
	var targetRequests, requests atomic.Int64
	target := httptest.NewServer(countingHandler(&targetRequests))
	t.Cleanup(target.Close)
	_, base := serve(t, func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		code, err := strconv.Atoi(r.URL.Query().Get("code"))
		if err != nil {
			code = http.StatusFound
		}
		http.Redirect(w, r, target.URL+"/health", code)
	})
	plain := &http.Client{}
	follows := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
	tests := []struct {
		name         string
		endpoint     string
		expected     string
		expectedCode int
		client       *http.Client
		want         string
	}{
		{"expected body", "/health", "ok", 0, nil,
			`Response differs from expected response (expected "ok", got "")`},
		{"expected code", "/health", "", 200, nil,
			"Response code differs from expected response (expected 200, got 302)"},
		{"no expectations", "/health", "", 0, nil,
			"Response is a redirect, which is not followed (got 302)"},
		{"permanent", "/health?code=308", "", 200, nil,
			"Response code differs from expected response (expected 200, got 308)"},
		{"caller's client", "/health", "ok", 0, plain,
			`Response differs from expected response (expected "ok", got "")`},
		{"caller's client that follows", "/health?code=307", "", 200, follows,
			"Response code differs from expected response (expected 200, got 307)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *base
			c.Endpoint, c.ExpectedResponse, c.ExpectedResponseCode, c.Client = tt.endpoint, tt.expected, tt.expectedCode, tt.client
			assert.Equal(t, Outcome{Reason: tt.want}, c.Check(context.Background()))
		})
	}
	assert.Equal(t, int64(len(tests)), requests.Load())
	assert.Zero(t, targetRequests.Load(), "the redirect's target was asked")
	assert.Nil(t, plain.CheckRedirect, "the caller's client is left as it was")
}
