package dockerrun

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/jobkey"
)

// testOwnershipContract is how every Runtime takes Docker parameters, keeps
// a removed task's log, sweeps ended containers and keeps to its
// deployment's containers.
func testOwnershipContract(t *testing.T, h harness) {
	t.Run("DockerParameters", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		spec := sleeperSpec(newJob(t, h), 0)
		spec.Labels = map[string]string{"team": "storage", "com.example.tier": "gold"}
		_, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)
		labels := h.labels(t, spec.TaskID)
		assert.Equal(t, "storage", labels["team"])
		assert.Equal(t, "gold", labels["com.example.tier"])
		assert.Equal(t, spec.TaskID, labels[LabelTask])
		assert.NotContains(t, labels, LabelDeployment, "no deployment set")
		assert.NotContains(t, labels, LabelHost, "no host name set")

		for name, mutate := range map[string]func(*TaskSpec){
			"borealis label":        func(s *TaskSpec) { s.Labels = map[string]string{LabelTask: "other"} },
			"borealis label prefix": func(s *TaskSpec) { s.Labels = map[string]string{"borealis.mine": "x"} },
			"relative host path":    func(s *TaskSpec) { s.Mounts = []Mount{{HostPath: "data", ContainerPath: "/data"}} },
			"relative target":       func(s *TaskSpec) { s.Mounts = []Mount{{HostPath: "/tmp", ContainerPath: "data"}} },
			"over the sandbox":      func(s *TaskSpec) { s.Mounts = []Mount{{HostPath: "/tmp", ContainerPath: "/sandbox/"}} },
			"over the runner":       func(s *TaskSpec) { s.Mounts = []Mount{{HostPath: "/tmp", ContainerPath: "/.borealis/runner"}} },
			"under /.borealis":      func(s *TaskSpec) { s.Mounts = []Mount{{HostPath: "/tmp", ContainerPath: "/.borealis/x"}} },
			"relative workdir":      func(s *TaskSpec) { s.WorkDir = "work" },
			"user name":             func(s *TaskSpec) { s.User = "nobody" },
			"user negative gid":     func(s *TaskSpec) { s.User = "1000:-1" },
		} {
			bad := sleeperSpec(newJob(t, h), 0)
			mutate(&bad)
			_, err := h.rt.Start(ctx, bad)
			assert.ErrorIs(t, err, ErrInvalid, name)
			_, err = h.rt.Inspect(ctx, bad.TaskID)
			assert.ErrorIs(t, err, ErrNotFound, "%s: no container is made", name)
		}
	})

	t.Run("RemoveKeepsLogs", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		task := startEmitter(t, h)
		h.emit(t, task, "one\ntwo\n")
		h.emit(t, task, "three\n")
		waitForLogs(t, h.rt, task.TaskID, "three\n")
		before, _ := readLogs(t, h.rt, task.TaskID, LogCursor{})
		first, err := h.rt.ReadLogs(ctx, task.TaskID, LogCursor{}, 1, 0)
		require.NoError(t, err)

		// Removed while it runs: the log is saved first.
		require.NoError(t, h.rt.Remove(ctx, task.TaskID, RemoveOptions{}))
		_, err = h.rt.Inspect(ctx, task.TaskID)
		require.ErrorIs(t, err, ErrNotFound)

		whole, err := h.rt.ReadLogs(ctx, task.TaskID, LogCursor{}, MaxLogPage, time.Minute)
		require.NoError(t, err, "a removed task's log stays readable")
		assert.True(t, whole.Ended)
		assert.False(t, whole.Full)
		assert.True(t, strings.HasPrefix(string(whole.Data), before), "the saved log %q starts with %q", whole.Data, before)
		assert.Equal(t, "one\ntwo\nthree\n", linesWithPrefix(string(whole.Data), ""))

		// The same cursors, entry by entry.
		again, err := h.rt.ReadLogs(ctx, task.TaskID, LogCursor{}, 1, 0)
		require.NoError(t, err)
		assert.Equal(t, first.Data, again.Data)
		assert.Equal(t, first.Next, again.Next)
		var got []byte
		page := first
		got = append(got, first.Data...)
		for n := 0; !page.Ended; n++ {
			require.Less(t, n, 200, "paging does not end")
			page, err = h.rt.ReadLogs(ctx, task.TaskID, page.Next, 1, 0)
			require.NoError(t, err)
			assert.True(t, page.Full || page.Ended)
			got = append(got, page.Data...)
		}
		assert.Equal(t, string(whole.Data), string(got))
		assert.Equal(t, whole.Next, page.Next)

		// A second Remove keeps it; removing the sandbox drops it.
		require.NoError(t, h.rt.Remove(ctx, task.TaskID, RemoveOptions{}))
		_, err = h.rt.ReadLogs(ctx, task.TaskID, LogCursor{}, MaxLogPage, 0)
		require.NoError(t, err)
		require.NoError(t, h.rt.Remove(ctx, task.TaskID, RemoveOptions{Sandbox: true}))
		_, err = h.rt.ReadLogs(ctx, task.TaskID, LogCursor{}, MaxLogPage, 0)
		assert.ErrorIs(t, err, ErrNotFound)
	})

	t.Run("SweepContainers", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		rt := h.withDeployment(t, "sweep-"+randHex(4), "")
		job := newJob(t, h)
		start := func(instance int, cmdline string) TaskSpec {
			spec := taskSpec(job, instance, cmdline)
			_, err := rt.Start(ctx, spec)
			require.NoError(t, err)
			return spec
		}
		end := func(spec TaskSpec) *TaskState {
			if h.exit != nil {
				h.exit(t, spec.TaskID)
			}
			_, err := rt.Wait(ctx, spec.TaskID)
			require.NoError(t, err)
			st, err := rt.Inspect(ctx, spec.TaskID)
			require.NoError(t, err)
			return st
		}
		old := start(0, "echo old; exit 0")
		oldState := end(old)
		newer := start(1, "echo newer; exit 0")
		newerState := end(newer)
		running := start(2, "while true; do sleep 1; done")
		require.True(t, oldState.FinishedAt.Before(newerState.StartedAt))

		// Ended before the cutoff: removed, log kept. Ended after it, or
		// running: kept.
		removed, err := rt.SweepContainers(ctx, newerState.StartedAt)
		require.NoError(t, err)
		assert.Equal(t, []string{old.TaskID}, removed)
		_, err = rt.Inspect(ctx, old.TaskID)
		assert.ErrorIs(t, err, ErrNotFound)
		page, err := rt.ReadLogs(ctx, old.TaskID, LogCursor{}, MaxLogPage, 0)
		require.NoError(t, err, "the swept container's log is saved")
		assert.True(t, page.Ended)
		if h.exit == nil {
			assert.Equal(t, "old\n", linesWithPrefix(string(page.Data), "old"))
		}
		for _, spec := range []TaskSpec{newer, running} {
			_, err := rt.Inspect(ctx, spec.TaskID)
			assert.NoError(t, err, "kept: %s", spec.TaskID)
		}

		removed, err = rt.SweepContainers(ctx, time.Now().Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, []string{newer.TaskID}, removed, "a running task is never swept")
		st, err := rt.Inspect(ctx, running.TaskID)
		require.NoError(t, err)
		assert.True(t, st.Running)
	})

	t.Run("Deployments", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		suffix := randHex(4)
		a := h.withDeployment(t, "a-"+suffix, "host-a")
		b := h.withDeployment(t, "b-"+suffix, "host-b")
		evCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		bEvents, bErrs := b.Events(evCtx)
		job := newJob(t, h)

		ofA := sleeperSpec(job, 0)
		_, err := a.Start(ctx, ofA)
		require.NoError(t, err)
		labels := h.labels(t, ofA.TaskID)
		assert.Equal(t, "a-"+suffix, labels[LabelDeployment])
		assert.Equal(t, "host-a", labels[LabelHost])

		// B neither sees nor touches A's container.
		list, err := b.List(ctx, job)
		require.NoError(t, err)
		assert.Empty(t, list)
		all, err := b.List(ctx, jobkey.Key{})
		require.NoError(t, err)
		assert.NotContains(t, taskIDs(all), ofA.TaskID)
		_, err = b.Start(ctx, ofA)
		assert.ErrorIs(t, err, ErrConflict, "B does not adopt A's container")
		_, err = b.Inspect(ctx, ofA.TaskID)
		assert.ErrorIs(t, err, ErrConflict)
		assert.ErrorIs(t, b.Stop(ctx, ofA.TaskID, time.Second), ErrConflict)
		assert.ErrorIs(t, b.Remove(ctx, ofA.TaskID, RemoveOptions{Sandbox: true}), ErrConflict)
		_, _, err = b.Exec(ctx, ofA.TaskID, []string{"true"})
		assert.ErrorIs(t, err, ErrConflict)
		_, err = b.ReadLogs(ctx, ofA.TaskID, LogCursor{}, MaxLogPage, 0)
		assert.ErrorIs(t, err, ErrConflict)
		_, err = b.Locate(ctx, ofA.TaskID)
		assert.ErrorIs(t, err, ErrConflict)

		// Not even once it has ended.
		require.NoError(t, a.Stop(ctx, ofA.TaskID, 5*time.Second))
		removed, err := b.SweepContainers(ctx, time.Now().Add(time.Hour))
		require.NoError(t, err)
		assert.NotContains(t, removed, ofA.TaskID)
		st, err := a.Inspect(ctx, ofA.TaskID)
		require.NoError(t, err, "A's container survives B")
		assert.False(t, st.Running)
		list, err = a.List(ctx, job)
		require.NoError(t, err)
		assert.Equal(t, []string{ofA.TaskID}, taskIDs(list))

		// B hears of its own task's exit, not of A's before it.
		ofB := taskSpec(job, 1, "sleep 1; exit 3")
		_, err = b.Start(ctx, ofB)
		require.NoError(t, err)
		if h.exit != nil {
			h.exit(t, ofB.TaskID)
		}
	events:
		for {
			select {
			case ev := <-bEvents:
				require.NotEqual(t, ofA.TaskID, ev.TaskID, "B heard of A's task")
				if ev.TaskID == ofB.TaskID {
					break events
				}
			case err := <-bErrs:
				t.Fatalf("event stream: %v", err)
			case <-ctx.Done():
				t.Fatal("no exit event for B's task")
			}
		}

		// A container without the label (made before it existed) is
		// every deployment's.
		legacy := sleeperSpec(job, 2)
		_, err = h.rt.Start(ctx, legacy)
		require.NoError(t, err)
		assert.NotContains(t, h.labels(t, legacy.TaskID), LabelDeployment)
		for _, rt := range []Runtime{a, b} {
			st, err := rt.Inspect(ctx, legacy.TaskID)
			require.NoError(t, err)
			assert.True(t, st.Running)
			list, err := rt.List(ctx, job)
			require.NoError(t, err)
			assert.Contains(t, taskIDs(list), legacy.TaskID)
			again, err := rt.Start(ctx, legacy)
			require.NoError(t, err)
			assert.True(t, again.Adopted)
		}
		// The runtime without a deployment sees them all.
		list, err = h.rt.List(ctx, job)
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{ofA.TaskID, ofB.TaskID, legacy.TaskID}, taskIDs(list))
	})
}
