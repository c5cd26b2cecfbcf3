package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dockerclient "github.com/docker/docker/client"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/testenv"
	"github.com/borealis-dev/borealis/internal/tupdate"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/worker/registry"
	"github.com/borealis-dev/borealis/workflows"
)

// Port ranges of the bench's Borealis tasks: away from the default range
// (31000-32000, make demo) and the e2e tests' (29000 + 40 per cluster).
var (
	dockerPorts = dockerrun.PortRange{Min: 33000, Max: 33999}
	rssPorts    = "34000-34999"
)

// bench is one run of the harness: what it set up, what it must clean up,
// and the figures measured so far.
type bench struct {
	ctx     context.Context
	opt     options
	session string // short random id in every name the bench makes
	root    string // repository root
	binDir  string
	outDir  string
	tmp     string

	srv *testsuite.DevServer
	tc  client.Client
	dc  *dockerclient.Client

	dockerRT     *dockerrun.Docker
	dockerWorker worker.Worker
	dockerQueue  string

	swarmInited bool
	machine     machine

	mu       sync.Mutex
	cleanups []cleanup
	final    []cleanup // run last, after every figure's: workers, server, swarm

	rows    []row
	notes   []string
	scaling []scalePoint
	lb      *lowerBound
	updates map[int]updateResult
	retries []string
}

type cleanup struct {
	name string
	fn   func(context.Context) error
	done *bool
}

func newBench(ctx context.Context, opt options) *bench {
	var b [3]byte
	_, _ = rand.Read(b[:])
	root := testenv.RepoRoot()
	out := opt.out
	if out == "" {
		out = filepath.Join(root, "bench", "results")
	}
	return &bench{
		ctx:     ctx,
		opt:     opt,
		session: fmt.Sprintf("%x", b),
		root:    root,
		binDir:  filepath.Join(root, "bin"),
		outDir:  out,
	}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// onCleanup registers fn to run when the current figure ends (or the bench
// is interrupted) and returns a func that runs it now, once.
func (b *bench) onCleanup(name string, fn func(context.Context) error) func() {
	done := new(bool)
	b.mu.Lock()
	b.cleanups = append(b.cleanups, cleanup{name, fn, done})
	b.mu.Unlock()
	return func() { b.runOne(cleanup{name, fn, done}) }
}

// onFinal registers fn to run when the bench ends.
func (b *bench) onFinal(name string, fn func(context.Context) error) {
	b.mu.Lock()
	b.final = append(b.final, cleanup{name, fn, new(bool)})
	b.mu.Unlock()
}

func (b *bench) runOne(c cleanup) {
	b.mu.Lock()
	if *c.done {
		b.mu.Unlock()
		return
	}
	*c.done = true
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.fn(ctx); err != nil {
		b.logf("cleanup %s: %v", c.name, err)
	}
}

// runCleanups runs the figure cleanups registered so far, newest first.
func (b *bench) runCleanups() {
	b.mu.Lock()
	cs := b.cleanups
	b.cleanups = nil
	b.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		b.runOne(cs[i])
	}
}

// cleanupAll runs every cleanup left, then the final ones, newest first.
func (b *bench) cleanupAll() {
	b.runCleanups()
	b.mu.Lock()
	fs := b.final
	b.final = nil
	b.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		b.runOne(fs[i])
	}
	if b.tmp != "" {
		_ = os.RemoveAll(b.tmp)
	}
}

func (b *bench) setup() error {
	b.machine = describeMachine()
	for _, name := range []string{"borealis-worker", "borealis-runner"} {
		if _, err := os.Stat(filepath.Join(b.binDir, name)); err != nil {
			return fmt.Errorf("%w: run make build (make bench does)", err)
		}
	}
	if err := os.MkdirAll(b.outDir, 0o755); err != nil {
		return err
	}
	var err error
	b.tmp, err = os.MkdirTemp("", "borealis-bench-")
	if err != nil {
		return err
	}
	b.dc, err = dockerclient.NewClientWithOpts(dockerclient.FromEnv, dockerclient.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Errorf("docker client: %w", err)
	}
	b.onFinal("docker client", func(context.Context) error { return b.dc.Close() })
	ver, err := b.dc.ServerVersion(b.ctx)
	if err != nil {
		return fmt.Errorf("docker: %w", err)
	}
	b.machine.docker = ver.Version
	for _, img := range []string{"borealis/base:latest", "borealis/demo:latest"} {
		if _, err := b.dc.ImageInspect(b.ctx, img); err != nil {
			return fmt.Errorf("image %s: %w: run make images (make bench does)", img, err)
		}
	}
	b.logf("starting a Temporal dev server")
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Minute)
	b.srv, err = testenv.NewDevServer(ctx)
	cancel()
	if err != nil {
		return err
	}
	b.onFinal("dev server", func(context.Context) error { return b.srv.Stop() })
	b.tc, err = client.Dial(client.Options{
		HostPort:  b.srv.FrontendHostPort(),
		Namespace: "default",
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		return fmt.Errorf("dial Temporal: %w", err)
	}
	b.onFinal("temporal client", func(context.Context) error { b.tc.Close(); return nil })
	return nil
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// workerOptions are bin/borealis-worker's.
func workerOptions() worker.Options {
	return registry.WorkerOptions()
}

// ensureDockerWorker starts (once) the in-process worker with a real Docker runtime.
func (b *bench) ensureDockerWorker() error {
	if b.dockerWorker != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	rt, err := dockerrun.New(ctx, dockerrun.Options{
		PortRange:  dockerPorts,
		DataDir:    filepath.Join(b.tmp, "docker-data"),
		RunnerPath: filepath.Join(b.binDir, "borealis-runner"),
		Logger:     quietLogger(),
	})
	if err != nil {
		return err
	}
	b.dockerRT = rt
	b.dockerQueue = "bench-docker-" + b.session
	w := worker.New(b.tc, b.dockerQueue, workerOptions())
	registry.Register(w, &activities.Activities{Runtime: rt, Logger: quietLogger()}, b.tc)
	if err := w.Start(); err != nil {
		return err
	}
	b.dockerWorker = w
	b.onFinal("docker worker", func(context.Context) error {
		w.Stop()
		return rt.Close()
	})
	return nil
}

// jobKey is a job key of this bench session.
func (b *bench) jobKey(name string) string {
	return "bench/b" + b.session + "/prod/" + name
}

// loadJob builds a job from YAML fields (indented as a job's), through the
// same loader as the CLI.
func loadJob(key, body string) (config.Job, error) {
	parts := strings.Split(key, "/")
	y := fmt.Sprintf("jobs:\n  - cluster: %s\n    role: %s\n    environment: %s\n    name: %s\n%s", parts[0], parts[1], parts[2], parts[3], body)
	jobs, err := config.LoadBytes("bench.yaml", []byte(y), config.LoadOptions{})
	if err != nil {
		return config.Job{}, fmt.Errorf("job config:\n%s\n%w", y, err)
	}
	return *jobs[0], nil
}

// createJob starts a job's workflow on queue, as `borealis job create`
// does, and registers its removal: the workflows terminated and the
// containers removed.
func (b *bench) createJob(queue string, j config.Job, policy taskapi.RestartPolicy) (remove func(), err error) {
	key := j.Key()
	remove = b.onCleanup("job "+key, func(ctx context.Context) error { return b.removeJob(ctx, key, j.Instances) })
	_, err = b.tc.ExecuteWorkflow(b.ctx, client.StartWorkflowOptions{
		ID:                       workflows.JobWorkflowID(key),
		TaskQueue:                queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.JobKeyAttribute.ValueSet(key)),
	}, workflows.JobWorkflowName, workflows.JobInput{Job: j, Policy: policy})
	if err != nil {
		return remove, fmt.Errorf("create job %s: %w", key, err)
	}
	return remove, nil
}

// removeJob terminates a job's workflow and its n instance workflows, then
// removes its containers (the workflows first, so nothing restarts them).
func (b *bench) removeJob(ctx context.Context, key string, n int) error {
	var errs []error
	terminate := func(id string) {
		err := b.tc.TerminateWorkflow(ctx, id, "", "bench cleanup")
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) && !strings.Contains(err.Error(), "already completed") {
			errs = append(errs, err)
		}
	}
	terminate(workflows.JobWorkflowID(key))
	var mu sync.Mutex
	parallel(n, 8, func(i int) {
		err := b.tc.TerminateWorkflow(ctx, workflows.InstanceWorkflowID(key, i), "", "bench cleanup")
		var nf *serviceerror.NotFound
		if err != nil && !errors.As(err, &nf) && !strings.Contains(err.Error(), "already completed") {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	if err := b.removeContainers(ctx, "borealis.job="+key); err != nil {
		errs = append(errs, err)
	}
	// A start the worker had under way when its workflow was terminated (a
	// bench interrupted mid-update) makes its container after the sweep
	// above: sweep again once such a start has had time to end.
	select {
	case <-ctx.Done():
	case <-time.After(3 * time.Second):
		if err := b.removeContainers(ctx, "borealis.job="+key); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Errorf("and %d more", len(errs)-3))
	}
	return errors.Join(errs...)
}

// parallel runs f(0..n-1) on up to width goroutines.
func parallel(n, width int, f func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, width)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// instanceStatus queries an instance workflow.
func (b *bench) instanceStatus(ctx context.Context, key string, i int) (workflows.InstanceStatus, error) {
	var st workflows.InstanceStatus
	v, err := b.tc.QueryWorkflow(ctx, workflows.InstanceWorkflowID(key, i), "", workflows.QueryInstanceStatus)
	if err == nil {
		err = v.Get(&st)
	}
	return st, err
}

// runningSince is the time the active task of st became RUNNING, or zero.
func runningSince(st workflows.InstanceStatus) time.Time {
	if st.Active == nil || st.Active.Status != workflows.StatusRunning {
		return time.Time{}
	}
	for i := len(st.Active.TaskEvents) - 1; i >= 0; i-- {
		if e := st.Active.TaskEvents[i]; e.Status == workflows.StatusRunning {
			return time.UnixMilli(e.Timestamp)
		}
	}
	return time.Time{}
}

// waitAllRunning waits until every instance 0..n-1 of key has a RUNNING
// active task, and returns the latest time one of them became RUNNING.
func (b *bench) waitAllRunning(key string, n int, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	since := make([]time.Time, n)
	for {
		var mu sync.Mutex
		var lastErr error
		missing := 0
		parallel(n, 8, func(i int) {
			if !since[i].IsZero() {
				return
			}
			st, err := b.instanceStatus(ctx, key, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				lastErr = err
			}
			if t := runningSince(st); !t.IsZero() {
				since[i] = t
			} else {
				missing++
			}
		})
		if missing == 0 {
			var last time.Time
			for _, t := range since {
				if t.After(last) {
					last = t
				}
			}
			return last, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("%s: %d of %d instances not RUNNING after %s (last error: %v)", key, missing, n, timeout, lastErr)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// startUpdate asks the job's workflow to update it to next, as `borealis
// update start` does, and returns the update workflow's id.
func (b *bench) startUpdate(next config.Job, id string) (string, error) {
	var res workflows.StartUpdateResult
	err := tupdate.Send(b.ctx, b.tc, client.UpdateWorkflowOptions{
		WorkflowID: workflows.JobWorkflowID(next.Key()),
		UpdateID:   "start-update/" + id,
		UpdateName: workflows.UpdateStartUpdate,
		Args:       []any{workflows.StartUpdateRequest{UpdateID: id, Job: next}},
	}, &res)
	if err != nil {
		return "", fmt.Errorf("start update of %s: %w", next.Key(), err)
	}
	return res.WorkflowID, nil
}

// waitUpdate waits for an update workflow's result.
func (b *bench) waitUpdate(id string, timeout time.Duration) (workflows.UpdateInfo, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	var info workflows.UpdateInfo
	for {
		err := b.tc.GetWorkflow(ctx, id, "").Get(ctx, &info)
		if err == nil {
			break
		}
		// The result's long poll can time out on a loaded server while
		// the update goes on: ask again until our own deadline.
		var deadline *serviceerror.DeadlineExceeded
		if ctx.Err() == nil && (errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded) ||
			strings.Contains(err.Error(), "deadline exceeded")) {
			continue
		}
		return info, fmt.Errorf("update %s: %w", id, err)
	}
	if info.Status != workflows.UpdateRolledForward {
		return info, fmt.Errorf("update %s ended %s, not ROLLED_FORWARD: %+v", id, info.Status, info.UpdateEvents)
	}
	return info, nil
}

// endedAt is when an update reached its final state.
func endedAt(info workflows.UpdateInfo) time.Time {
	for i := len(info.UpdateEvents) - 1; i >= 0; i-- {
		if !info.UpdateEvents[i].Status.Active() {
			return time.UnixMilli(info.UpdateEvents[i].Timestamp)
		}
	}
	return time.UnixMilli(info.LastModified)
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}
