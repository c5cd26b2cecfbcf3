package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/workflows"
)

// Exit codes of SPEC §6.
const (
	exitOK             = 0
	exitCommandFailure = 4
)

// poll is how often the tests look again while waiting for a state.
const poll = 250 * time.Millisecond

// portsPerCluster is the size of each cluster's host port range.
const portsPerCluster = 120

// clusterSeq numbers the clusters of this process; each gets its own task
// queue, port range and job role from it.
var clusterSeq atomic.Int64

// cluster is one test's Borealis installation on the shared dev server: its
// own task queue, data directory and host port range, a bin/borealis-worker
// process (which the test may kill and start again) and the settings the CLI
// is run with, passed as BOREALIS_* environment variables.
type cluster struct {
	t       *testing.T
	role    string
	queue   string
	dataDir string
	ports   string
	home    string // the processes' working directory and config home
	flapEnv []string
	logPath string
	// temporal is the address of the Temporal server the worker and the
	// CLI use: the shared dev server's unless the test started its own.
	temporal string

	mu     sync.Mutex
	worker *workerProc
	gen    int
	keys   []string
}

type workerProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// flapping sets the THROTTLED back-off (SPEC §4) the CLI gives the jobs it creates.
type flapping struct{ initial, max, threshold string }

// newCluster makes a cluster and starts its worker. Cleanup stops the
// worker, removes every container of every job the test named (cl.job) and
// checks that none is left.
func newCluster(t *testing.T, fl flapping) *cluster {
	t.Helper()
	return newClusterOn(t, fl, devServer.FrontendHostPort())
}

// newClusterOn is newCluster on the Temporal server at address.
func newClusterOn(t *testing.T, fl flapping, address string) *cluster {
	t.Helper()
	return newClusterPorts(t, fl, address, portsPerCluster)
}

// newClusterPorts is newClusterOn with a host port range of ports ports.
func newClusterPorts(t *testing.T, fl flapping, address string, ports int) *cluster {
	t.Helper()
	n := clusterSeq.Add(1)
	home := t.TempDir()
	// A worker keeps a port it picked reserved for 2 minutes, and counts
	// the ports of stopped containers as taken, so an update that replaces
	// every task twice needs 4 ports per instance and port: ranges of 120.
	lo := 20000 + int(n)*portsPerCluster
	cl := &cluster{
		t:        t,
		role:     fmt.Sprintf("e2e%d", n),
		queue:    fmt.Sprintf("e2e-%d-%s", n, strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))),
		dataDir:  filepath.Join(home, "data"),
		ports:    fmt.Sprintf("%d-%d", lo, lo+ports-1),
		home:     home,
		logPath:  filepath.Join(home, "worker.log"),
		temporal: address,
	}
	if fl.initial == "" {
		fl.initial = "1s"
	}
	if fl.max == "" {
		fl.max = "2s"
	}
	cl.flapEnv = []string{"BOREALIS_FLAPPING_INITIAL_DELAY=" + fl.initial, "BOREALIS_FLAPPING_MAX_DELAY=" + fl.max}
	if fl.threshold != "" {
		cl.flapEnv = append(cl.flapEnv, "BOREALIS_FLAPPING_THRESHOLD="+fl.threshold)
	}
	t.Cleanup(cl.cleanup)
	cl.startWorker()
	return cl
}

// env is the environment of the worker and CLI processes: this process's
// without any BOREALIS_* setting, plus the cluster's settings.
func (cl *cluster) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOREALIS_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"XDG_CONFIG_HOME="+filepath.Join(cl.home, "config"), // no user borealis.yaml
		"BOREALIS_TEMPORAL_ADDRESS="+cl.temporal,
		"BOREALIS_TEMPORAL_TASK_QUEUE="+cl.queue,
		"BOREALIS_DATA_DIR="+cl.dataDir,
		"BOREALIS_PORTS_RANGE="+cl.ports,
		"BOREALIS_RUNNER_PATH="+filepath.Join(binDir, "borealis-runner"),
		"BOREALIS_WORKER_METRICS_ADDRESS=",
	)
	return append(env, cl.flapEnv...)
}

// startWorker starts bin/borealis-worker with the cluster's settings as
// flags and waits until it says it started.
func (cl *cluster) startWorker() {
	t := cl.t
	t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.worker != nil {
		t.Fatal("startWorker: a worker is running")
	}
	cl.gen++
	f, err := os.OpenFile(cl.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "=== worker %d ===\n", cl.gen)
	offset, _ := f.Seek(0, 2)
	cmd := exec.Command(filepath.Join(binDir, "borealis-worker"),
		"--temporal-address", cl.temporal,
		"--temporal-task-queue", cl.queue,
		"--data-dir", cl.dataDir,
		"--ports-range", cl.ports,
		"--worker-metrics-address", "",
		"--runner-path", filepath.Join(binDir, "borealis-runner"),
	)
	cmd.Dir = cl.home
	cmd.Env = cl.env()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	w := &workerProc{cmd: cmd, done: make(chan struct{})}
	go func() { w.err = cmd.Wait(); close(w.done) }()
	cl.worker = w

	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(cl.logPath)
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

// killWorker kills the worker with SIGKILL, as a crash would, and waits
// until it is gone.
func (cl *cluster) killWorker() {
	cl.t.Helper()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	w := cl.worker
	if w == nil {
		cl.t.Fatal("killWorker: no worker")
	}
	_ = w.cmd.Process.Signal(syscall.SIGKILL)
	<-w.done
	cl.worker = nil
}

// stopWorker stops the worker with SIGTERM (SIGKILL after 15 s).
func (cl *cluster) stopWorker() {
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
		cl.t.Errorf("worker did not stop within 15s of SIGTERM; killing it")
		_ = w.cmd.Process.Signal(syscall.SIGKILL)
		<-w.done
	}
	cl.worker = nil
}

func (cl *cluster) cleanup() {
	t := cl.t
	cl.stopWorker()
	for _, key := range cl.keys {
		// A removal the worker asked for just before it stopped may still
		// be under way in Docker ("removal ... is already in progress"),
		// so look again until none is left.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var left string
		var err error
		for {
			var ids string
			ids, err = dockerOut(ctx, "ps", "-aq", "--filter", "label=borealis.job="+key)
			if err == nil && len(strings.Fields(ids)) > 0 {
				_, err = dockerOut(ctx, append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
			}
			left, err = dockerOut(ctx, "ps", "-aq", "--filter", "label=borealis.job="+key)
			if (err == nil && strings.TrimSpace(left) == "") || ctx.Err() != nil {
				break
			}
			time.Sleep(poll)
		}
		cancel()
		if err != nil || strings.TrimSpace(left) != "" {
			t.Errorf("cleanup: containers of %s left: %q (%v)", key, left, err)
		}
	}
	if dir := os.Getenv("E2E_WORKER_LOGS"); dir != "" {
		// Keep every worker log whole, for debugging.
		b, _ := os.ReadFile(cl.logPath)
		_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), b, 0o644)
	}
	if t.Failed() {
		b, _ := os.ReadFile(cl.logPath)
		const keep = 12000
		if len(b) > keep {
			b = append([]byte("...\n"), b[len(b)-keep:]...)
		}
		t.Logf("worker log (%s):\n%s", cl.logPath, b)
	}
}

// job names a job of this cluster and has cleanup remove its containers.
func (cl *cluster) job(name string) string {
	key := "e2e/" + cl.role + "/prod/" + name
	cl.keys = append(cl.keys, key)
	return key
}

// writeJob writes a YAML config of the job key with body (indented as a
// job's fields) and returns its path.
func (cl *cluster) writeJob(key, body string) string {
	cl.t.Helper()
	parts := strings.Split(key, "/")
	header := fmt.Sprintf("jobs:\n  - cluster: %s\n    role: %s\n    environment: %s\n    name: %s\n", parts[0], parts[1], parts[2], parts[3])
	path := filepath.Join(cl.home, parts[3]+".yaml")
	if err := os.WriteFile(path, []byte(header+body), 0o644); err != nil {
		cl.t.Fatal(err)
	}
	return path
}

// result is how one CLI run ended.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("borealis %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs bin/borealis with the cluster's settings.
func (cl *cluster) run(args ...string) result {
	cl.t.Helper()
	r, err := cl.runFor(2*time.Minute, args...)
	if err != nil {
		cl.t.Fatal(err)
	}
	return r
}

// runFor runs bin/borealis with the cluster's settings, killing it after
// timeout. It does not touch the test, so it may run in a goroutine; the
// error is for a command that could not run or did not exit by itself.
func (cl *cluster) runFor(timeout time.Duration, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "borealis"), args...)
	cmd.Dir = cl.home
	cmd.Env = cl.env()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errOut.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		return r, fmt.Errorf("borealis %s: %v (stdout: %s, stderr: %s)", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return r, nil
}

// mustRun runs a command that must exit 0.
func (cl *cluster) mustRun(args ...string) result {
	cl.t.Helper()
	r := cl.run(args...)
	if r.code != exitOK {
		cl.t.Fatalf("want exit 0: %s", r)
	}
	return r
}

// jobStatus is one job of `job status --write-json` (SPEC §6).
type jobStatus struct {
	Job      string `json:"job"`
	Active   []task `json:"active"`
	Inactive []task `json:"inactive"`
}

// task is a task of `job status --write-json`: exactly SPEC §6's fields.
type task struct {
	InstanceID    int            `json:"instanceId"`
	TaskID        string         `json:"taskId"`
	Status        string         `json:"status"`
	FailureCount  int            `json:"failureCount"`
	Host          string         `json:"host"`
	ContainerID   string         `json:"containerId"`
	AssignedPorts map[string]int `json:"assignedPorts"`
	TaskEvents    []taskEvent    `json:"taskEvents"`
}

type taskEvent struct {
	Timestamp int64  `json:"timestamp"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

// events renders a task's events for failure messages.
func (t task) events() string {
	var b strings.Builder
	for _, e := range t.TaskEvents {
		fmt.Fprintf(&b, " %s", e.Status)
		if e.Message != "" {
			fmt.Fprintf(&b, "(%s)", e.Message)
		}
	}
	return b.String()
}

// firstEvent is the time of the task's first event.
func (t task) firstEvent() int64 {
	if len(t.TaskEvents) == 0 {
		return 0
	}
	return t.TaskEvents[0].Timestamp
}

func (s jobStatus) String() string {
	var b strings.Builder
	for _, list := range []struct {
		name  string
		tasks []task
	}{{"active", s.Active}, {"inactive", s.Inactive}} {
		for _, t := range list.tasks {
			fmt.Fprintf(&b, "  %s %d %s %s failures=%d container=%.12s events:%s\n",
				list.name, t.InstanceID, t.TaskID, t.Status, t.FailureCount, t.ContainerID, t.events())
		}
	}
	return b.String()
}

// active returns the active task of an instance.
func (s jobStatus) active(instance int) (task, bool) {
	for _, t := range s.Active {
		if t.InstanceID == instance {
			return t, true
		}
	}
	return task{}, false
}

// inactive returns the ended tasks of an instance, oldest first.
func (s jobStatus) inactive(instance int) []task {
	var out []task
	for _, t := range s.Inactive {
		if t.InstanceID == instance {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].firstEvent() < out[j].firstEvent() })
	return out
}

// find returns the task with id among active and inactive ones.
func (s jobStatus) find(id string) (task, bool) {
	for _, t := range append(append([]task{}, s.Active...), s.Inactive...) {
		if t.TaskID == id {
			return t, true
		}
	}
	return task{}, false
}

// status runs `job status KEY --write-json` and decodes it strictly: an
// unknown field is an error, so the shape is SPEC §6's.
func (cl *cluster) status(key string) (jobStatus, error) {
	r := cl.run("job", "status", key, "--write-json")
	if r.code != exitOK {
		return jobStatus{}, fmt.Errorf("%s", r)
	}
	if !strings.Contains(r.stderr, "Web UI: ") {
		return jobStatus{}, fmt.Errorf("with --write-json the Web UI address goes to stderr: %s", r)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	var jobs []jobStatus
	if err := dec.Decode(&jobs); err != nil {
		return jobStatus{}, fmt.Errorf("decode %s: %v", r, err)
	}
	if len(jobs) != 1 || jobs[0].Job != key {
		return jobStatus{}, fmt.Errorf("want one job %s: %s", key, r)
	}
	return jobs[0], nil
}

// waitStatus polls the job's status until cond holds; cond says what it
// is waiting for when it does not.
func (cl *cluster) waitStatus(key string, timeout time.Duration, what string, cond func(jobStatus) (bool, string)) jobStatus {
	cl.t.Helper()
	var got jobStatus
	eventually(cl.t, timeout, what, func() (bool, string) {
		s, err := cl.status(key)
		if err != nil {
			return false, err.Error()
		}
		got = s
		ok, why := cond(s)
		return ok, why + "\n" + s.String()
	})
	return got
}

// instance asks an instance's workflow for its status (restarts and done
// are in no CLI JSON).
func instance(key string, id int) (workflows.InstanceStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var s workflows.InstanceStatus
	v, err := temporal.QueryWorkflow(ctx, workflows.InstanceWorkflowID(key, id), "", workflows.QueryInstanceStatus)
	if err == nil {
		err = v.Get(&s)
	}
	return s, err
}

func mustInstance(t *testing.T, key string, id int) workflows.InstanceStatus {
	t.Helper()
	s, err := instance(key, id)
	if err != nil {
		t.Fatalf("query instance %d of %s: %v", id, key, err)
	}
	return s
}

// eventually polls cond until it holds, failing the test after timeout with
// what cond last reported.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		ok, last := cond()
		if ok {
			t.Logf("%s: after %s", what, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last seen:\n%s", what, timeout, last)
		}
		time.Sleep(poll)
	}
}

// never checks cond for d and fails the test as soon as it holds: for
// things that must not happen (a restart after the last allowed failure).
func never(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if bad, why := cond(); bad {
			t.Fatalf("%s:\n%s", what, why)
		}
		time.Sleep(poll)
	}
}

// container is a Docker container of a job, from `docker ps -a`.
type container struct {
	ID       string
	Task     string
	Instance int
	State    string // running, exited, created, ...
}

func (c container) String() string {
	return fmt.Sprintf("%.12s task=%s instance=%d %s", c.ID, c.Task, c.Instance, c.State)
}

func dockerOut(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := dockerOut(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// containers lists every container that carries the job's label.
func containers(t *testing.T, key string) []container {
	t.Helper()
	out := docker(t, "ps", "-a", "--no-trunc", "--filter", "label=borealis.job="+key,
		"--format", `{{.ID}}|{{.Label "borealis.task"}}|{{.Label "borealis.instance"}}|{{.State}}`)
	var cs []container
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) != 4 {
			t.Fatalf("docker ps: unexpected line %q", sc.Text())
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("docker ps: instance label %q: %v", f[2], err)
		}
		cs = append(cs, container{ID: f[0], Task: f[1], Instance: n, State: f[3]})
	}
	return cs
}

func running(cs []container) []container {
	var out []container
	for _, c := range cs {
		if c.State == "running" {
			out = append(out, c)
		}
	}
	return out
}

func ofInstance(cs []container, id int) []container {
	var out []container
	for _, c := range cs {
		if c.Instance == id {
			out = append(out, c)
		}
	}
	return out
}

func listContainers(cs []container) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	return b.String()
}

// mismatch compares Docker with the job's status and says how they
// disagree ("" when they agree): every running container is the container
// of an active task, every active task that started (STARTING, RUNNING) has
// its container running, and every other container belongs to a task the
// status shows (no orphans).
func mismatch(s jobStatus, cs []container) string {
	var problems []string
	byTask := map[string]container{}
	for _, c := range cs {
		if _, dup := byTask[c.Task]; dup {
			problems = append(problems, "two containers of task "+c.Task)
		}
		byTask[c.Task] = c
	}
	for _, c := range cs {
		t, ok := s.find(c.Task)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("orphan container %s: no such task in status", c))
		case c.State == "running" && !slices.ContainsFunc(s.Active, func(a task) bool { return a.TaskID == c.Task }):
			problems = append(problems, fmt.Sprintf("container %s runs but its task is %s (inactive)", c, t.Status))
		case t.ContainerID != "" && t.ContainerID != c.ID:
			problems = append(problems, fmt.Sprintf("container %s: status says container %.12s", c, t.ContainerID))
		}
	}
	for _, a := range s.Active {
		if a.Status != "STARTING" && a.Status != "RUNNING" {
			continue
		}
		if c, ok := byTask[a.TaskID]; !ok || c.State != "running" {
			problems = append(problems, fmt.Sprintf("active task %s is %s but its container is not running (%v)", a.TaskID, a.Status, c))
		}
	}
	return strings.Join(problems, "\n")
}

// consistent waits until Docker and the job's status agree (see mismatch)
// and returns both.
func (cl *cluster) consistent(key string, timeout time.Duration) (jobStatus, []container) {
	cl.t.Helper()
	var s jobStatus
	var cs []container
	eventually(cl.t, timeout, "docker agrees with job status of "+key, func() (bool, string) {
		var err error
		if s, err = cl.status(key); err != nil {
			return false, err.Error()
		}
		cs = containers(cl.t, key)
		m := mismatch(s, cs)
		return m == "", m + "\nstatus:\n" + s.String() + "containers:\n" + listContainers(cs)
	})
	return s, cs
}

// throttleDelay reads the delay of a THROTTLED event's message
// ("Rescheduling flapping task in 2s").
var throttleDelay = regexp.MustCompile(`in (\S+)$`)

func delayOf(e taskEvent) (time.Duration, error) {
	m := throttleDelay.FindStringSubmatch(e.Message)
	if m == nil {
		return 0, fmt.Errorf("THROTTLED event without a delay: %q", e.Message)
	}
	return time.ParseDuration(m[1])
}
