package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxBodyBytes is how much of a health endpoint's response body is read; the
// rest is discarded unread.
const MaxBodyBytes = 64 << 10

// maxQuotedBody bounds how much of the body a mismatch reason quotes.
const maxQuotedBody = 100

// DefaultHTTPHost is the host an [HTTPChecker] with an empty Host queries.
const DefaultHTTPHost = "127.0.0.1"

// defaultHTTPClient makes one connection per check and never goes through
// a proxy: a health endpoint is reached directly, as Aurora's executor did.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{}).DialContext,
	},
}

// HTTPChecker is Aurora's HttpHealthChecker: it GETs
// http://Host:Port/Endpoint and compares the response with what is expected
// (SPEC §3).
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
	// proxies.
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

// Check performs one GET and judges it:
//   - a non-2xx response has an empty body;
//   - if ExpectedResponse is set and the body, trimmed and lower-cased,
//     differs from it lower-cased, the task is unhealthy;
//   - else if ExpectedResponseCode is set and the code differs, the task is
//     unhealthy;
//   - else it is healthy.
//
// Connection errors and timeouts are unhealthy with the error as reason.
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
	return Outcome{Healthy: true}
}

// get sends the request and returns at most MaxBodyBytes of a 2xx body ("" for
// any other code) and the status code.
func (h *HTTPChecker) get(ctx context.Context) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL(), nil)
	if err != nil {
		return "", 0, err
	}
	client := h.Client
	if client == nil {
		client = defaultHTTPClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, err
	}
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
