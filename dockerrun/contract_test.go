package dockerrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
)

// harness adapts one Runtime implementation to the contract suite.
type harness struct {
	rt Runtime
	// addForeign makes a container named name without Borealis labels;
	// foreignExists tells whether it is still there.
	addForeign    func(t *testing.T, name string)
	foreignExists func(t *testing.T, name string) bool
	// exit ends a running task with a non-zero code where the runtime runs
	// nothing (the fake); nil where the task's process exits by itself.
	exit func(t *testing.T, taskID string)
	// track removes every container of job when the test ends.
	track func(t *testing.T, job jobkey.Key)
	// portRange is the range the runtime picks ports from.
	portRange PortRange
	// emit makes the running task (started with emitLoop) print text, and
	// returns once it has.
	emit func(t *testing.T, task *Task, text string)
	// endpoint is the Location.Endpoint the runtime reports.
	endpoint string
	// withDeployment makes another runtime on the same engine with
	// Options.Deployment and HostName set.
	withDeployment func(t *testing.T, deployment, host string) sweeper
	// labels returns the labels of the task's container.
	labels func(t *testing.T, taskID string) map[string]string
}

// sweeper is a Runtime that removes ended containers.
type sweeper interface {
	Runtime
	SweepContainers(ctx context.Context, cutoff time.Time) ([]string, error)
}

// testContract is the behaviour every Runtime must show. It runs against
// the Fake (fake_test.go) and the real Docker Engine (docker_test.go).
func testContract(t *testing.T, h harness) {
	t.Run("StartInspectList", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		job := newJob(t, h)
		spec := sleeperSpec(job, 2)
		spec.PortNames = []string{"http"}
		spec.Runner.Processes[0].Cmdline = "echo admin={{thermos.ports[admin]}}; " + spec.Runner.Processes[0].Cmdline

		task, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)
		assert.Equal(t, spec.TaskID, task.TaskID)
		assert.Equal(t, ContainerName(spec.TaskID), task.Name)
		assert.NotEmpty(t, task.ContainerID)
		assert.False(t, task.Adopted)
		require.Len(t, task.Ports, 2, "http from PortNames, admin from the cmdline")
		assert.NotEqual(t, task.Ports["http"], task.Ports["admin"])
		for name, p := range task.Ports {
			assert.GreaterOrEqual(t, p, h.portRange.Min, name)
			assert.LessOrEqual(t, p, h.portRange.Max, name)
		}

		st, err := h.rt.Inspect(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.Equal(t, spec.TaskID, st.TaskID)
		assert.Equal(t, job, st.JobKey)
		assert.Equal(t, 2, st.Instance)
		assert.Equal(t, task.ContainerID, st.ContainerID)
		assert.Equal(t, task.Ports, st.Ports)
		assert.True(t, st.Running)
		assert.Equal(t, StateRunning, st.State)
		assert.False(t, st.StartedAt.IsZero())

		list, err := h.rt.List(ctx, job)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, spec.TaskID, list[0].TaskID)
		assert.Equal(t, task.Ports, list[0].Ports)

		all, err := h.rt.List(ctx, jobkey.Key{})
		require.NoError(t, err)
		assert.Contains(t, taskIDs(all), spec.TaskID)
	})

	t.Run("AdoptOnRetry", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		job := newJob(t, h)
		spec := sleeperSpec(job, 0)
		spec.PortNames = []string{"http"}
		first, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)
		second, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)
		assert.True(t, second.Adopted)
		assert.Equal(t, first.ContainerID, second.ContainerID)
		assert.Equal(t, first.Ports, second.Ports)
		list, err := h.rt.List(ctx, job)
		require.NoError(t, err)
		assert.Len(t, list, 1, "a retried Start must not make a second container")
	})

	t.Run("ListByJob", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		jobA, jobB := newJob(t, h), newJob(t, h)
		a, b := sleeperSpec(jobA, 0), sleeperSpec(jobB, 0)
		_, err := h.rt.Start(ctx, a)
		require.NoError(t, err)
		_, err = h.rt.Start(ctx, b)
		require.NoError(t, err)
		list, err := h.rt.List(ctx, jobA)
		require.NoError(t, err)
		assert.Equal(t, []string{a.TaskID}, taskIDs(list))
	})

	t.Run("StopAndRemoveAreIdempotent", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		job := newJob(t, h)
		spec := sleeperSpec(job, 0)
		_, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)

		require.NoError(t, h.rt.Stop(ctx, spec.TaskID, 5*time.Second))
		st, err := h.rt.Inspect(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.False(t, st.Running)
		assert.Equal(t, StateExited, st.State)
		assert.False(t, st.FinishedAt.IsZero())
		require.NoError(t, h.rt.Stop(ctx, spec.TaskID, 5*time.Second), "stopping a stopped task")

		require.NoError(t, h.rt.Remove(ctx, spec.TaskID, RemoveOptions{}))
		_, err = h.rt.Inspect(ctx, spec.TaskID)
		assert.ErrorIs(t, err, ErrNotFound)
		require.NoError(t, h.rt.Remove(ctx, spec.TaskID, RemoveOptions{Sandbox: true}), "removing a removed task")
		require.NoError(t, h.rt.Stop(ctx, spec.TaskID, time.Second), "stopping a removed task")
		list, err := h.rt.List(ctx, job)
		require.NoError(t, err)
		assert.Empty(t, list)
	})

	t.Run("RemoveRunningTask", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		spec := sleeperSpec(newJob(t, h), 0)
		_, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)
		require.NoError(t, h.rt.Remove(ctx, spec.TaskID, RemoveOptions{Sandbox: true}))
		_, err = h.rt.Inspect(ctx, spec.TaskID)
		assert.ErrorIs(t, err, ErrNotFound)
	})

	t.Run("ForeignContainerUntouched", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		job := newJob(t, h)
		spec := sleeperSpec(job, 0)
		name := ContainerName(spec.TaskID)
		h.addForeign(t, name)

		_, err := h.rt.Start(ctx, spec)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrConflict)
		assert.False(t, Retryable(err))
		assert.Contains(t, err.Error(), "not this task's")

		assert.ErrorIs(t, h.rt.Stop(ctx, spec.TaskID, time.Second), ErrConflict)
		assert.ErrorIs(t, h.rt.Remove(ctx, spec.TaskID, RemoveOptions{Sandbox: true}), ErrConflict)
		_, err = h.rt.Inspect(ctx, spec.TaskID)
		assert.ErrorIs(t, err, ErrConflict)
		_, _, err = h.rt.Exec(ctx, spec.TaskID, []string{"true"})
		assert.ErrorIs(t, err, ErrConflict)
		_, err = h.rt.ReadLogs(ctx, spec.TaskID, LogCursor{}, MaxLogPage, 0)
		assert.ErrorIs(t, err, ErrConflict)
		_, err = h.rt.Locate(ctx, spec.TaskID)
		assert.ErrorIs(t, err, ErrConflict)

		all, err := h.rt.List(ctx, jobkey.Key{})
		require.NoError(t, err)
		for _, st := range all {
			assert.NotEqual(t, name, st.Name, "a foreign container must not be listed")
		}
		assert.True(t, h.foreignExists(t, name), "the foreign container must survive")
	})

	t.Run("MissingImage", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		spec := sleeperSpec(newJob(t, h), 0)
		spec.Image = "borealis/never-built:nope"
		_, err := h.rt.Start(ctx, spec)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.False(t, Retryable(err))
		assert.Contains(t, err.Error(), `image "borealis/never-built:nope" not found locally: build it with make images or docker build`)
		_, err = h.rt.Inspect(ctx, spec.TaskID)
		assert.ErrorIs(t, err, ErrNotFound, "no container is left behind")
	})

	t.Run("InvalidSpec", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		spec := sleeperSpec(newJob(t, h), 0)
		spec.TaskID = ""
		spec.CPU = -1
		_, err := h.rt.Start(ctx, spec)
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Contains(t, err.Error(), "task id is empty")
		assert.Contains(t, err.Error(), "cpu -1 is negative")
	})

	t.Run("UnknownTask", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		id := "no-such-task-" + randHex(4)
		_, err := h.rt.Inspect(ctx, id)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = h.rt.Wait(ctx, id)
		assert.ErrorIs(t, err, ErrNotFound)
		_, _, err = h.rt.Exec(ctx, id, []string{"true"})
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = h.rt.ReadLogs(ctx, id, LogCursor{}, MaxLogPage, 0)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.False(t, Retryable(err))
		_, err = h.rt.ReadLogs(ctx, id, LogCursor{}, MaxLogPage, time.Second)
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = h.rt.Locate(ctx, id)
		assert.ErrorIs(t, err, ErrNotFound)
	})

	t.Run("ExitEventAndWait", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		evCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		events, errs := h.rt.Events(evCtx)

		job := newJob(t, h)
		spec := taskSpec(job, 1, "sleep 1; exit 3")
		_, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)
		if h.exit != nil {
			h.exit(t, spec.TaskID)
		}

		var ev ExitEvent
	wait:
		for {
			select {
			case ev = <-events:
				if ev.TaskID == spec.TaskID {
					break wait
				}
			case err := <-errs:
				t.Fatalf("event stream: %v", err)
			case <-ctx.Done():
				t.Fatal("no exit event for the task")
			}
		}
		assert.Equal(t, job, ev.JobKey)
		assert.Equal(t, 1, ev.Instance)
		assert.NotZero(t, ev.ExitCode, "a failed task exits non-zero")
		assert.False(t, ev.OOMKilled)

		status, err := h.rt.Wait(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.Equal(t, ev.ExitCode, status.ExitCode)
		assert.False(t, status.OOMKilled)
		assert.Empty(t, status.Reason)

		st, err := h.rt.Inspect(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.Equal(t, StateExited, st.State)
		assert.Equal(t, ev.ExitCode, st.ExitCode)

		_, _, err = h.rt.Exec(ctx, spec.TaskID, []string{"true"})
		assert.ErrorIs(t, err, ErrConflict, "exec in a stopped task")

		cancel()
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, context.Canceled)
		case <-time.After(10 * time.Second):
			t.Fatal("event stream did not end with its context")
		}
	})

	testLogContract(t, h)
	testLocateContract(t, h)
	testOwnershipContract(t, h)
}

// testContext is a context bounded well within the test timeout.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newJob makes a job key no other test (or test package) uses and has the
// harness clean up its containers.
func newJob(t *testing.T, h harness) jobkey.Key {
	name := strings.ToLower(t.Name()[strings.LastIndex(t.Name(), "/")+1:])
	job := jobkey.Key{Cluster: "test", Role: "dockerrun", Environment: "e" + randHex(4), Name: name}
	if h.track != nil {
		h.track(t, job)
	}
	return job
}

// taskSpec makes a one-process task of the job running cmdline.
func taskSpec(job jobkey.Key, instance int, cmdline string) TaskSpec {
	return TaskSpec{
		JobKey:   job,
		Instance: instance,
		TaskID:   fmt.Sprintf("%s-%s-%d-%s", job.Environment, job.Name, instance, randHex(4)),
		Runner: runner.TaskSpec{
			Processes:        []runner.ProcessSpec{{Name: "main", Cmdline: cmdline, MaxFailures: 1}},
			MaxFailures:      1,
			FinalizationWait: 30,
		},
		CPU:      0.25,
		RAMBytes: 64 << 20,
	}
}

// sleeperSpec is a task that runs until stopped.
func sleeperSpec(job jobkey.Key, instance int) TaskSpec {
	return taskSpec(job, instance, "while true; do sleep 1; done")
}

func taskIDs(list []TaskState) []string {
	ids := make([]string, 0, len(list))
	for _, st := range list {
		ids = append(ids, st.TaskID)
	}
	return ids
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Unit tests of the helpers shared by both runtimes.

func TestPortEnvName(t *testing.T) {
	assert.Equal(t, "BOREALIS_PORT_HTTP", PortEnvName("http"))
	assert.Equal(t, "BOREALIS_PORT_ADMIN_UI_2", PortEnvName("admin-ui.2"))
	assert.Equal(t, "BOREALIS_PORT__", PortEnvName("é"))
}

func TestContainerName(t *testing.T) {
	assert.Equal(t, "borealis-abc-1.x_y", ContainerName("abc-1.x_y"))
	assert.Equal(t, "borealis-__etc_passwd", ContainerName("./etc/passwd"))
	assert.Equal(t, "borealis-a_b_c", ContainerName("a/b c"))
	assert.Equal(t, ContainerName("x"), ContainerName("x"), "deterministic")
}

func TestSpecEnvAndLabels(t *testing.T) {
	spec := TaskSpec{JobKey: jobkey.Key{Cluster: "c", Role: "r", Environment: "e", Name: "n"}, Instance: 4, TaskID: "t1", Env: map[string]string{"A": "1"}}
	ports := map[string]int{"http": 31000, "admin-ui": 31001}
	assert.Equal(t, []string{"A=1", "BOREALIS_INSTANCE=4", "BOREALIS_PORT_ADMIN_UI=31001",
		"BOREALIS_PORT_HTTP=31000", "BOREALIS_TASK_ID=t1"}, spec.env(ports))
	labels := spec.labels(ports, "", "")
	assert.NotContains(t, labels, LabelHost)
	assert.NotContains(t, labels, LabelDeployment)
	assert.Equal(t, "c/r/e/n", labels[LabelJob])
	assert.Equal(t, "4", labels[LabelInstance])
	assert.Equal(t, "t1", labels[LabelTask])
	st := stateFromLabels(labels)
	assert.Equal(t, ports, st.Ports)
	assert.Equal(t, spec.JobKey, st.JobKey)
	assert.Equal(t, 4, st.Instance)
}

func TestRetryable(t *testing.T) {
	assert.False(t, Retryable(nil))
	assert.True(t, Retryable(&Error{Op: "start", Kind: ErrUnavailable, Err: errors.New("refused")}))
	assert.True(t, Retryable(errors.New("internal server error")))
	assert.False(t, Retryable(newError("start", "t", ErrConflict, "taken")))
	assert.False(t, Retryable(newError("start", "t", ErrInvalid, "bad")))
	assert.False(t, Retryable(newError("start", "t", ErrNotFound, "gone")))
	assert.False(t, Retryable(wrap("start", "t", context.Canceled, "")))
	err := wrap("stop", "t1", fmt.Errorf("wrapped: %w", ErrUnavailable), "stop container %s", "x")
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.Equal(t, `dockerrun: stop task "t1": stop container x: wrapped: docker unavailable`, err.Error())
}
