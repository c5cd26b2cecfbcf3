package activities

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

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
)

// LifecycleRequestTimeout bounds each POST to a task's lifecycle endpoint.
const LifecycleRequestTimeout = time.Second

// StopTask stops a task the docs/semantics.md §4 way and records each step in the
// result:
//
//  1. A task without a container, or whose container has exited, is
//     already stopped: nothing else happens.
//  2. When it has a health port and a lifecycle: POST the graceful
//     shutdown endpoint (/quitquitquit) and wait up to
//     graceful_shutdown_wait_secs for the container to exit; then POST the
//     shutdown endpoint (/abortabortabort) and wait up to
//     shutdown_wait_secs. An endpoint that does not answer 2xx (refused,
//     404, timed out after [LifecycleRequestTimeout]) is not waited for.
//  3. SIGTERM; final processes run; SIGKILL after finalization_wait.
//  4. Meanwhile, the containers of in.Remove (earlier ended tasks) are removed.
//
// It heartbeats while it waits. Stopping a stopped or missing task
// succeeds, so a retried StopTask is harmless.
func (a *Activities) StopTask(ctx context.Context, in taskapi.StopTaskInput) (taskapi.StopTaskResult, error) {
	log := loggerOf(a).With("task", in.TaskID)
	// The containers to remove belong to tasks that ended before: they go
	// while this one stops, not after it.
	removed := make(chan error, 1)
	go func() {
		var errs []error
		for _, id := range in.Remove {
			errs = append(errs, a.RemoveTask(ctx, id))
		}
		removed <- errors.Join(errs...)
	}()
	s := &stopper{a: a, in: in}
	res, err := s.run(ctx)
	if rerr := <-removed; err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		log.Warn("stop failed", "steps", s.steps, "error", err)
		return res, err
	}
	res.Exit = a.exitOf(ctx, in.TaskID)
	log.Info("task stopped", "steps", res.Steps)
	return res, nil
}

// exitOf is how a stopped task's container ended, or nil when that is not
// known here (the container is gone, or Docker did not answer): WaitTask
// tells then.
func (a *Activities) exitOf(ctx context.Context, taskID string) *taskapi.WaitTaskResult {
	st, err := a.Runtime.Inspect(ctx, taskID)
	if err != nil || st.Running {
		return nil
	}
	res := exitResult(st.ExitCode, st.OOMKilled, "", st.FinishedAt)
	res.Restart = restartPolicy(a)
	return &res
}

// stopper carries one StopTask's steps.
type stopper struct {
	a     *Activities
	in    taskapi.StopTaskInput
	steps []string
}

func (s *stopper) step(format string, args ...any) {
	s.steps = append(s.steps, fmt.Sprintf(format, args...))
}

func (s *stopper) result() taskapi.StopTaskResult {
	return taskapi.StopTaskResult{Steps: s.steps}
}

func (s *stopper) run(ctx context.Context) (taskapi.StopTaskResult, error) {
	st, err := s.a.Runtime.Inspect(ctx, s.in.TaskID)
	switch {
	case errors.Is(err, dockerrun.ErrNotFound):
		s.step("no container: already stopped")
		return s.result(), nil
	case err != nil:
		return s.result(), runtimeError(ctx, "stop task "+s.in.TaskID, err)
	case !st.Running:
		s.step("already exited with code %d", st.ExitCode)
		return s.result(), nil
	}

	if lc := s.in.Lifecycle; s.in.HealthPort > 0 && lc != nil {
		def := config.DefaultHTTPLifecycleConfig()
		phases := []struct {
			endpoint, defEndpoint string
			wait                  int
			done                  string
		}{
			{lc.GracefulShutdownEndpoint, def.GracefulShutdownEndpoint, lc.GracefulShutdownWaitSecs, "exited after graceful shutdown"},
			{lc.ShutdownEndpoint, def.ShutdownEndpoint, lc.ShutdownWaitSecs, "exited after shutdown"},
		}
		for _, p := range phases {
			endpoint := p.endpoint
			if endpoint == "" {
				endpoint = p.defEndpoint
			}
			if !s.post(ctx, endpoint) {
				continue
			}
			wait := time.Duration(max(p.wait, 0)) * time.Second
			exited, err := s.waitExit(ctx, wait)
			if err != nil {
				return s.result(), err
			}
			if exited {
				s.step("%s", p.done)
				return s.result(), nil
			}
			s.step("still running after %s", wait)
		}
	}

	grace := time.Duration(max(s.in.FinalizationWait, 0)) * time.Second
	_, err = whileHeartbeating(ctx, s.a, func() []any { return []any{s.steps} }, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.a.Runtime.Stop(ctx, s.in.TaskID, grace)
	})
	if err != nil {
		s.step("SIGTERM failed: %v", err)
		return s.result(), runtimeError(ctx, "stop task "+s.in.TaskID, err)
	}
	st, err = s.a.Runtime.Inspect(ctx, s.in.TaskID)
	switch {
	case errors.Is(err, dockerrun.ErrNotFound):
		s.step("SIGTERM; container gone")
	case err != nil:
		s.step("SIGTERM; stopped")
	case st.ExitCode == 137 && !st.OOMKilled:
		s.step("SIGKILL after %s", grace)
	default:
		s.step("SIGTERM; exited with code %d", st.ExitCode)
	}
	return s.result(), nil
}

// post sends a lifecycle request and reports whether it was answered 2xx.
func (s *stopper) post(ctx context.Context, endpoint string) bool {
	if !strings.HasPrefix(endpoint, "/") {
		endpoint = "/" + endpoint
	}
	host := s.in.Host
	if host == "" {
		host = dockerrun.DefaultHost
	}
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(s.in.HealthPort)) + endpoint
	rctx, cancel := context.WithTimeout(ctx, LifecycleRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, nil)
	if err != nil {
		s.step("POST %s: %v", endpoint, err)
		return false
	}
	// A lifecycle request never follows a redirect, whatever the client: a
	// 3xx is not a 2xx, so the task is not waited for.
	client := *httpClientOf(s.a)
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		s.step("POST %s: %v", endpoint, shortError(err))
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	s.step("POST %s: %d", endpoint, resp.StatusCode)
	return resp.StatusCode >= 200 && resp.StatusCode <= 299
}

// shortError drops the url.Error's method and URL, which the step already
// names.
func shortError(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// waitExit waits up to d for the task's container to stop running,
// heartbeating. A container that is gone has exited.
func (s *stopper) waitExit(ctx context.Context, d time.Duration) (bool, error) {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	_, err := whileHeartbeating(wctx, s.a, func() []any { return []any{s.steps} }, func(wctx context.Context) (dockerrun.ExitStatus, error) {
		return s.a.Runtime.Wait(wctx, s.in.TaskID)
	})
	switch {
	case ctx.Err() != nil:
		return false, ctx.Err()
	case err == nil, errors.Is(err, dockerrun.ErrNotFound):
		return true, nil
	case wctx.Err() != nil:
		return false, nil
	}
	return false, runtimeError(ctx, "wait for task "+s.in.TaskID, err)
}
