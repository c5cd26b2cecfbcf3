package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/poll"

	"github.com/borealis-dev/borealis/workflows"
)

// Exit codes of docs/semantics.md §6.
const (
	ExitOK               = 0
	ExitConfig           = 3
	ExitCommandFailure   = 4
	ExitInvalidCommand   = 5
	ExitInvalidParameter = 6
	ExitUnknown          = 20
)

// Poll is how often the tests look again while waiting for a state.
const Poll = 250 * time.Millisecond

// PortsPerCluster is the size of each cluster's host port range.
const PortsPerCluster = 120

// clusterSeq numbers the clusters of this process; each gets its own task
// queue, port range and job role from it.
var clusterSeq atomic.Int64

// Cluster is one test's Borealis installation on the shared dev server: its
// own task queue, data directory and host port range, a bin/borealis-worker
// process (which the test may kill and start again) and the settings the CLI
// is run with, passed as BOREALIS_* environment variables.
type Cluster struct {
	T       testing.TB
	Env     *Env
	Role    string
	Queue   string
	DataDir string
	Ports   string
	Home    string // the processes' working directory and config home
	flapEnv []string
	LogPath string
	// Temporal is the address of the Temporal server the worker and the
	// CLI use: the shared dev server's unless the test started its own.
	Temporal string
	// WorkerArgs are more flags for every worker StartWorker starts
	// (--docker-host ...).
	WorkerArgs []string
	// WorkerBin is the worker binary WorkerCommand runs: bin/borealis-worker
	// when empty (another build's, for a rolling upgrade).
	WorkerBin string

	mu     sync.Mutex
	worker *workerProc
	gen    int
	// Keys are the jobs whose containers cleanup removes (Job adds to it).
	Keys []string
}

type workerProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Flapping sets the THROTTLED back-off (docs/semantics.md §4) the CLI gives the jobs it creates.
type Flapping struct{ Initial, Max, Threshold string }

// NewCluster makes a cluster and starts its worker. Cleanup stops the
// worker, removes every container of every job the test named (cl.Job) and
// checks that none is left.
func (e *Env) NewCluster(t testing.TB, fl Flapping) *Cluster {
	t.Helper()
	return e.NewClusterOn(t, fl, e.DevServer.FrontendHostPort())
}

// NewClusterOn is NewCluster on the Temporal server at address.
func (e *Env) NewClusterOn(t testing.TB, fl Flapping, address string) *Cluster {
	t.Helper()
	return e.NewClusterPorts(t, fl, address, PortsPerCluster)
}

// NewClusterPorts is NewClusterOn with a host port range of ports ports.
func (e *Env) NewClusterPorts(t testing.TB, fl Flapping, address string, ports int) *Cluster {
	t.Helper()
	n := clusterSeq.Add(1)
	home := t.TempDir()
	// A worker keeps a port it picked reserved for 2 minutes, and counts
	// the ports of stopped containers as taken, so an update that replaces
	// every task twice needs 4 ports per instance and port: ranges of 120.
	lo := e.PortBase + int(n)*PortsPerCluster
	cl := &Cluster{
		T:        t,
		Env:      e,
		Role:     fmt.Sprintf("%s%d", e.Name, n),
		Queue:    fmt.Sprintf("%s-%d-%s", e.Name, n, strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))),
		DataDir:  filepath.Join(home, "data"),
		Ports:    fmt.Sprintf("%d-%d", lo, lo+ports-1),
		Home:     home,
		LogPath:  filepath.Join(home, "worker.log"),
		Temporal: address,
	}
	if fl.Initial == "" {
		fl.Initial = "1s"
	}
	if fl.Max == "" {
		fl.Max = "2s"
	}
	cl.flapEnv = []string{"BOREALIS_FLAPPING_INITIAL_DELAY=" + fl.Initial, "BOREALIS_FLAPPING_MAX_DELAY=" + fl.Max}
	if fl.Threshold != "" {
		cl.flapEnv = append(cl.flapEnv, "BOREALIS_FLAPPING_THRESHOLD="+fl.Threshold)
	}
	t.Cleanup(cl.cleanup)
	cl.StartWorker()
	return cl
}

// Environ is the environment of the worker and CLI processes: this process's
// without any BOREALIS_* setting, plus the cluster's settings.
func (cl *Cluster) Environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOREALIS_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"XDG_CONFIG_HOME="+filepath.Join(cl.Home, "config"), // no user borealis.yaml
		"BOREALIS_TEMPORAL_ADDRESS="+cl.Temporal,
		"BOREALIS_TEMPORAL_TASK_QUEUE="+cl.Queue,
		"BOREALIS_DATA_DIR="+cl.DataDir,
		"BOREALIS_PORTS_RANGE="+cl.Ports,
		"BOREALIS_RUNNER_PATH="+filepath.Join(cl.Env.BinDir, "borealis-runner"),
		"BOREALIS_WORKER_METRICS_ADDRESS=",
	)
	return append(env, cl.flapEnv...)
}

// WorkerCommand is the command of bin/borealis-worker (or WorkerBin) with the cluster's
// settings as flags, then cl.WorkerArgs and extra.
func (cl *Cluster) WorkerCommand(extra ...string) *exec.Cmd {
	args := []string{
		"--temporal-address", cl.Temporal,
		"--temporal-task-queue", cl.Queue,
		"--data-dir", cl.DataDir,
		"--ports-range", cl.Ports,
		"--worker-metrics-address", "",
		"--runner-path", filepath.Join(cl.Env.BinDir, "borealis-runner"),
	}
	args = append(append(args, cl.WorkerArgs...), extra...)
	bin := cl.WorkerBin
	if bin == "" {
		bin = filepath.Join(cl.Env.BinDir, "borealis-worker")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = cl.Home
	cmd.Env = cl.Environ()
	return cmd
}

// StartWorker starts bin/borealis-worker with the cluster's settings as
// flags and waits until it says it started.
func (cl *Cluster) StartWorker() {
	t := cl.T
	t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.worker != nil {
		t.Fatal("startWorker: a worker is running")
	}
	cl.gen++
	f, err := os.OpenFile(cl.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "=== worker %d ===\n", cl.gen)
	offset, _ := f.Seek(0, 2)
	cmd := cl.WorkerCommand()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	w := &workerProc{cmd: cmd, done: make(chan struct{})}
	go func() { w.err = cmd.Wait(); close(w.done) }()
	cl.worker = w

	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(cl.LogPath)
		if int64(len(b)) > offset && bytes.Contains(b[offset:], []byte("worker started")) {
			return
		}
		select {
		case <-w.done:
			t.Fatalf("worker %d exited at start: %v\n%s", cl.gen, w.err, b[min(offset, int64(len(b))):])
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %d did not start within 30s:\n%s", cl.gen, b[min(offset, int64(len(b))):])
		}
	}
}

// KillWorker kills the worker with SIGKILL, as a crash would, and waits
// until it is gone.
func (cl *Cluster) KillWorker() {
	cl.T.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	w := cl.worker
	if w == nil {
		cl.T.Fatal("killWorker: no worker")
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
	cl.worker = nil
}

// StopWorker stops the worker with SIGTERM (SIGKILL after 15 s).
func (cl *Cluster) StopWorker() {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	w := cl.worker
	if w == nil {
		return
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(15 * time.Second):
		cl.T.Errorf("worker did not stop within 15s of SIGTERM; killing it")
		_ = w.cmd.Process.Signal(syscall.SIGKILL)
		<-w.done
	}
	cl.worker = nil
}

func (cl *Cluster) cleanup() {
	t := cl.T
	cl.StopWorker()
	if cl.Env.BeforeCleanup != nil {
		cl.Env.BeforeCleanup(cl)
	}
	for _, key := range cl.Keys {
		// A removal the worker asked for just before it stopped may still
		// be under way in Docker ("removal ... is already in progress"),
		// so look again until none is left.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var left string
		var err error
		for {
			var ids string
			ids, err = DockerOut(ctx, "ps", "-aq", "--filter", "label=borealis.job="+key)
			if err == nil && len(strings.Fields(ids)) > 0 {
				// A failed removal shows in the listing that follows.
				_, _ = DockerOut(ctx, append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
			}
			left, err = DockerOut(ctx, "ps", "-aq", "--filter", "label=borealis.job="+key)
			if (err == nil && strings.TrimSpace(left) == "") || ctx.Err() != nil {
				break
			}
			time.Sleep(Poll)
		}
		cancel()
		if err != nil || strings.TrimSpace(left) != "" {
			t.Errorf("cleanup: containers of %s left: %q (%v)", key, left, err)
		}
	}
	if dir := os.Getenv("E2E_WORKER_LOGS"); dir != "" {
		// Keep every worker log whole, for debugging.
		b, _ := os.ReadFile(cl.LogPath)
		_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), b, 0o644)
	}
	if t.Failed() {
		b, _ := os.ReadFile(cl.LogPath)
		const keep = 12000
		if len(b) > keep {
			b = append([]byte("...\n"), b[len(b)-keep:]...)
		}
		t.Logf("worker log (%s):\n%s", cl.LogPath, b)
	}
}

// Job names a job of this cluster and has cleanup remove its containers.
func (cl *Cluster) Job(name string) string {
	key := cl.Env.Name + "/" + cl.Role + "/prod/" + name
	cl.Keys = append(cl.Keys, key)
	return key
}

// WriteJob writes a YAML config of the job key with body (indented as a
// job's fields) and returns its path.
func (cl *Cluster) WriteJob(key, body string) string {
	cl.T.Helper()
	parts := strings.Split(key, "/")
	header := fmt.Sprintf("jobs:\n  - cluster: %s\n    role: %s\n    environment: %s\n    name: %s\n", parts[0], parts[1], parts[2], parts[3])
	path := filepath.Join(cl.Home, parts[3]+".yaml")
	if err := os.WriteFile(path, []byte(header+body), 0o644); err != nil {
		cl.T.Fatal(err)
	}
	return path
}

// Result is how one CLI run ended.
type Result struct {
	Args           []string
	Stdout, Stderr string
	Code           int
}

func (r Result) String() string {
	return fmt.Sprintf("borealis %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.Args, " "), r.Code, r.Stdout, r.Stderr)
}

// Run runs bin/borealis with the cluster's settings.
func (cl *Cluster) Run(args ...string) Result {
	cl.T.Helper()
	r, err := cl.RunFor(2*time.Minute, args...)
	if err != nil {
		cl.T.Fatal(err)
	}
	return r
}

// RunFor runs bin/borealis with the cluster's settings, killing it after
// timeout. It does not touch the test, so it may run in a goroutine; the
// error is for a command that could not run or did not exit by itself.
func (cl *Cluster) RunFor(timeout time.Duration, args ...string) (Result, error) {
	return cl.RunWith(timeout, nil, args...)
}

// RunWith is RunFor with env on top of the cluster's settings (see Command).
func (cl *Cluster) RunWith(timeout time.Duration, env []string, args ...string) (Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := cl.Command(ctx, env, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := Result{Args: args, Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.Code = ee.ExitCode()
	default:
		return r, fmt.Errorf("borealis %s: %v (stdout: %s, stderr: %s)", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return r, nil
}

// Command is bin/borealis with args and the cluster's settings, then env
// (which overrides them), killed when ctx ends.
func (cl *Cluster) Command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(cl.Env.BinDir, "borealis"), args...)
	cmd.Dir = cl.Home
	cmd.Env = append(cl.Environ(), env...)
	return cmd
}

// MustRun runs a command that must exit 0.
func (cl *Cluster) MustRun(args ...string) Result {
	cl.T.Helper()
	r := cl.Run(args...)
	if r.Code != ExitOK {
		cl.T.Fatalf("want exit 0: %s", r)
	}
	return r
}

// Instance asks an instance's workflow for its status (restarts and done
// are in no CLI JSON).
func (e *Env) Instance(key string, id int) (workflows.InstanceStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var s workflows.InstanceStatus
	v, err := e.Temporal.QueryWorkflow(ctx, workflows.InstanceWorkflowID(key, id), "", workflows.QueryInstanceStatus)
	if err == nil {
		err = v.Get(&s)
	}
	return s, err
}

func (e *Env) MustInstance(t testing.TB, key string, id int) workflows.InstanceStatus {
	t.Helper()
	s, err := e.Instance(key, id)
	if err != nil {
		t.Fatalf("query instance %d of %s: %v", id, key, err)
	}
	return s
}

// Eventually polls cond until it holds, failing the test after timeout with
// what cond last reported.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	start := time.Now()
	if last, ok := poll.Wait(timeout, Poll, cond); !ok {
		t.Fatalf("%s: not within %s; last seen:\n%s", what, timeout, last)
	}
	t.Logf("%s: after %s", what, time.Since(start).Round(time.Millisecond))
}

// Never checks cond for d and fails the test as soon as it holds: for
// things that must not happen (a restart after the last allowed failure).
func Never(t testing.TB, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if bad, why := cond(); bad {
			t.Fatalf("%s:\n%s", what, why)
		}
		time.Sleep(Poll)
	}
}
