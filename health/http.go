package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// MaxBodyBytes is how much of a health endpoint's response body is read; the
// rest is discarded unread.
const MaxBodyBytes = 64 << 10

// maxQuotedBody bounds how much of the body a mismatch reason quotes.
const maxQuotedBody = 100

// DefaultHTTPHost is the host an [HTTPChecker] with an empty Host queries.
const DefaultHTTPHost = "127.0.0.1"

// RetryInterval is how long a check waits, after a connection that was
// refused, reset or closed before any HTTP answer, before it connects again.
const RetryInterval = 50 * time.Millisecond

// defaultHTTPClient makes one connection per check, never goes through a
// proxy and never follows a redirect: a health endpoint is reached
// directly, as Aurora's executor did, and a 3xx is the task's answer.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{}).DialContext,
	},
	CheckRedirect: noRedirect,
}

// noRedirect makes a client return a 3xx answer instead of following it.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// HTTPChecker is Aurora's HttpHealthChecker: it GETs
// http://Host:Port/Endpoint and compares the response with what is expected
// (docs/semantics.md §3).
type HTTPChecker struct {
	// Host is the address the task's health port is published on; empty
	// means [DefaultHTTPHost].
	Host string
	// Port is the task's health port on Host.
	Port int
	// Endpoint is the path to GET, for example "/health"; a missing leading
	// slash is added.
	Endpoint string
	// ExpectedResponse, when not empty, is the body a healthy task answers,
	// compared after trimming white space and ignoring case.
	ExpectedResponse string
	// ExpectedResponseCode, when not 0, is the status code a healthy task
	// answers.
	ExpectedResponseCode int
	// Timeout bounds the whole check, body included; 0 means only ctx does.
	Timeout time.Duration
	// Client sends the request; nil means a client without keep-alives or
	// proxies. Whatever its CheckRedirect, the checker never follows a
	// redirect.
	Client *http.Client
}

// URL returns the address the checker GETs.
func (h *HTTPChecker) URL() string {
	host := h.Host
	if host == "" {
		host = DefaultHTTPHost
	}
	endpoint := h.Endpoint
	if !strings.HasPrefix(endpoint, "/") {
		endpoint = "/" + endpoint
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(h.Port)) + endpoint
}

// Check performs one attempt and judges it:
//   - a non-2xx response has an empty body;
//   - if ExpectedResponse is set and the body, trimmed and lower-cased,
//     differs from it lower-cased, the task is unhealthy;
//   - else if ExpectedResponseCode is set and the code differs, the task is
//     unhealthy;
//   - else a redirect (3xx), which is never followed, is unhealthy;
//   - else it is healthy.
//
// Within the attempt, a connection that is refused, reset, or closed before
// any HTTP answer (Docker's port proxy accepts, then drops the connection
// while the task's process is not listening yet) is tried again every
// [RetryInterval] until Timeout has passed; the tries share that timeout.
// A timeout, a DNS error or any HTTP answer ends the attempt at once.
// Connection errors and timeouts are unhealthy with the last error as reason.
func (h *HTTPChecker) Check(ctx context.Context) Outcome {
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.Timeout)
		defer cancel()
	}
	body, code, err := h.get(ctx)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && h.Timeout > 0 {
			return Outcome{Reason: fmt.Sprintf("Health check timed out after %s: %v", h.Timeout, err)}
		}
		return Outcome{Reason: err.Error()}
	}
	got := strings.TrimSpace(body)
	if h.ExpectedResponse != "" && !strings.EqualFold(got, h.ExpectedResponse) {
		return Outcome{Reason: fmt.Sprintf("Response differs from expected response (expected %q, got %q)",
			h.ExpectedResponse, shorten(got, maxQuotedBody))}
	}
	if h.ExpectedResponseCode != 0 && code != h.ExpectedResponseCode {
		return Outcome{Reason: fmt.Sprintf("Response code differs from expected response (expected %d, got %d)",
			h.ExpectedResponseCode, code)}
	}
	if code >= 300 && code <= 399 {
		return Outcome{Reason: fmt.Sprintf("Response is a redirect, which is not followed (got %d)", code)}
	}
	return Outcome{Healthy: true}
}

// get sends the request, trying again while the connection fails before
// any answer, and returns at most MaxBodyBytes of a 2xx body ("" for any
// other code) and the status code.
func (h *HTTPChecker) get(ctx context.Context) (string, int, error) {
	client := h.client()
	var last error // the last failure before any answer
	for {
		resp, connected, err := h.send(ctx, client)
		if err == nil {
			return h.read(resp)
		}
		if last != nil && !connected && ctx.Err() != nil {
			// The attempt ended while this try was still connecting: it
			// learnt nothing the previous try did not.
			return "", 0, last
		}
		if !beforeAnswer(err) || ctx.Err() != nil {
			return "", 0, err
		}
		last = err
		t := time.NewTimer(RetryInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", 0, last
		case <-t.C:
		}
	}
}

// client returns the client to send with: never one that follows redirects.
func (h *HTTPChecker) client() *http.Client {
	if h.Client == nil {
		return defaultHTTPClient
	}
	c := *h.Client
	c.CheckRedirect = noRedirect
	return &c
}

// send makes one try and reports whether it got a connection.
func (h *HTTPChecker) send(ctx context.Context, client *http.Client) (*http.Response, bool, error) {
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL(), nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := client.Do(req)
	return resp, connected.Load(), err
}

// read returns at most MaxBodyBytes of a 2xx body ("" for any other code)
// and the status code, and closes the body.
func (h *HTTPChecker) read(resp *http.Response) (string, int, error) {
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", resp.StatusCode, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
	if err != nil {
		return "", resp.StatusCode, fmt.Errorf("reading response of %s: %w", h.URL(), err)
	}
	return string(b), resp.StatusCode, nil
}

// errServerClosedIdle is the message of net/http's unexported error for a
// connection the server closed before the request was written: on a fresh
// connection it is an EOF before any answer.
const errServerClosedIdle = "http: server closed idle connection"

// beforeAnswer reports whether err, from sending a request, means the
// connection was refused, reset or closed before any HTTP answer came, so
// that the endpoint may just not be listening yet. Timeouts are not.
func beforeAnswer(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error() == errServerClosedIdle
}
