package workflows_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/internal/testenv"
	"github.com/borealis-dev/borealis/internal/tupdate"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/worker/registry"
	"github.com/borealis-dev/borealis/workflows"
)

// server is the Temporal dev server every test of this package shares; each
// test has its own task queue, worker and fake runtime.
var server *testsuite.DevServer

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	srv, err := testenv.NewDevServer(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server = srv
	code := m.Run()
	_ = srv.Stop()
	os.Exit(code)
}

var testSeq atomic.Int64

// env is one test's worker against a fake container runtime.
type env struct {
	t       *testing.T
	c       client.Client
	fake    *dockerrun.Fake
	queue   string
	role    string
	policy  taskapi.RestartPolicy
	timeout time.Duration

	// bad lists the version/instance pairs whose health checks fail (versioned).
	badMu sync.Mutex
	bad   map[string]bool

	// admission is the fake AdmitJob's policy and what it was asked.
	admission fakeAdmission
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t)
}

// newEnvWith is newEnv with the worker's registry options (SLA settings).
func newEnvWith(t *testing.T, opts ...registry.Option) *env {
	t.Helper()
	e := newWorkerlessEnv(t)
	w := e.startWorker(opts...)
	t.Cleanup(w.Stop)
	return e
}

// newWorkerlessEnv is an env whose worker is not started yet.
func newWorkerlessEnv(t *testing.T) *env {
	t.Helper()
	n := testSeq.Add(1)
	e := &env{
		t:       t,
		c:       testenv.Client(t, server),
		fake:    dockerrun.NewFake(),
		queue:   fmt.Sprintf("test-%s-%d", strings.ToLower(t.Name()), n),
		role:    fmt.Sprintf("r%d", n),
		policy:  taskapi.RestartPolicy{FlappingThreshold: 0, InitialDelay: time.Second, MaxDelay: 4 * time.Second},
		timeout: 30 * time.Second,
		bad:     map[string]bool{},
	}
	e.fake.ExecFunc = e.checkHealth
	return e
}

// startWorker starts a worker of the env's queue over its fake runtime.
func (e *env) startWorker(opts ...registry.Option) worker.Worker {
	e.t.Helper()
	w := worker.New(e.c, e.queue, registry.WorkerOptions())
	registry.Register(w, &activities.Activities{Runtime: e.fake, HeartbeatInterval: 200 * time.Millisecond}, e.c, opts...)
	// The worker's admission is faked: its policy is not what these tests check.
	w.RegisterActivityWithOptions(e.admission.admitJob, activity.RegisterOptions{Name: taskapi.AdmitJob, DisableAlreadyRegisteredCheck: true})
	require.NoError(e.t, w.Start())
	return w
}

// job is a job of n instances whose single process loops forever; it has no
// health port, so a task is RUNNING as soon as its container runs.
func (e *env) job(name string, n int, service bool) config.Job {
	j := config.DefaultJob()
	j.Cluster, j.Role, j.Environment, j.Name = "test", e.role, "prod", name
	j.Instances, j.Service = n, service
	t := config.DefaultTask()
	t.Name = name
	p := config.DefaultProcess()
	p.Name, p.Cmdline = name, "while true; do sleep 1; done"
	t.Processes = []config.Process{p}
	t.Resources = &config.Resources{CPU: 0.1, RAM: 16 << 20, Disk: 16 << 20}
	j.Task = &t
	return j
}

// create starts the job's workflow.
func (e *env) create(j config.Job) {
	e.t.Helper()
	_, err := e.c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID:                       workflows.JobWorkflowID(j.Key()),
		TaskQueue:                e.queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.JobWorkflowName, workflows.JobInput{Job: j, Policy: e.policy})
	require.NoError(e.t, err)
}

// status queries an instance's workflow (the latest run).
func (e *env) status(key string, i int) (workflows.InstanceStatus, error) {
	var st workflows.InstanceStatus
	v, err := e.c.QueryWorkflow(context.Background(), workflows.InstanceWorkflowID(key, i), "", workflows.QueryInstanceStatus)
	if err == nil {
		err = v.Get(&st)
	}
	return st, err
}

// waitFor polls an instance's status until cond holds, failing the test
// after e.timeout with the last status seen.
func (e *env) waitFor(key string, i int, what string, cond func(workflows.InstanceStatus) bool) workflows.InstanceStatus {
	e.t.Helper()
	var last workflows.InstanceStatus
	var lastErr error
	_, ok := poll.Wait(e.timeout, 50*time.Millisecond, func() (bool, string) {
		last, lastErr = e.status(key, i)
		return lastErr == nil && cond(last), ""
	})
	if !ok {
		e.t.Fatalf("instance %s/%d: not %s after %s; last status %+v (err %v)", key, i, what, e.timeout, last, lastErr)
	}
	return last
}

// running waits until instance i has an active RUNNING task other than
// every task id in not, and returns it.
func (e *env) running(key string, i int, not ...string) workflows.TaskInfo {
	e.t.Helper()
	st := e.waitFor(key, i, "RUNNING", func(s workflows.InstanceStatus) bool {
		if s.Active == nil || s.Active.Status != workflows.StatusRunning {
			return false
		}
		for _, id := range not {
			if s.Active.TaskID == id {
				return false
			}
		}
		return true
	})
	return *st.Active
}

// update sends a Temporal update to the job's workflow and returns its result.
func (e *env) update(key, name string, arg any, result any) error {
	args := []any{}
	if arg != nil {
		args = append(args, arg)
	}
	return tupdate.Send(context.Background(), e.c, client.UpdateWorkflowOptions{
		WorkflowID: workflows.JobWorkflowID(key),
		UpdateName: name,
		Args:       args,
	}, result)
}

// dockerrunRemoveAll removes a container as if someone ran docker rm -f.
var dockerrunRemoveAll = dockerrun.RemoveOptions{Sandbox: true}
