package workflows_test

// Ports of Apache Aurora's updater scenarios (src/test/java/org/apache/
// aurora/scheduler/updater/): JobUpdaterIT, OneWayJobUpdaterTest and
// InstanceUpdaterTest, run as real updates on the fake container runtime.
// Where Aurora's test moves a task from state to state by hand, these hold
// a task STARTING (a health check that fails inside a long grace period,
// see held) or end it (dockerrun.Fake.Exit). Where Borealis differs from
// Aurora on purpose the test asserts Borealis's behaviour and says so;
// docs/aurora-conformance.md lists every Aurora test and its port.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// Instance update actions, short, for the expected event tables.
const (
	iU   = workflows.InstanceUpdating
	iUD  = workflows.InstanceUpdated
	iUF  = workflows.InstanceUpdateFailed
	iRB  = workflows.InstanceRollingBack
	iRBD = workflows.InstanceRolledBack
	iRBF = workflows.InstanceRollbackFailed
)

// auroraWait bounds every wait for an update to reach a state.
const auroraWait = 45 * time.Second

// evs is what Aurora's assertState compares: each instance's update
// actions, in the order they happened.
type evs map[int][]string

// byInstance is an update's instance events grouped by instance, in order.
func byInstance(info workflows.UpdateInfo) evs {
	out := evs{}
	for _, ev := range info.InstanceEvents {
		out[ev.InstanceID] = append(out[ev.InstanceID], ev.Action)
	}
	return out
}

// groupsOf splits the instances that got action start, in order, into the
// groups that went together: a group is over once one of its instances got
// one of the end actions, so an instance started after that is in the next.
func groupsOf(info workflows.UpdateInfo, start string, ends ...string) [][]int {
	var groups [][]int
	var cur []int
	ended := false
	for _, ev := range info.InstanceEvents {
		switch {
		case ev.Action == start:
			if ended {
				groups, cur, ended = append(groups, cur), nil, false
			}
			cur = append(cur, ev.InstanceID)
		case auHas(ends, ev.Action) && auHasInt(cur, ev.InstanceID):
			ended = true
		}
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

func auHas(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func auHasInt(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}

// held is versioned with a grace of 60 s before failed health checks count:
// a task of a pair listed in bad (version/instance) stays STARTING until
// healed, as Aurora's tests leave a task PENDING or STARTING by not moving
// it on; the other tasks are RUNNING at their first check.
func (e *env) held(name string, n, version int, bad ...string) config.Job {
	m := map[string]bool{}
	for _, b := range bad {
		m[b] = true
	}
	j := e.versioned(name, n, version, m)
	j.HealthCheckConfig.InitialIntervalSecs = 60
	return j
}

// hold makes the tasks of version/instance pairs fail their health checks.
func (e *env) hold(pairs ...string) {
	e.badMu.Lock()
	defer e.badMu.Unlock()
	for _, p := range pairs {
		e.bad[p] = true
	}
}

// heal makes the tasks of version/instance pairs pass their health checks.
func (e *env) heal(pairs ...string) {
	e.badMu.Lock()
	defer e.badMu.Unlock()
	for _, p := range pairs {
		delete(e.bad, p)
	}
}

// auWait polls an update's info until cond holds.
func (e *env) auWait(key, id, what string, cond func(workflows.UpdateInfo) bool) workflows.UpdateInfo {
	e.t.Helper()
	deadline := time.Now().Add(auroraWait)
	for {
		info := e.updateInfo(key, id)
		if cond(info) {
			return info
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("update %s: not %s after %s; it is %s, instance events %v", id, what, auroraWait, info.Status, byInstance(info))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// auStatus waits for an update to be in state s.
func (e *env) auStatus(key, id string, s workflows.UpdateStatus) workflows.UpdateInfo {
	e.t.Helper()
	return e.auWait(key, id, string(s), func(i workflows.UpdateInfo) bool { return i.Status == s })
}

// auEvents waits for an update's instance events to be want.
func (e *env) auEvents(key, id string, want evs) workflows.UpdateInfo {
	e.t.Helper()
	return e.auWait(key, id, fmt.Sprint("with events ", want), func(i workflows.UpdateInfo) bool {
		return fmt.Sprint(byInstance(i)) == fmt.Sprint(want)
	})
}

// auFinal waits for an update to finish, and for its job to know it (the
// job takes no other update before). It polls the update's query, which
// answers before and after its workflow closes.
func (e *env) auFinal(key, id string) workflows.UpdateInfo {
	e.t.Helper()
	info := e.auWait(key, id, "finished", func(i workflows.UpdateInfo) bool { return !i.Status.Active() })
	assert.Eventually(e.t, func() bool { return e.jobView(key).Updating != id }, 10*time.Second, 50*time.Millisecond,
		"the job still has update %s active", id)
	return info
}

// auOp sends an operation and checks the state it answers.
func (e *env) auOp(key, id, op string, want workflows.UpdateStatus) {
	e.t.Helper()
	s, err := e.op(key, id, op)
	if assert.NoError(e.t, err, "%s", op) {
		assert.Equal(e.t, want, s, "%s answers the state it leads to", op)
	}
}

// taskOf waits for instance i's active task of config version v in one of
// the states given, and returns it.
func (e *env) taskOf(key string, i int, v string, states ...workflows.TaskStatus) workflows.TaskInfo {
	e.t.Helper()
	st := e.waitFor(key, i, fmt.Sprintf("a task of version %q in %v", v, states), func(s workflows.InstanceStatus) bool {
		if s.Active == nil || s.Active.ConfigVersion != v {
			return false
		}
		for _, state := range states {
			if s.Active.Status == state {
				return true
			}
		}
		return false
	})
	return *st.Active
}

// auVersions waits for the job to record want: each instance's config version.
func (e *env) auVersions(key string, want map[int]string) {
	e.t.Helper()
	assert.Eventually(e.t, func() bool { return fmt.Sprint(versions(e.jobView(key))) == fmt.Sprint(want) },
		10*time.Second, 50*time.Millisecond, "the job records versions %v; it has %v", want, versions(e.jobView(key)))
}

// auRuns checks what each instance runs now (its RUNNING task's command).
func (e *env) auRuns(key string, want map[int]string) {
	e.t.Helper()
	for i, cmd := range want {
		assert.Equal(e.t, cmd, e.activeCmdline(key, i), "instance %d", i)
	}
}

// auKill kills instances of a job outside any update, leaving holes.
func (e *env) auKill(key string, ids ...int) {
	e.t.Helper()
	require.NoError(e.t, e.update(key, workflows.UpdateKill, workflows.KillRequest{Instances: ids}, nil))
	for _, i := range ids {
		e.waitFor(key, i, "killed", func(s workflows.InstanceStatus) bool { return s.Done })
	}
}

// auCreate creates j and waits for all its instances to run.
func (e *env) auCreate(j config.Job) string {
	e.t.Helper()
	e.create(j)
	e.runningAll(j.Key(), j.Instances)
	return j.Key()
}

// auStart starts an update and fails the test if it is refused.
func (e *env) auStart(next config.Job, id string, only ...int) {
	e.t.Helper()
	_, err := e.startUpdate(next, id, only...)
	require.NoError(e.t, err)
}

// withStrategy sets an update strategy (and Aurora's batch_size 1 beside it).
func withStrategy(j config.Job, s config.UpdateStrategy) config.Job {
	j.UpdateConfig.BatchSize = 1
	j.UpdateConfig.UpdateStrategy = &s
	return j
}

// withPulse makes j's update a coordinated one. The interval is shorter
// than config validation allows (60 s), so pulses lapse within a test.
func withPulse(j config.Job, secs int) config.Job {
	j.UpdateConfig.PulseIntervalSecs = &secs
	return j
}

// refusedAsFinished checks every operation on a finished update is refused
// the way Aurora's JobUpdateStateMachine refuses it.
func (e *env) refusedAsFinished(key, id string, final workflows.UpdateStatus) {
	e.t.Helper()
	for _, op := range []string{workflows.UpdatePause, workflows.UpdateResume, workflows.UpdateAbort, workflows.UpdateRollback} {
		_, err := e.op(key, id, op)
		if !assert.Error(e.t, err, "%s of a finished update", op) {
			continue
		}
		// While the workflow closes, its validator refuses with Aurora's
		// message; once it has closed, Temporal refuses by itself.
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeUpdateNotActive {
			assert.Contains(e.t, err.Error(), "Cannot transition update from "+string(final)+" to ", op)
			continue
		}
		assert.True(e.t, workflowClosed(err), "%s of a finished update: want it refused as finished, got %v", op, err)
	}
}

// workflowClosed reports whether err is Temporal's refusal of an update of
// a workflow that has closed.
func workflowClosed(err error) bool {
	var notFound *serviceerror.NotFound
	return errors.As(err, &notFound) || strings.Contains(err.Error(), "workflow execution already completed") ||
		strings.Contains(err.Error(), "aborted by closing workflow")
}

// newRestartableEnv is newEnv whose worker can be replaced: restart stops
// it and starts another on the same task queue over the same fake runtime
// (its containers live on), as when borealis-worker restarts. This is how
// Aurora's "recover from storage" scenarios run here: the workflows are the
// storage.
func newRestartableEnv(t *testing.T) (*env, func()) {
	t.Helper()
	e := newWorkerlessEnv(t)
	start := func() worker.Worker { return e.startWorker() }
	var mu sync.Mutex
	cur := start()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		cur.Stop()
	})
	restart := func() {
		mu.Lock()
		defer mu.Unlock()
		cur.Stop()
		cur = start()
	}
	return e, restart
}

// auAnswering waits until an update's workflow answers queries again, as it
// does once a new worker has picked it up after a restart.
func (e *env) auAnswering(key, id string) {
	e.t.Helper()
	deadline := time.Now().Add(auroraWait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := e.c.QueryWorkflow(ctx, workflows.UpdateWorkflowID(key, id), "", workflows.QueryUpdateInfo)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("update %s: no answer after a worker restart: %v", id, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// JobUpdaterIT.testSuccessfulUpdate: instance 0 runs the new config already,
// 1 is added, 2 is changed. Pausing twice is a no-op; while paused nothing
// new starts, and a task of an instance not yet reached that fails is not
// the update's business. A finished update cannot be aborted.
func TestAuroraSuccessfulUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("ok", 3, 1, nil))
	e.auKill(key, 1)
	v2 := e.held("ok", 3, 2, "2/1")
	e.auStart(v2, "u0", 0)
	require.Equal(t, workflows.UpdateRolledForward, e.auFinal(key, "u0").Status)

	e.auStart(v2, "u")
	e.auEvents(key, "u", evs{1: {iU}})
	e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollForwardPaused)
	e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollForwardPaused) // a no-op

	// While paused: instance 2's (old) task fails and restarts by itself,
	// and instance 1's new task becomes healthy; nothing new starts.
	old2 := e.running(key, 2).TaskID
	require.NoError(t, e.fake.Exit(old2, 1, false))
	e.running(key, 2, old2)
	e.heal("2/1")
	e.running(key, 1)
	time.Sleep(time.Second)
	info := e.updateInfo(key, "u")
	assert.Equal(t, workflows.UpdateRollForwardPaused, info.Status)
	assert.NotContains(t, byInstance(info), 2, "nothing starts while paused")

	e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
	info = e.auFinal(key, "u")
	// Aurora also checks a task outside the update's instances is ignored:
	// Borealis refuses to add one while the job updates.
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{1: {iU, iUD}, 2: {iU, iUD}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u0", 1: "u", 2: "u"})
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 2/2"})

	_, err := e.op(key, "u", workflows.UpdateAbort)
	assert.Error(t, err, "a finished update cannot be aborted")
}

// JobUpdaterIT.testSuccessfulCoordinatedUpdate: a coordinated update waits
// for a pulse, moves while pulsed, blocks when pulses lapse (with an
// instance in flight) and goes on at the next pulse.
func TestAuroraCoordinatedUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("coord", 3, 1, nil))
	v2 := e.held("coord", 3, 2, "2/2")
	e.auStart(v2, "u0", 0)
	require.Equal(t, workflows.UpdateRolledForward, e.auFinal(key, "u0").Status)

	e.auStart(withPulse(v2, 5), "u")
	info := e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
	assert.Empty(t, info.InstanceEvents, "blocked until the first pulse")
	e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
	e.auEvents(key, "u", evs{1: {iU, iUD}, 2: {iU}})
	// Pulses lapse while instance 2 is in flight.
	e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
	e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
	e.heal("2/2")
	info = e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{1: {iU, iUD}, 2: {iU, iUD}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u0", 1: "u", 2: "u"})
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 2/2"})
}

// JobUpdaterIT's "recover from storage" scenarios, as worker restarts: the
// update's state (paused, pulses, instances in flight) is its workflow's,
// and a new worker on the same queue goes on from it.
func TestAuroraRecoverAfterWorkerRestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string // the Aurora test ported
		pulse int    // pulse_interval_secs (0: unset)
		hold  bool   // instance 0's new task stays STARTING until healed
		// before brings the update to the state the restart finds it in.
		before func(e *env, key string)
		// after is the state right after the restart, then what leads on.
		after  workflows.UpdateStatus
		resume func(e *env, key string)
	}{
		// JobUpdaterIT.testRecoverFromStorage
		{"testRecoverFromStorage", 0, true,
			func(e *env, key string) { e.auEvents(key, "u", evs{0: {iU}}) },
			workflows.UpdateRollingForward,
			func(e *env, key string) { e.heal("2/0") }},
		// JobUpdaterIT.testRecoverAwaitingPulseFromStorage
		{"testRecoverAwaitingPulseFromStorage", 60, false,
			func(e *env, key string) { e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse) },
			workflows.UpdateRollForwardAwaitingPulse,
			func(e *env, key string) {
				e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
			}},
		// JobUpdaterIT.testRecoverCoordinatedPausedFromStorage: a paused
		// update is pulsed (it stays paused), then resumed.
		{"testRecoverCoordinatedPausedFromStorage", 60, false,
			func(e *env, key string) {
				e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
				e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollForwardPaused)
			},
			workflows.UpdateRollForwardPaused,
			func(e *env, key string) {
				e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollForwardPaused)
				e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
			}},
		// JobUpdaterIT.testRecoverLongPulseTimeoutCoordinatedUpdateFromStorage:
		// a short outage inside a long pulse interval does not block.
		{"testRecoverLongPulseTimeoutCoordinatedUpdateFromStorage", 3600, true,
			func(e *env, key string) {
				e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
				e.auEvents(key, "u", evs{0: {iU}})
			},
			workflows.UpdateRollingForward,
			func(e *env, key string) { e.heal("2/0") }},
		// JobUpdaterIT.testRecoverCoordinatedUpdateFromStorage: Aurora
		// forgets its pulses on failover and blocks; Borealis keeps them
		// (they are the workflow's), so it blocks here because the interval
		// lapsed meanwhile, and goes on at the next pulse.
		{"testRecoverCoordinatedUpdateFromStorage", 5, true,
			func(e *env, key string) {
				e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
				e.auEvents(key, "u", evs{0: {iU}})
			},
			workflows.UpdateRollForwardAwaitingPulse,
			func(e *env, key string) {
				// Instance 0, in flight, finishes without a pulse; 1 starts
				// only at the next one.
				e.heal("2/0")
				e.auEvents(key, "u", evs{0: {iU, iUD}})
				e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, restart := newRestartableEnv(t)
			key := e.auCreate(e.versioned("recover", 2, 1, nil))
			var bad []string
			if tt.hold {
				bad = append(bad, "2/0")
			}
			v2 := e.held("recover", 2, 2, bad...)
			if tt.pulse > 0 {
				v2 = withPulse(v2, tt.pulse)
			}
			e.auStart(v2, "u")
			tt.before(e, key)
			restart()
			e.auAnswering(key, "u")
			e.auStatus(key, "u", tt.after)
			tt.resume(e, key)
			info := e.auFinal(key, "u")
			assert.Equal(t, workflows.UpdateRolledForward, info.Status)
			assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}}, byInstance(info), "each instance updated once")
			e.auVersions(key, map[int]string{0: "u", 1: "u"})
			e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1"})
		})
	}
}

// JobUpdaterIT.testResumeToAwaitingPulse: a coordinated update paused while
// awaiting a pulse resumes to awaiting a pulse.
func TestAuroraResumeToAwaitingPulse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("resume", 2, 1, nil))
	e.auStart(withPulse(e.versioned("resume", 2, 2, nil), 60), "u")
	e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
	e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollForwardPaused)
	e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollForwardAwaitingPulse)
	assert.Empty(t, e.updateInfo(key, "u").InstanceEvents)
	e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}}, byInstance(info))
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1"})
}

// JobUpdaterIT.testPulsePausedUpdate: a paused coordinated update takes a
// pulse (and stays paused); resumed within the pulse's interval it rolls
// forward.
func TestAuroraPulsePausedUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("pp", 3, 1, nil))
	v2 := e.held("pp", 3, 2, "2/2")
	e.auStart(v2, "u0", 0)
	require.Equal(t, workflows.UpdateRolledForward, e.auFinal(key, "u0").Status)

	e.auStart(withPulse(v2, 5), "u")
	e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
	e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
	e.auEvents(key, "u", evs{1: {iU, iUD}, 2: {iU}})
	e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
	e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollForwardPaused)
	e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollForwardPaused)
	e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
	e.heal("2/2")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{1: {iU, iUD}, 2: {iU, iUD}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u0", 1: "u", 2: "u"})
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 2/2"})
}

// JobUpdaterIT.testPauseUnknownUpdate, testResumeUnknownUpdate,
// testPulseInvalidUpdateId: operations on an update that does not exist are
// refused. (Aurora's pulse answers FINISHED there: so does the CLI, which
// asks the job first; see starter/cli's TestUpdateControl.)
func TestAuroraUnknownUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("unknown", 1, 1, nil))
	for _, op := range []string{workflows.UpdatePause, workflows.UpdateResume, workflows.UpdatePulse} {
		_, err := e.op(key, "no-such-update", op)
		assert.Error(t, err, op)
	}
}

// JobUpdaterIT.testSuccessfulBatchedUpdate, testFailToRollbackCompletedUpdate:
// Batch(2) over 3 instances goes (0,1)(2); instance 1 done first does not
// start 2 before 0 is done too. A finished update cannot be rolled back.
func TestAuroraBatchedUpdate(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"testSuccessfulBatchedUpdate", "testFailToRollbackCompletedUpdate"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			key := e.auCreate(e.versioned("batched", 3, 1, nil))
			v2 := withStrategy(e.held("batched", 3, 2, "2/0"), config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: 2}})
			e.auStart(v2, "u")
			e.auEvents(key, "u", evs{0: {iU}, 1: {iU, iUD}})
			time.Sleep(500 * time.Millisecond)
			assert.Equal(t, evs{0: {iU}, 1: {iU, iUD}}, byInstance(e.updateInfo(key, "u")), "2 waits for 0")
			e.heal("2/0")
			info := e.auFinal(key, "u")
			assert.Equal(t, workflows.UpdateRolledForward, info.Status)
			assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}, 2: {iU, iUD}}, byInstance(info))
			assert.Equal(t, [][]int{{0, 1}, {2}}, groupsOf(info, iU, iUD, iUF))
			e.auVersions(key, map[int]string{0: "u", 1: "u", 2: "u"})
			e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 2/2"})
			if name == "testFailToRollbackCompletedUpdate" {
				_, err := e.op(key, "u", workflows.UpdateRollback)
				assert.Error(t, err, "a finished update cannot be rolled back")
			}
		})
	}
}

// JobUpdaterIT.testUpdateSpecificInstances: an update limited to instance 0
// leaves instance 1 as it was.
func TestAuroraUpdateSpecificInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("only", 2, 1, nil))
	e.auStart(e.versioned("only", 2, 2, nil), "u", 0)
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u", 1: ""})
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 1/1"})
}

// JobUpdaterIT.testUpdateSpecificInstancesSkipUnchanged and
// InstanceUpdaterTest.testNoopUpdate: limited to instances 0 and 1, an
// update adds 1 and skips 0, which runs the new config already (its task
// is not touched); 2 is out of scope.
func TestAuroraUpdateSpecificInstancesSkipUnchanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("skip", 3, 1, nil))
	e.auKill(key, 1)
	v2 := e.versioned("skip", 3, 2, nil)
	e.auStart(v2, "u0", 0)
	require.Equal(t, workflows.UpdateRolledForward, e.auFinal(key, "u0").Status)
	task0 := e.running(key, 0).TaskID

	res, err := e.startUpdate(v2, "u", 0, 1)
	require.NoError(t, err)
	assert.Equal(t, []workflows.Step{{Instance: 1, Action: workflows.ActionAdd}}, res.Steps)
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{1: {iU, iUD}}, byInstance(info))
	assert.Equal(t, task0, e.running(key, 0).TaskID, "the no-op instance keeps its task")
	e.auVersions(key, map[int]string{0: "u0", 1: "u", 2: ""})
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 1/2"})
}

// JobUpdaterIT.testRollback, testRollbackDisabled: instance 1 is added, 0
// changed, 2 fails. With rollback, 2, 0 and 1 are rolled back in that order
// (1 removed again), and the rollback can be paused and resumed; without,
// the update ends FAILED where it is. Instance 3 is never touched.
func TestAuroraRollback(t *testing.T) {
	t.Parallel()
	for _, rollback := range []bool{true, false} {
		name := "testRollback"
		if !rollback {
			name = "testRollbackDisabled"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			// Version 1 has a long grace, so its instance 0 can be held
			// STARTING on the way back.
			key := e.auCreate(e.held("rb", 4, 1))
			e.auKill(key, 1)
			e.hold("1/0")
			v2 := e.versioned("rb", 4, 2, map[string]bool{"2/2": true})
			v2.UpdateConfig.RollbackOnFailure = rollback
			e.auStart(v2, "u")
			if !rollback {
				info := e.auFinal(key, "u")
				assert.Equal(t, workflows.UpdateFailed, info.Status)
				assert.Equal(t, evs{1: {iU, iUD}, 0: {iU, iUD}, 2: {iU, iUF}}, byInstance(info))
				e.auVersions(key, map[int]string{0: "u", 1: "u", 2: "u", 3: ""})
				e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 3: "serve 1/3"})
				return
			}
			// Instance 2 is rolled back; 0's old task is held STARTING.
			e.auEvents(key, "u", evs{1: {iU, iUD}, 0: {iU, iUD, iRB}, 2: {iU, iUF, iRB, iRBD}})
			assert.Equal(t, workflows.UpdateRollingBack, e.updateInfo(key, "u").Status)
			e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollBackPaused)
			e.heal("1/0")
			e.running(key, 0)
			time.Sleep(500 * time.Millisecond)
			info := e.updateInfo(key, "u")
			assert.Equal(t, workflows.UpdateRollBackPaused, info.Status)
			assert.NotContains(t, byInstance(info)[1], iRB, "nothing new starts while paused")
			e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingBack)
			info = e.auFinal(key, "u")
			assert.Equal(t, workflows.UpdateRolledBack, info.Status)
			assert.Equal(t, evs{1: {iU, iUD, iRB, iRBD}, 0: {iU, iUD, iRB, iRBD}, 2: {iU, iUF, iRB, iRBD}}, byInstance(info))
			assert.Equal(t, []int{1, 0, 2}, actions(info, iU))
			assert.Equal(t, []int{2, 0, 1}, actions(info, iRB), "exactly the reverse order")
			e.auVersions(key, map[int]string{0: "", 2: "", 3: ""})
			e.auRuns(key, map[int]string{0: "serve 1/0", 2: "serve 1/2", 3: "serve 1/3"})
		})
	}
}

// JobUpdaterIT.testAbort: aborted with instance 1 in flight, the job stays
// partly updated: 0 and 1 run the new config, 2 the old.
func TestAuroraAbort(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("abort", 3, 1, nil))
	e.auStart(e.held("abort", 3, 2, "2/1"), "u")
	e.auEvents(key, "u", evs{0: {iU, iUD}, 1: {iU}})
	e.auOp(key, "u", workflows.UpdateAbort, workflows.UpdateAborted)
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateAborted, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u", 1: "u", 2: ""})
	e.heal("2/1")
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 1/2"})
}

// JobUpdaterIT.testRollbackFailed: instance 1 fails, and fails again rolling
// back: the update ends FAILED; 0 keeps the new config.
func TestAuroraRollbackFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("rbf", 3, 1, nil))
	e.auStart(e.held("rbf", 3, 2, "2/1"), "u")
	e.auEvents(key, "u", evs{0: {iU, iUD}, 1: {iU}})
	task := e.taskOf(key, 1, "u", workflows.StatusStarting)
	e.hold("1/1") // the old config of instance 1 fails from now on
	require.NoError(t, e.fake.Exit(task.TaskID, 1, false))
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateFailed, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUF, iRB, iRBF}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u", 1: "", 2: ""})
	e.auRuns(key, map[int]string{0: "serve 2/0", 2: "serve 1/2"})
}

// JobUpdaterIT.testImmediatelySuccessfulUpdate, testNoopUpdateEmptyDiff:
// an update with nothing to do, because every instance runs the config
// already or because its scope holds no instance of the job, starts
// nothing: "Job is unchanged by proposed update." (Aurora's API says the
// same; its controller, tested directly, accepts the first and refuses the
// second.)
func TestAuroraNoopUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	v1 := e.versioned("noop", 3, 1, nil)
	key := e.auCreate(v1)
	for _, tt := range []struct {
		next config.Job
		only []int
	}{
		{v1, nil},
		{e.versioned("noop", 3, 2, nil), []int{7}},
	} {
		_, err := e.startUpdate(tt.next, "u", tt.only...)
		var appErr *temporal.ApplicationError
		if assert.True(t, errors.As(err, &appErr), "refused: %v", err) {
			assert.Equal(t, workflows.ErrTypeUnchanged, appErr.Type())
			assert.Contains(t, err.Error(), "Job is unchanged by proposed update.")
		}
	}
	assert.Empty(t, e.jobView(key).Updating)
	e.auVersions(key, map[int]string{0: "", 1: "", 2: ""})
	e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1", 2: "serve 1/2"})
}

// JobUpdaterIT.testSlowToScheduleTask, InstanceUpdaterTest.testStuckInPending:
// a new task that does not get going keeps the update waiting as long as
// it takes, until aborted. With healthy_deadline_secs (Borealis's own) the
// instance fails once the deadline passes and the update rolls back.
func TestAuroraSlowToSchedule(t *testing.T) {
	t.Parallel()
	for _, deadline := range []int{0, 1} {
		t.Run(fmt.Sprint("healthy_deadline_secs=", deadline), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			key := e.auCreate(e.versioned("slow", 2, 1, nil))
			v2 := e.held("slow", 2, 2, "2/1")
			if deadline > 0 {
				v2.UpdateConfig.HealthyDeadlineSecs = &deadline
			}
			e.auStart(v2, "u")
			if deadline > 0 {
				info := e.auFinal(key, "u")
				assert.Equal(t, workflows.UpdateRolledBack, info.Status)
				assert.Equal(t, evs{0: {iU, iUD, iRB, iRBD}, 1: {iU, iUF, iRB, iRBD}}, byInstance(info))
				e.auVersions(key, map[int]string{0: "", 1: ""})
				e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1"})
				return
			}
			e.auEvents(key, "u", evs{0: {iU, iUD}, 1: {iU}})
			time.Sleep(3 * time.Second)
			info := e.updateInfo(key, "u")
			assert.Equal(t, workflows.UpdateRollingForward, info.Status)
			assert.Equal(t, evs{0: {iU, iUD}, 1: {iU}}, byInstance(info), "still waiting")
			e.auOp(key, "u", workflows.UpdateAbort, workflows.UpdateAborted)
			assert.Equal(t, workflows.UpdateAborted, e.auFinal(key, "u").Status)
		})
	}
}

// JobUpdaterIT.testAddInstances, InstanceUpdaterTest.testNoOldConfig: an
// instance past the old count is added: its first task goes PENDING,
// ASSIGNED, STARTING, RUNNING.
func TestAuroraAddInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("grow", 2, 1, nil))
	e.auStart(e.versioned("grow", 3, 1, nil), "u")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{2: {iU, iUD}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "", 1: "", 2: "u"})
	e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1", 2: "serve 1/2"})
	task := e.running(key, 2)
	assert.Equal(t, []workflows.TaskStatus{workflows.StatusPending, workflows.StatusAssigned, workflows.StatusStarting, workflows.StatusRunning},
		statuses(task.TaskEvents))
}

// JobUpdaterIT.testRemoveInstances, InstanceUpdaterTest.testNoNewConfig: an
// instance past the new count is killed (through KILLING) and removed.
func TestAuroraRemoveInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("shrink", 2, 1, nil))
	e.auStart(e.versioned("shrink", 1, 1, nil), "u")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{1: {iU, iUD}}, byInstance(info))
	assert.Eventually(t, func() bool { return fmt.Sprint(e.jobView(key).InstanceIDs()) == "[0]" }, 10*time.Second, 50*time.Millisecond)
	st := e.waitFor(key, 1, "removed", func(s workflows.InstanceStatus) bool { return s.Done })
	last := st.Inactive[len(st.Inactive)-1]
	assert.Equal(t, workflows.StatusKilled, last.Status)
	assert.Contains(t, statuses(last.TaskEvents), workflows.StatusKilling)
	e.auRuns(key, map[int]string{0: "serve 1/0"})
}

// JobUpdaterIT.testRollbackDuringUpgrade: Batch(2) over 3; a user rollback
// with instance 2 in flight rolls back (2,1) then (0). Borealis differs on
// purpose: the instance in flight finishes its step first (INSTANCE_UPDATED),
// then the rollback starts; Aurora rolls it back at once.
func TestAuroraRollbackDuringUpgrade(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("rbup", 3, 1, nil))
	v2 := withStrategy(e.held("rbup", 3, 2, "2/2"), config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: 2}})
	e.auStart(v2, "u")
	e.auEvents(key, "u", evs{0: {iU, iUD}, 1: {iU, iUD}, 2: {iU}})
	e.auOp(key, "u", workflows.UpdateRollback, workflows.UpdateRollingBack)
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}, 2: {iU}}, byInstance(e.updateInfo(key, "u")),
		"the rollback waits for the instance in flight")
	e.heal("2/2")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledBack, info.Status)
	assert.Equal(t, evs{0: {iU, iUD, iRB, iRBD}, 1: {iU, iUD, iRB, iRBD}, 2: {iU, iUD, iRB, iRBD}}, byInstance(info))
	assert.Equal(t, [][]int{{2, 1}, {0}}, groupsOf(info, iRB, iRBD, iRBF))
	e.auVersions(key, map[int]string{0: "", 1: "", 2: ""})
	e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1", 2: "serve 1/2"})
}

// JobUpdaterIT.testRollbackCoordinatedUpdate: a coordinated update rolled
// back before its first pulse has nothing to undo: ROLLED_BACK.
func TestAuroraRollbackCoordinatedUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("rbco", 2, 1, nil))
	e.auStart(withPulse(e.versioned("rbco", 2, 2, nil), 60), "u")
	e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
	_, err := e.op(key, "u", workflows.UpdateRollback)
	require.NoError(t, err)
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledBack, info.Status)
	assert.Empty(t, info.InstanceEvents)
	e.auVersions(key, map[int]string{0: "", 1: ""})
	e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1"})
}

// JobUpdaterIT.testRollbackPausedForwardUpdate: a paused update rolls back
// at once; instance 2 is never touched. As in TestAuroraRollbackDuringUpgrade,
// Borealis lets instance 1, in flight, finish its step first (on purpose).
func TestAuroraRollbackPausedForwardUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("rbp", 3, 1, nil))
	v2 := e.held("rbp", 3, 2, "2/1")
	e.auStart(v2, "u0", 0)
	require.Equal(t, workflows.UpdateRolledForward, e.auFinal(key, "u0").Status)

	e.auStart(v2, "u")
	e.auEvents(key, "u", evs{1: {iU}})
	e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollForwardPaused)
	e.auOp(key, "u", workflows.UpdateRollback, workflows.UpdateRollingBack)
	e.heal("2/1")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledBack, info.Status)
	assert.Equal(t, evs{1: {iU, iUD, iRB, iRBD}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u0", 1: "", 2: ""})
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 1/1", 2: "serve 1/2"})
}

// JobUpdaterIT.testInProgressUpdate: a second update while one is active is
// refused, naming the active one.
func TestAuroraInProgressUpdate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("busy", 2, 1, nil))
	e.auStart(e.held("busy", 2, 2, "2/0"), "u1")
	_, err := e.startUpdate(e.versioned("busy", 2, 3, nil), "u2")
	var appErr *temporal.ApplicationError
	if assert.True(t, errors.As(err, &appErr), "refused: %v", err) {
		assert.Equal(t, workflows.ErrTypeJobUpdating, appErr.Type())
		var active string
		require.NoError(t, appErr.Details(&active))
		assert.Equal(t, "u1", active)
	}
	assert.Contains(t, err.Error(), "Job is currently updating (update u1)")
	e.auOp(key, "u1", workflows.UpdateAbort, workflows.UpdateAborted)
}

// JobUpdaterIT.testSuccessfulBatchUpdateAutoPause: Batch(2) with
// autopause_after_batch pauses after (0,1), goes on with (2) when resumed.
func TestAuroraBatchAutoPause(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("bap", 3, 1, nil))
	v2 := withStrategy(e.versioned("bap", 3, 2, nil), config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: 2, AutopauseAfterBatch: true}})
	e.auStart(v2, "u")
	info := e.auStatus(key, "u", workflows.UpdateRollForwardPaused)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}}, byInstance(info))
	e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
	info = e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}, 2: {iU, iUD}}, byInstance(info))
	assert.Equal(t, [][]int{{0, 1}, {2}}, groupsOf(info, iU, iUD, iUF))
	e.auVersions(key, map[int]string{0: "u", 1: "u", 2: "u"})
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 2/2"})
}

// JobUpdaterIT.testSuccessfulVarBatchUpdateAutoPause: VariableBatch(1,2,3)
// over 6 with autopause: (0), pause, (1,2), pause, (3,4,5). The second pause
// waits for the slower instance of its group (1).
func TestAuroraVarBatchAutoPause(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("vbap", 6, 1, nil))
	v2 := withStrategy(e.held("vbap", 6, 2, "2/1"),
		config.UpdateStrategy{VariableBatch: &config.VariableBatchUpdateStrategy{BatchSizes: []int{1, 2, 3}, AutopauseAfterBatch: true}})
	e.auStart(v2, "u")
	info := e.auStatus(key, "u", workflows.UpdateRollForwardPaused)
	assert.Equal(t, evs{0: {iU, iUD}}, byInstance(info))
	e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
	e.auEvents(key, "u", evs{0: {iU, iUD}, 1: {iU}, 2: {iU, iUD}})
	assert.Equal(t, workflows.UpdateRollingForward, e.updateInfo(key, "u").Status, "no pause while 1 is in flight")
	e.heal("2/1")
	info = e.auStatus(key, "u", workflows.UpdateRollForwardPaused)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}, 2: {iU, iUD}}, byInstance(info))
	e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
	info = e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, [][]int{{0}, {1, 2}, {3, 4, 5}}, groupsOf(info, iU, iUD, iUF))
	for i := 0; i < 6; i++ {
		assert.Equal(t, []string{iU, iUD}, byInstance(info)[i], "instance %d", i)
	}
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1", 5: "serve 2/5"})
}

// JobUpdaterIT.testSuccessfulVarBatchUpdateAutoPauseWithRollback:
// VariableBatch(1,2) with autopause adds 2, pauses, changes (0,1); 1 fails.
// The rollback mirrors the groups, (1,0) then (2), and never pauses by
// itself: autopause is for rolling forward only.
func TestAuroraVarBatchAutoPauseWithRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("vbrb", 2, 1, nil))
	v2 := withStrategy(e.versioned("vbrb", 3, 2, map[string]bool{"2/1": true}),
		config.UpdateStrategy{VariableBatch: &config.VariableBatchUpdateStrategy{BatchSizes: []int{1, 2}, AutopauseAfterBatch: true}})
	e.auStart(v2, "u")
	info := e.auStatus(key, "u", workflows.UpdateRollForwardPaused)
	assert.Equal(t, evs{2: {iU, iUD}}, byInstance(info))
	e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
	info = e.auWait(key, "u", "finished or paused rolling back", func(i workflows.UpdateInfo) bool {
		return !i.Status.Active() || i.Status == workflows.UpdateRollBackPaused
	})
	require.Equal(t, workflows.UpdateRolledBack, info.Status, "a rollback does not autopause; events %v", byInstance(info))
	for _, ev := range info.UpdateEvents {
		assert.NotEqual(t, workflows.UpdateRollBackPaused, ev.Status, "never ROLL_BACK_PAUSED: %q", ev.Message)
	}
	assert.Equal(t, evs{2: {iU, iUD, iRB, iRBD}, 0: {iU, iUD, iRB, iRBD}, 1: {iU, iUF, iRB, iRBD}}, byInstance(info))
	assert.Equal(t, [][]int{{1, 0}, {2}}, groupsOf(info, iRB, iRBD, iRBF), "the rollback mirrors the forward groups")
	assert.Eventually(t, func() bool { return fmt.Sprint(e.jobView(key).InstanceIDs()) == "[0 1]" }, 10*time.Second, 50*time.Millisecond)
	e.auVersions(key, map[int]string{0: "", 1: ""})
	e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1"})
	e.replay(workflows.UpdateWorkflowID(key, "u"), "update-varbatch-autopause-rolled-back")
}

// VariableBatchStrategyTest.testRollback, on a real update: VariableBatch
// (1,2,3) over 6 goes forward (0)(1,2)(3,4,5); instance 5 fails and the
// rollback goes (5,4,3)(2,1)(0).
func TestAuroraVarBatchRollbackMirrorsGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("mirror", 6, 1, nil))
	v2 := withStrategy(e.versioned("mirror", 6, 2, map[string]bool{"2/5": true}),
		config.UpdateStrategy{VariableBatch: &config.VariableBatchUpdateStrategy{BatchSizes: []int{1, 2, 3}}})
	e.auStart(v2, "u")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledBack, info.Status)
	assert.Equal(t, [][]int{{0}, {1, 2}, {3, 4, 5}}, groupsOf(info, iU, iUD, iUF))
	assert.Equal(t, [][]int{{5, 4, 3}, {2, 1}, {0}}, groupsOf(info, iRB, iRBD, iRBF))
	e.auVersions(key, map[int]string{0: "", 1: "", 2: "", 3: "", 4: "", 5: ""})
	e.auRuns(key, map[int]string{0: "serve 1/0", 3: "serve 1/3", 5: "serve 1/5"})
}

// InstanceUpdaterTest.testUpdateRetryOnTaskExit for an added instance: with
// max_per_shard_failures = 1 an instance the update adds, whose first task
// ends during its watch, is tried again, and the update finishes. The same
// for an instance a rollback adds back.
func TestAuroraAddedInstanceRetried(t *testing.T) {
	t.Parallel()
	t.Run("forward", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		key := e.auCreate(e.versioned("addretry", 1, 1, nil))
		next := e.versioned("addretry", 2, 1, nil)
		next.UpdateConfig.MaxPerShardFailures, next.UpdateConfig.WatchSecs = 1, 3
		e.auStart(next, "u")
		first := e.running(key, 1)
		require.NoError(t, e.fake.Exit(first.TaskID, 1, false))
		info := e.auFinal(key, "u")
		assert.Equal(t, workflows.UpdateRolledForward, info.Status)
		assert.Equal(t, evs{1: {iU, iUD}}, byInstance(info))
		e.auVersions(key, map[int]string{0: "", 1: "u"})
		assert.NotEqual(t, first.TaskID, e.running(key, 1).TaskID)
		e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1"})
		e.replay(workflows.UpdateWorkflowID(key, "u"), "update-added-instance-retried")
	})
	t.Run("rollback", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		key := e.auCreate(e.versioned("addback", 3, 1, nil))
		// Change 0 and 1, remove 2, all at once; 1 fails twice.
		next := e.versioned("addback", 2, 2, map[string]bool{"2/1": true})
		next.UpdateConfig.BatchSize = 3
		next.UpdateConfig.MaxPerShardFailures, next.UpdateConfig.WatchSecs = 1, 3
		e.auStart(next, "u")
		// The rollback adds 2 back (a new run of its workflow); its first
		// task ends during its watch. (Not found by task id: the new run's
		// first task may have the removed one's, TestAuroraReaddedInstanceTaskID.)
		e.auWait(key, "u", "rolling 2 back", func(i workflows.UpdateInfo) bool { return auHas(byInstance(i)[2], iRB) })
		back := e.waitFor(key, 2, "added back and RUNNING", func(s workflows.InstanceStatus) bool {
			return s.Active != nil && s.Active.Status == workflows.StatusRunning && len(s.Inactive) == 0
		}).Active
		require.NoError(t, e.fake.Exit(back.TaskID, 1, false))
		info := e.auFinal(key, "u")
		assert.Equal(t, workflows.UpdateRolledBack, info.Status)
		assert.Equal(t, evs{0: {iU, iUD, iRB, iRBD}, 1: {iU, iUF, iRB, iRBD}, 2: {iU, iUD, iRB, iRBD}}, byInstance(info))
		e.auVersions(key, map[int]string{0: "", 1: "", 2: ""})
		e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1", 2: "serve 1/2"})
		e.replay(workflows.UpdateWorkflowID(key, "u"), "update-readded-instance-retried")
		e.replay(workflows.InstanceWorkflowID(key, 2), "instance-readded-retried")
	})
}

// Not an Aurora test, found porting testSuccessfulUpdate and the re-add of
// a removed instance: a task's id is new on every run of an instance (Aurora
// gives each task a UUID). An instance killed, then added again by an update
// (filling the hole), runs a new instance workflow whose first task must not
// take the id of the killed instance's first task.
func TestAuroraReaddedInstanceTaskID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("readd", 2, 1, nil))
	killed := e.running(key, 1).TaskID
	e.auKill(key, 1)
	e.auStart(e.versioned("readd", 2, 1, nil), "u")
	info := e.auFinal(key, "u")
	require.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{1: {iU, iUD}}, byInstance(info))
	again := e.running(key, 1).TaskID
	assert.NotEqual(t, killed, again, "the instance added again runs a task with a new id")
}

// Borealis differs from Aurora on purpose: failure counts survive pause and
// resume and a worker restart (Aurora rebuilds its updater from scratch on
// resume and failover, forgetting them). With max_total_failures = 1,
// instance 0 fails, then (after the pause or the restart) instance 1: two
// failed instances, and the update rolls back; instance 2 is never started.
func TestAuroraFailureCountsSurvive(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"pause and resume", "worker restart"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			e, restart := newRestartableEnv(t)
			key := e.auCreate(e.versioned("counts", 3, 1, nil))
			v2 := e.held("counts", 3, 2, "2/0", "2/1")
			v2.UpdateConfig.MaxTotalFailures = 1
			e.auStart(v2, "u")
			require.NoError(t, e.fake.Exit(e.taskOf(key, 0, "u", workflows.StatusStarting).TaskID, 1, false))
			e.auEvents(key, "u", evs{0: {iU, iUF}, 1: {iU}})
			task1 := e.taskOf(key, 1, "u", workflows.StatusStarting)
			if how == "worker restart" {
				restart()
				e.auAnswering(key, "u")
			} else {
				e.auOp(key, "u", workflows.UpdatePause, workflows.UpdateRollForwardPaused)
				e.auOp(key, "u", workflows.UpdateResume, workflows.UpdateRollingForward)
			}
			assert.Equal(t, 1, e.updateInfo(key, "u").Progress.Failed, "the failure count survived")
			require.NoError(t, e.fake.Exit(task1.TaskID, 1, false))
			info := e.auFinal(key, "u")
			assert.Equal(t, workflows.UpdateRolledBack, info.Status)
			assert.Equal(t, evs{0: {iU, iUF, iRB, iRBD}, 1: {iU, iUF, iRB, iRBD}}, byInstance(info))
			e.auVersions(key, map[int]string{0: "", 1: "", 2: ""})
			e.auRuns(key, map[int]string{0: "serve 1/0", 1: "serve 1/1", 2: "serve 1/2"})
		})
	}
}

// OneWayJobUpdaterTest.testSuccessfulUpdate: the strategy is asked again
// each time an instance is done; with Queue(2) and instance 0 slow, 1, 2
// and 3 go through the other slot one after the other.
func TestAuroraQueueRefills(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("refill", 4, 1, nil))
	v2 := withStrategy(e.held("refill", 4, 2, "2/0"), config.UpdateStrategy{Queue: &config.QueueUpdateStrategy{BatchSize: 2}})
	e.auStart(v2, "u")
	e.auEvents(key, "u", evs{0: {iU}, 1: {iU, iUD}, 2: {iU, iUD}, 3: {iU, iUD}})
	e.heal("2/0")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, []int{0, 1, 2, 3}, actions(info, iU))
	assert.Equal(t, []int{1, 2, 3, 0}, actions(info, iUD))
	e.auRuns(key, map[int]string{0: "serve 2/0", 3: "serve 2/3"})
}

// OneWayJobUpdaterTest.testFailedUpdate: once an instance fails past the
// budget the update takes no further instance: with rollback off it ends
// FAILED; 2 and 3 never start. (Instance 1, in flight, finishes its step.)
func TestAuroraOneWayFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("oneway", 4, 1, nil))
	v2 := withStrategy(e.held("oneway", 4, 2, "2/0", "2/1"), config.UpdateStrategy{Queue: &config.QueueUpdateStrategy{BatchSize: 2}})
	v2.UpdateConfig.RollbackOnFailure = false
	e.auStart(v2, "u")
	e.auEvents(key, "u", evs{0: {iU}, 1: {iU}})
	require.NoError(t, e.fake.Exit(e.taskOf(key, 0, "u", workflows.StatusStarting).TaskID, 1, false))
	e.auEvents(key, "u", evs{0: {iU, iUF}, 1: {iU}})
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, evs{0: {iU, iUF}, 1: {iU}}, byInstance(e.updateInfo(key, "u")), "no instance starts after the failure")
	e.heal("2/1")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateFailed, info.Status)
	assert.Equal(t, evs{0: {iU, iUF}, 1: {iU, iUD}}, byInstance(info))
	e.auVersions(key, map[int]string{0: "u", 1: "u", 2: "", 3: ""})
	e.auRuns(key, map[int]string{1: "serve 2/1", 2: "serve 1/2", 3: "serve 1/3"})
}

// OneWayJobUpdaterTest.testEvaluateCompletedInstance: an instance already
// updated is not judged again: its task ending later is not a failure of
// the update.
func TestAuroraCompletedInstanceNotReevaluated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("done", 2, 1, nil))
	e.auStart(e.held("done", 2, 2, "2/1"), "u")
	e.auEvents(key, "u", evs{0: {iU, iUD}, 1: {iU}})
	task := e.taskOf(key, 0, "u", workflows.StatusRunning)
	require.NoError(t, e.fake.Exit(task.TaskID, 1, false))
	e.running(key, 0, task.TaskID)
	e.heal("2/1")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}, 1: {iU, iUD}}, byInstance(info))
	e.auRuns(key, map[int]string{0: "serve 2/0", 1: "serve 2/1"})
}

// InstanceUpdaterTest.testSuccessfulUpdate, testUpdateWithResourceChange,
// testUpdateWithConstraintChange: a changed instance's task is stopped and
// a task of the new config started (PENDING, ASSIGNED, STARTING, RUNNING);
// the instance is updated once that task has been RUNNING for watch_secs.
// Borealis shows the stopped task RESTARTING, then KILLED (Aurora: KILLING).
// Mesos agent reservations (KILL_TASK_WITH_RESERVATION) do not apply.
func TestAuroraInstanceReplace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string // the Aurora test ported
		next func(e *env) config.Job
		cmd  string
	}{
		{"testSuccessfulUpdate", func(e *env) config.Job { return e.versioned("replace", 1, 2, nil) }, "serve 2/0"},
		{"testUpdateWithResourceChange", func(e *env) config.Job {
			j := e.versioned("replace", 1, 1, nil)
			task := *j.Task
			res := *task.Resources
			res.CPU *= 2
			task.Resources = &res
			j.Task = &task
			return j
		}, "serve 1/0"},
		{"testUpdateWithConstraintChange", func(e *env) config.Job {
			j := e.versioned("replace", 1, 1, nil)
			j.Constraints = map[string]string{"different": "test"}
			return j
		}, "serve 1/0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			key := e.auCreate(e.versioned("replace", 1, 1, nil))
			old := e.running(key, 0).TaskID
			next := tt.next(e)
			next.UpdateConfig.WatchSecs = 1
			e.auStart(next, "u")
			info := e.auFinal(key, "u")
			assert.Equal(t, workflows.UpdateRolledForward, info.Status)
			assert.Equal(t, evs{0: {iU, iUD}}, byInstance(info))
			e.auVersions(key, map[int]string{0: "u"})
			e.auRuns(key, map[int]string{0: tt.cmd})

			st := e.waitFor(key, 0, "replaced", func(s workflows.InstanceStatus) bool { return len(s.Inactive) > 0 })
			ended := st.Inactive[len(st.Inactive)-1]
			require.Equal(t, old, ended.TaskID)
			assert.Equal(t, workflows.StatusKilled, ended.Status)
			assert.Contains(t, statuses(ended.TaskEvents), workflows.StatusRestarting)
			task := st.Active
			assert.Equal(t, "u", task.ConfigVersion)
			assert.Equal(t, []workflows.TaskStatus{workflows.StatusPending, workflows.StatusAssigned, workflows.StatusStarting, workflows.StatusRunning},
				statuses(task.TaskEvents))
			var running int64
			for _, ev := range task.TaskEvents {
				if ev.Status == workflows.StatusRunning {
					running = ev.Timestamp
				}
			}
			for _, ev := range info.InstanceEvents {
				if ev.Action == iUD {
					assert.GreaterOrEqual(t, ev.Timestamp, running+1000, "updated after watch_secs of RUNNING")
				}
			}
		})
	}
}

// InstanceUpdaterTest.testUpdateRetryOnTaskExit, testUpdateRetryFailure:
// the new task ends during its watch. With max_per_shard_failures = 1 the
// instance is tried again and updated; with 0 it has failed (rollback off
// here: the update ends FAILED).
func TestAuroraInstanceRetry(t *testing.T) {
	t.Parallel()
	for _, perShard := range []int{1, 0} {
		t.Run(fmt.Sprint("max_per_shard_failures=", perShard), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			key := e.auCreate(e.versioned("retry", 1, 1, nil))
			next := e.versioned("retry", 1, 2, nil)
			next.UpdateConfig.MaxPerShardFailures, next.UpdateConfig.WatchSecs = perShard, 3
			next.UpdateConfig.RollbackOnFailure = false
			e.auStart(next, "u")
			first := e.taskOf(key, 0, "u", workflows.StatusRunning)
			require.NoError(t, e.fake.Exit(first.TaskID, 1, false))
			info := e.auFinal(key, "u")
			if perShard == 1 {
				assert.Equal(t, workflows.UpdateRolledForward, info.Status)
				assert.Equal(t, evs{0: {iU, iUD}}, byInstance(info))
			} else {
				assert.Equal(t, workflows.UpdateFailed, info.Status)
				assert.Equal(t, evs{0: {iU, iUF}}, byInstance(info))
			}
			e.auVersions(key, map[int]string{0: "u"})
			e.auRuns(key, map[int]string{0: "serve 2/0"})
		})
	}
}

// InstanceUpdaterTest.testSlowToKill: the old task is slow to go (its stop
// fails once and is tried again); the update waits for it, starts the new
// task only after, and counts no failure.
func TestAuroraSlowToKill(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key := e.auCreate(e.versioned("slowkill", 1, 1, nil))
	old := e.running(key, 0).TaskID
	e.fake.FailNext("stop", fmt.Errorf("slow to stop: %w", dockerrun.ErrUnavailable))
	e.auStart(e.versioned("slowkill", 1, 2, nil), "u")
	info := e.auFinal(key, "u")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}}, byInstance(info))
	e.auRuns(key, map[int]string{0: "serve 2/0"})
	st, err := e.status(key, 0)
	require.NoError(t, err)
	ended := st.Inactive[len(st.Inactive)-1]
	require.Equal(t, old, ended.TaskID)
	assert.Equal(t, workflows.StatusKilled, ended.Status)
	assert.Len(t, e.fake.Stops(old), 1, "stopped once it could be")
	killed := ended.TaskEvents[len(ended.TaskEvents)-1].Timestamp
	assert.GreaterOrEqual(t, st.Active.TaskEvents[0].Timestamp, killed, "the new task starts after the old one is gone")
	assert.Equal(t, 0, st.FailureCount)
}

// InstanceUpdaterTest.testOldTaskDies, testOldTaskDiesAndRescheduled: the
// old task dies by itself and its instance reschedules it (here it waits,
// THROTTLED, as a flapping task); the update does not add a replacement of
// its own: the rescheduled task takes the new config and starts at once.
func TestAuroraOldTaskDiesWhileThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.policy = taskapi.RestartPolicy{FlappingThreshold: time.Hour, InitialDelay: 30 * time.Second, MaxDelay: 30 * time.Second}
	key := e.auCreate(e.versioned("dies", 1, 1, nil))
	old := e.running(key, 0).TaskID
	require.NoError(t, e.fake.Exit(old, 1, false))
	throttled := e.waitFor(key, 0, "THROTTLED", func(s workflows.InstanceStatus) bool {
		return s.Active != nil && s.Active.Status == workflows.StatusThrottled
	}).Active.TaskID
	started := time.Now()
	e.auStart(e.versioned("dies", 1, 2, nil), "u")
	info := e.auFinal(key, "u")
	assert.Less(t, time.Since(started), 20*time.Second, "not held for the 30 s throttle")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Equal(t, evs{0: {iU, iUD}}, byInstance(info))
	e.auRuns(key, map[int]string{0: "serve 2/0"})
	st, err := e.status(key, 0)
	require.NoError(t, err)
	assert.Equal(t, throttled, st.Active.TaskID, "the rescheduled task is the one that runs the new config")
	require.Len(t, st.Inactive, 1, "no other task")
	assert.Equal(t, old, st.Inactive[0].TaskID)
}

// JobUpdateStateMachineTest.testTransition, through the operations of
// JobUpdateControllerImpl on running updates: pause of ROLLING_* or
// *_AWAITING_PULSE → *_PAUSED, of a paused update a no-op; resume of
// *_PAUSED → ROLLING_* (*_AWAITING_PULSE when pulses lapsed), of an active
// one a no-op; abort of any active state → ABORTED; rollback of a forward
// state → ROLLING_BACK, of one rolling back not an error (ROLL_BACK_PAUSED
// resumes); any operation on a finished update: "Cannot transition update
// from <FROM> to <TO>".
func TestAuroraControlVerbs(t *testing.T) {
	t.Parallel()
	type step struct {
		op   string
		want []workflows.UpdateStatus // accepted answers (Aurora leaves some open)
	}
	one := func(op string, want ...workflows.UpdateStatus) step { return step{op, want} }
	tests := []struct {
		name  string
		setup func(e *env) (key string, from workflows.UpdateStatus)
		steps []step
		final workflows.UpdateStatus
	}{
		{"from ROLLING_FORWARD", func(e *env) (string, workflows.UpdateStatus) {
			key := e.auCreate(e.versioned("verbs", 2, 1, nil))
			e.auStart(e.held("verbs", 2, 2, "2/0"), "u")
			e.auEvents(key, "u", evs{0: {iU}})
			return key, workflows.UpdateRollingForward
		}, []step{
			one(workflows.UpdateResume, workflows.UpdateRollingForward),
			one(workflows.UpdatePause, workflows.UpdateRollForwardPaused),
			one(workflows.UpdatePause, workflows.UpdateRollForwardPaused),
			one(workflows.UpdateResume, workflows.UpdateRollingForward),
			one(workflows.UpdateRollback, workflows.UpdateRollingBack),
			one(workflows.UpdateRollback, workflows.UpdateRollingBack),
			one(workflows.UpdatePause, workflows.UpdateRollBackPaused),
			one(workflows.UpdatePause, workflows.UpdateRollBackPaused),
			one(workflows.UpdateRollback, workflows.UpdateRollingBack),
			one(workflows.UpdatePause, workflows.UpdateRollBackPaused),
			one(workflows.UpdateResume, workflows.UpdateRollingBack),
			one(workflows.UpdateResume, workflows.UpdateRollingBack),
			one(workflows.UpdateAbort, workflows.UpdateAborted),
		}, workflows.UpdateAborted},
		{"from ROLL_FORWARD_AWAITING_PULSE", func(e *env) (string, workflows.UpdateStatus) {
			key := e.auCreate(e.versioned("verbs", 2, 1, nil))
			e.auStart(withPulse(e.versioned("verbs", 2, 2, nil), 60), "u")
			return key, workflows.UpdateRollForwardAwaitingPulse
		}, []step{
			one(workflows.UpdateResume, workflows.UpdateRollForwardAwaitingPulse),
			one(workflows.UpdatePause, workflows.UpdateRollForwardPaused),
			one(workflows.UpdateResume, workflows.UpdateRollForwardAwaitingPulse),
			// Nothing went forward: the rollback has nothing to undo.
			one(workflows.UpdateRollback, workflows.UpdateRollingBack, workflows.UpdateRollBackAwaitingPulse, workflows.UpdateRolledBack),
		}, workflows.UpdateRolledBack},
		{"from ROLL_BACK_AWAITING_PULSE", func(e *env) (string, workflows.UpdateStatus) {
			// Version 1 has a long grace, so instance 0 can be held STARTING
			// on the way back while the pulses lapse.
			key := e.auCreate(e.held("verbs", 2, 1))
			e.hold("1/0")
			e.auStart(withPulse(e.versioned("verbs", 2, 2, map[string]bool{"2/0": true}), 3), "u")
			e.auStatus(key, "u", workflows.UpdateRollForwardAwaitingPulse)
			e.auOp(key, "u", workflows.UpdatePulse, workflows.UpdateRollingForward)
			return key, workflows.UpdateRollBackAwaitingPulse
		}, []step{
			one(workflows.UpdateResume, workflows.UpdateRollBackAwaitingPulse),
			one(workflows.UpdatePause, workflows.UpdateRollBackPaused),
			one(workflows.UpdateResume, workflows.UpdateRollBackAwaitingPulse),
			one(workflows.UpdateRollback, workflows.UpdateRollingBack, workflows.UpdateRollBackAwaitingPulse),
			one(workflows.UpdateAbort, workflows.UpdateAborted),
		}, workflows.UpdateAborted},
		{"finished ROLLED_FORWARD", func(e *env) (string, workflows.UpdateStatus) {
			key := e.auCreate(e.versioned("verbs", 1, 1, nil))
			e.auStart(e.versioned("verbs", 1, 2, nil), "u")
			return key, workflows.UpdateRolledForward
		}, nil, workflows.UpdateRolledForward},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			key, from := tt.setup(e)
			e.auStatus(key, "u", from)
			for i, st := range tt.steps {
				s, err := e.op(key, "u", st.op)
				if !assert.NoError(t, err, "step %d: %s", i, st.op) {
					continue
				}
				assert.Contains(t, st.want, s, "step %d: %s answers", i, st.op)
			}
			info := e.auFinal(key, "u")
			assert.Equal(t, tt.final, info.Status)
			e.refusedAsFinished(key, "u", tt.final)
		})
	}
}
