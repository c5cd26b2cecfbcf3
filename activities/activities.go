package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/metrics"
)

// Activities are Borealis's activities, with their dependencies. Every
// exported method is an activity; register the struct with
// worker.RegisterActivity(&Activities{...}).
type Activities struct {
	// Runtime runs the task containers (required).
	Runtime dockerrun.Runtime
	// Logger receives what the activities do (default slog.Default()).
	Logger *slog.Logger
	// HTTPClient sends health checks and lifecycle requests (default: a
	// client without keep-alives or proxies, as a task's endpoints are
	// reached directly).
	HTTPClient *http.Client
	// HeartbeatInterval is how often a waiting activity heartbeats
	// (default [DefaultHeartbeatInterval]; never more than half the
	// activity's heartbeat timeout).
	HeartbeatInterval time.Duration
	// Restart is the cluster's flapping back-off (the worker's settings),
	// reported with every task's end; zero: none, and each job's own applies.
	Restart taskapi.RestartPolicy
	// Policy is what the worker allows a job config: Docker parameters,
	// volume host paths, root, the instance cap (docs/semantics.md §7.5);
	// nil: [DefaultPolicy].
	Policy *Policy
	// SecretsDir holds a file per {{secret[NAME]}} (the secrets.dir
	// setting); empty: secrets come from the worker's environment only.
	SecretsDir string
	// Tasks receives what the activities learn of their tasks' health,
	// for the worker's per-job gauges (metrics.JobCollector); nil: none.
	Tasks *metrics.Tasks
}

// DefaultHeartbeatInterval is how often waiting activities heartbeat when
// [Activities.HeartbeatInterval] is zero.
const DefaultHeartbeatInterval = 5 * time.Second

// defaultHTTPClient reaches task endpoints directly, one connection per
// request, and never follows a redirect: a 3xx is the task's answer.
var defaultHTTPClient = &http.Client{
	Transport: &http.Transport{
		Proxy:             nil,
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{}).DialContext,
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Helpers are package functions, not methods: every exported method of
// Activities is registered as an activity.

// restartPolicy is what a task's end reports of a.Restart.
func restartPolicy(a *Activities) *taskapi.RestartPolicy {
	if a.Restart == (taskapi.RestartPolicy{}) {
		return nil
	}
	p := a.Restart
	return &p
}

func loggerOf(a *Activities) *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.Default()
}

func httpClientOf(a *Activities) *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return defaultHTTPClient
}

// heartbeatEvery is how often to heartbeat in ctx's activity: the
// configured interval, at most half the heartbeat timeout.
func heartbeatEvery(ctx context.Context, a *Activities) time.Duration {
	every := a.HeartbeatInterval
	if every <= 0 {
		every = DefaultHeartbeatInterval
	}
	if activity.IsActivity(ctx) {
		if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/2 < every {
			every = max(hb/2, 10*time.Millisecond)
		}
	}
	return every
}

// heartbeat records a heartbeat when ctx is an activity's; the methods are
// also callable directly (by the CLI or tests) with a plain context.
func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}

// count adds one to the counter name, tagged key=value, of ctx's activity's
// metrics handler (package metrics names them); with a plain context it
// does nothing.
func count(ctx context.Context, name, key, value string) {
	if activity.IsActivity(ctx) {
		activity.GetMetricsHandler(ctx).WithTags(map[string]string{key: value}).Counter(name).Inc(1)
	}
}

// whileHeartbeating runs fn in a goroutine and heartbeats (with the
// details details returns, or none) until it returns. When ctx ends first
// it still waits for fn, which must honour ctx.
func whileHeartbeating[T any](ctx context.Context, a *Activities, details func() []any, fn func(ctx context.Context) (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fn(ctx)
		done <- result{v, err}
	}()
	ticker := time.NewTicker(heartbeatEvery(ctx, a))
	defer ticker.Stop()
	for {
		select {
		case r := <-done:
			return r.v, r.err
		case <-ticker.C:
			var d []any
			if details != nil {
				d = details()
			}
			heartbeat(ctx, d...)
		}
	}
}

// runtimeError turns a dockerrun error into an activity error: ErrInvalid
// and ErrConflict (and ErrNotFound) are non-retryable, anything else
// (ErrUnavailable included) is retryable. A cancelled context is returned
// as it is. what says what was being done, for the message.
func runtimeError(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	msg := fmt.Sprintf("%s: %v", what, err)
	switch {
	case errors.Is(err, dockerrun.ErrInvalid):
		return temporal.NewNonRetryableApplicationError(msg, taskapi.ErrTypeInvalidTask, err)
	case errors.Is(err, dockerrun.ErrConflict):
		return temporal.NewNonRetryableApplicationError(msg, taskapi.ErrTypeConflict, err)
	case errors.Is(err, dockerrun.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(msg, taskapi.ErrTypeNotFound, err)
	case errors.Is(err, dockerrun.ErrUnavailable):
		return temporal.NewApplicationError(msg, taskapi.ErrTypeDockerUnavailable, err)
	}
	return temporal.NewApplicationError(msg, taskapi.ErrTypeDocker, err)
}
