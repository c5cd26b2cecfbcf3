package workflows_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/cron"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/worker/registry"
	"github.com/borealis-dev/borealis/workflows"
)

// These tests run cron jobs on the dev server's real Schedules: the SDK's
// test environment has none. Runs come from schedules seconds apart, or
// from triggering a schedule whose cron times are a year away.

// yearly is a spec with no time in any test's lifetime: runs come only
// when a test triggers them.
var yearly = &client.ScheduleSpec{CronExpressions: []string{"0 0 1 1 *"}, TimeZoneName: "UTC"}

// cronJob is a cron job of n instances that run until the test ends them.
func (e *env) cronJob(name string, n int, policy string) config.Job {
	j := e.job(name, n, false)
	j.CronSchedule, j.CronCollisionPolicy = "* * * * *", policy
	return j
}

// schedule creates the job's workflow and its schedule with spec, removed
// when the test ends.
func (e *env) schedule(j config.Job, spec *client.ScheduleSpec) cron.Schedules {
	e.t.Helper()
	e.create(j)
	s := cron.Schedules{Client: e.c, TaskQueue: e.queue, Spec: spec}
	created, err := s.Put(context.Background(), j)
	require.NoError(e.t, err)
	require.True(e.t, created)
	e.t.Cleanup(func() { _ = s.Delete(context.Background(), j.Key()) })
	return s
}

// admitted waits until the job's workflow has admitted its config; a
// worker must run.
func (e *env) admitted(key string) {
	e.t.Helper()
	_, ok := poll.Wait(e.timeout, 50*time.Millisecond, func() (bool, string) {
		v, err := e.queryJob(key)
		return err == nil && v.Busy == "", ""
	})
	require.True(e.t, ok, "job %s not admitted", key)
}

// lastTrigger is when trigger last triggered a schedule.
var lastTrigger struct {
	sync.Mutex
	at time.Time
}

// trigger starts a run of the job now. Temporal names a run by its
// scheduled time in whole seconds, so two triggers within one second are
// one run: trigger waits for a second no trigger of this package used.
func (e *env) trigger(s cron.Schedules, key string) {
	e.t.Helper()
	lastTrigger.Lock()
	defer lastTrigger.Unlock()
	_, ok := poll.Wait(2*time.Second, 10*time.Millisecond, func() (bool, string) {
		return time.Now().Truncate(time.Second).After(lastTrigger.at), ""
	})
	require.True(e.t, ok)
	require.NoError(e.t, s.Trigger(context.Background(), key))
	lastTrigger.at = time.Now().Truncate(time.Second)
}

// queryJob queries the job's workflow.
func (e *env) queryJob(key string) (workflows.JobView, error) {
	var v workflows.JobView
	r, err := e.c.QueryWorkflow(context.Background(), workflows.JobWorkflowID(key), "", workflows.QueryJob)
	if err == nil {
		err = r.Get(&v)
	}
	return v, err
}

// waitCron polls the job's cron view until cond holds.
func (e *env) waitCron(key, what string, cond func(workflows.CronView) bool) workflows.CronView {
	e.t.Helper()
	var last workflows.JobView
	var lastErr error
	_, ok := poll.Wait(e.timeout, 50*time.Millisecond, func() (bool, string) {
		last, lastErr = e.queryJob(key)
		return lastErr == nil && last.Cron != nil && cond(*last.Cron), ""
	})
	if !ok {
		e.t.Fatalf("cron job %s: not %s after %s; last view %+v (err %v)", key, what, e.timeout, last.Cron, lastErr)
	}
	return *last.Cron
}

// runResult waits for a run workflow's result.
func (e *env) runResult(runID string) workflows.CronRun {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), e.timeout)
	defer cancel()
	var r workflows.CronRun
	require.NoError(e.t, e.c.GetWorkflow(ctx, runID, "").Get(ctx, &r))
	return r
}

func activeRun(v workflows.CronView) bool {
	return v.Active != nil && v.Active.Outcome == workflows.CronRunning
}

func TestCronRunsOnScheduleKillingTheActiveRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.cronJob("tick", 2, config.CronKillExisting)
	key := j.Key()
	e.schedule(j, &client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: 2 * time.Second}}})

	// Tasks never end here: every scheduled time kills the run before it.
	v := e.waitCron(key, "three runs killed", func(v workflows.CronView) bool { return len(v.Runs) >= 3 })
	for i, r := range v.Runs {
		assert.Equal(t, workflows.CronKilled, r.Outcome, "run %d", i)
		assert.Contains(t, r.Message, "KILL_EXISTING")
		assert.Equal(t, []int{0, 1}, r.Instances)
		assert.Equal(t, 0, r.Scheduled.Second()%2, "scheduled on the 2 s grid: %s", r.Scheduled)
		assert.Less(t, r.Started.Sub(r.Scheduled), 2*time.Second, "run %d started on time", i)
		for id, s := range r.Results {
			assert.Equal(t, workflows.StatusKilled, s, "instance %d of run %d", id, i)
		}
		if i > 0 {
			assert.Equal(t, 2*time.Second, r.Scheduled.Sub(v.Runs[i-1].Scheduled), "one run per scheduled time")
			assert.False(t, r.Started.Before(v.Runs[i-1].Ended), "run %d started after the one before ended", i)
		}
	}
	got := e.runResult(v.Runs[0].RunID)
	assert.Equal(t, workflows.CronKilled, got.Outcome, "the run workflow returns the run")
	e.replay(v.Runs[0].RunID, "cron-run-killed")
}

func TestCronCancelNewSkipsWhileARunIsActive(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.cronJob("once", 1, config.CronCancelNew)
	key := j.Key()
	s := e.schedule(j, yearly)
	e.admitted(key)

	e.trigger(s, key)
	first := e.waitCron(key, "running", activeRun).Active
	task := e.running(key, 0)

	e.trigger(s, key)
	v := e.waitCron(key, "a run skipped", func(v workflows.CronView) bool { return len(v.Runs) == 1 })
	skipped := v.Runs[0]
	assert.Equal(t, workflows.CronSkipped, skipped.Outcome)
	assert.Equal(t, fmt.Sprintf("run %s is still active (cron_collision_policy CANCEL_NEW)", first.RunID), skipped.Message)
	assert.Equal(t, first.RunID, v.Active.RunID, "the active run goes on")
	assert.Equal(t, workflows.CronSkipped, e.runResult(skipped.RunID).Outcome)

	require.NoError(t, e.fake.Exit(task.TaskID, 0, false))
	v = e.waitCron(key, "run finished", func(v workflows.CronView) bool { return len(v.Runs) == 2 })
	assert.Nil(t, v.Active)
	assert.Equal(t, workflows.CronFinished, v.Runs[1].Outcome)
	assert.Equal(t, map[int]workflows.TaskStatus{0: workflows.StatusFinished}, v.Runs[1].Results)
	assert.Equal(t, workflows.CronFinished, e.runResult(first.RunID).Outcome)

	// The next time runs again, as a new instance workflow.
	e.trigger(s, key)
	second := e.waitCron(key, "running again", activeRun).Active
	assert.NotEqual(t, first.RunID, second.RunID)
	task2 := e.running(key, 0, task.TaskID)
	require.NoError(t, e.fake.Exit(task2.TaskID, 3, false))
	v = e.waitCron(key, "run failed", func(v workflows.CronView) bool { return len(v.Runs) == 3 })
	assert.Equal(t, workflows.CronFailed, v.Runs[2].Outcome, "max_task_failures 1: one failure fails the run")
	assert.Equal(t, "instances [0] did not finish", v.Runs[2].Message)
	e.replay(workflows.JobWorkflowID(key), "cron-job-cancel-new")
}

func TestCronKillallKillsTheRunAndDescheduleEndsTheJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.cronJob("stop", 2, config.CronKillExisting)
	key := j.Key()
	s := e.schedule(j, yearly)
	e.admitted(key)
	ctx := context.Background()

	// killall with no run active kills nothing.
	var res workflows.OpResult
	require.NoError(t, e.update(key, workflows.UpdateKillAll, nil, &res))
	assert.Empty(t, res.Instances)

	e.trigger(s, key)
	run := e.waitCron(key, "running", activeRun).Active
	e.running(key, 0)
	e.running(key, 1)
	require.NoError(t, e.update(key, workflows.UpdateKillAll, nil, &res))
	assert.ElementsMatch(t, []int{0, 1}, res.Instances)
	assert.Empty(t, res.Failed)
	v := e.waitCron(key, "run killed", func(v workflows.CronView) bool { return len(v.Runs) == 1 })
	assert.Equal(t, workflows.CronKilled, v.Runs[0].Outcome)
	assert.Equal(t, "killed by a user", v.Runs[0].Message)
	assert.Equal(t, run.RunID, v.Runs[0].RunID)

	// restart and add are not for cron jobs; updates neither.
	err := e.update(key, workflows.UpdateRestart, workflows.RestartRequest{BatchSize: 1}, &res)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is a cron job: job restart is not supported")

	// Descheduled while a run is active: the run goes on, then the job ends.
	e.trigger(s, key)
	e.waitCron(key, "running", activeRun)
	t0 := e.running(key, 0)
	t1 := e.running(key, 1)
	require.NoError(t, s.Delete(ctx, key))
	var cv workflows.CronView
	require.NoError(t, e.update(key, workflows.UpdateCronDeschedule, nil, &cv))
	assert.True(t, cv.Descheduled)
	require.NotNil(t, cv.Active, "the active run goes on")
	require.NoError(t, e.fake.Exit(t0.TaskID, 0, false))
	require.NoError(t, e.fake.Exit(t1.TaskID, 0, false))

	wctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	var end workflows.JobView
	require.NoError(t, e.c.GetWorkflow(wctx, workflows.JobWorkflowID(key), "").Get(wctx, &end))
	require.NotNil(t, end.Cron)
	assert.True(t, end.Ended)
	require.Len(t, end.Cron.Runs, 2)
	assert.Equal(t, workflows.CronFinished, end.Cron.Runs[1].Outcome)
	assert.ErrorIs(t, s.Trigger(ctx, key), cron.ErrNotScheduled)
	e.replay(workflows.JobWorkflowID(key), "cron-job-deschedule")
}

func TestCronRescheduleReplacesTheConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.cronJob("grow", 1, config.CronKillExisting)
	key := j.Key()
	s := e.schedule(j, yearly)
	e.admitted(key)
	ctx := context.Background()

	j2 := j
	j2.Instances = 3
	j2.CronCollisionPolicy = config.CronCancelNew
	var res struct{ Warnings []string }
	require.NoError(t, e.update(key, workflows.UpdateCronSchedule, j2, &res))
	created, err := s.Put(ctx, j2)
	require.NoError(t, err)
	assert.False(t, created, "the schedule is replaced, not made again")

	e.trigger(s, key)
	v := e.waitCron(key, "running", activeRun)
	assert.Equal(t, []int{0, 1, 2}, v.Active.Instances)
	assert.Equal(t, config.CronCancelNew, v.CollisionPolicy)

	// A service config, or another job's, is refused.
	svc := j2
	svc.CronSchedule, svc.CronCollisionPolicy, svc.Service = "", "", true
	err = e.update(key, workflows.UpdateCronSchedule, svc, &res)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "has no cron_schedule")

	// A job that is not a cron job takes no cron operation.
	plain := e.job("plain", 1, true)
	e.create(plain)
	err = e.update(plain.Key(), workflows.UpdateCronDeschedule, nil, &workflows.CronView{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a cron job")
}

func TestCronRunPastTheCatchupWindowIsSkipped(t *testing.T) {
	t.Parallel()
	e := newWorkerlessEnv(t)
	j := e.cronJob("late", 1, config.CronKillExisting)
	key := j.Key()
	s := e.schedule(j, yearly)

	// No worker runs at the scheduled time; it comes back past the window.
	// The window is wide enough that a run the worker is there for starts
	// inside it even on a loaded machine (a run workflow's first task can
	// take over a second to be picked up then), and the worker comes back
	// well past it.
	const window = 5 * time.Second
	triggered := time.Now()
	e.trigger(s, key)
	_, ok := poll.Wait(20*time.Second, 100*time.Millisecond, func() (bool, string) {
		return time.Since(triggered) > window+2*time.Second, ""
	})
	require.True(t, ok)
	w := e.startWorker(registry.WithCronCatchupWindow(window))
	t.Cleanup(w.Stop)

	v := e.waitCron(key, "run skipped", func(v workflows.CronView) bool { return len(v.Runs) == 1 })
	assert.Equal(t, workflows.CronSkipped, v.Runs[0].Outcome)
	assert.Contains(t, v.Runs[0].Message, "past the catch-up window of 5s (cron.catchup_window)")
	assert.Nil(t, v.Active)

	// A time the worker is there for runs.
	e.trigger(s, key)
	v = e.waitCron(key, "running", activeRun)
	assert.LessOrEqual(t, v.Active.Started.Sub(v.Active.Scheduled), window)
	e.replay(v.Runs[0].RunID, "cron-run-late")
}

// TestCronRunWithoutJob: a run whose job's workflow has ended is skipped.
func TestCronRunWithoutJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.cronJob("gone", 1, config.CronKillExisting)
	key := j.Key()
	ctx := context.Background()
	run, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: workflows.CronRunWorkflowID(key) + "-by-hand", TaskQueue: e.queue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, workflows.CronRunWorkflowName, workflows.CronRunInput{JobKey: key})
	require.NoError(t, err)
	var r workflows.CronRun
	require.NoError(t, run.Get(ctx, &r))
	assert.Equal(t, workflows.CronSkipped, r.Outcome)
	assert.Equal(t, fmt.Sprintf("job %s is not scheduled (its workflow has ended)", key), r.Message)
	assert.True(t, strings.HasPrefix(r.RunID, workflows.CronRunWorkflowID(key)))
}

// TestCronJobContinuesAsNewBetweenRuns lowers the history limit (so it
// does not run in parallel) until a cron job's workflow continues as new
// between runs a schedule starts every second: every scheduled second
// runs once, none is lost at a hand-over, and the runs are remembered.
func TestCronJobContinuesAsNewBetweenRuns(t *testing.T) {
	e := newEnv(t)
	j := e.cronJob("cont", 1, config.CronKillExisting)
	key := j.Key()
	const limit = 60
	restore := workflows.SetHistoryLimit(limit)
	defer restore()
	s := e.schedule(j, &client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Second}}})
	ctx := context.Background()
	desc, err := e.c.DescribeWorkflow(ctx, workflows.JobWorkflowID(key), "")
	require.NoError(t, err)
	first := desc.WorkflowExecution.RunID

	e.timeout = time.Minute
	e.waitCron(key, "continued as new, with runs after it", func(v workflows.CronView) bool {
		d, err := e.c.DescribeWorkflow(ctx, workflows.JobWorkflowID(key), "")
		return err == nil && d.WorkflowExecution.RunID != first && len(v.Runs) >= 8
	})
	require.NoError(t, s.Delete(ctx, key))
	v := e.waitCron(key, "the last run active", func(v workflows.CronView) bool { return v.Active != nil })
	// Every second once, none lost: killed by the next, or skipped when its
	// request came after a later one's (run workflows signal in any order).
	times := []time.Time{v.Active.Scheduled}
	for _, r := range v.Runs {
		times = append(times, r.Scheduled)
		switch r.Outcome {
		case workflows.CronKilled:
			assert.Contains(t, r.Message, "KILL_EXISTING")
		case workflows.CronSkipped:
			assert.Contains(t, r.Message, "has started already")
			assert.True(t, r.Scheduled.Before(v.Active.Scheduled))
		default:
			t.Errorf("run %s ended %s: %s", r.RunID, r.Outcome, r.Message)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	runID := func(at time.Time) string {
		return workflows.CronRunWorkflowID(key) + "-" + at.UTC().Format(time.RFC3339)
	}
	_, err = e.c.DescribeWorkflow(ctx, runID(times[0]), "")
	require.NoError(t, err, "a recorded run's workflow is found by its id")
	for i := 1; i < len(times); i++ {
		assert.Positive(t, times[i].Sub(times[i-1]), "each second once: %v", times)
		// A second the job did not record must be one the schedule did not
		// start (Temporal's scheduler, late on a loaded machine, may drop
		// one): a run workflow the job never answered is a lost request.
		for at := times[i-1].Add(time.Second); at.Before(times[i]); at = at.Add(time.Second) {
			id := runID(at)
			_, err := e.c.DescribeWorkflow(ctx, id, "")
			var notFound *serviceerror.NotFound
			assert.ErrorAs(t, err, &notFound, "run %s was started but the job did not record it: %v", id, times)
			if err != nil {
				t.Logf("the schedule did not start a run for %s", at)
			}
		}
	}
	restore()
	e.replayRun(workflows.JobWorkflowID(key), first, "cron-job-continued", limit)
}

// TestCronOlderRequestArrivingLateIsSkipped: run workflows signal their job
// in any order; a request for a time older than the latest run started
// neither kills it nor runs after it.
func TestCronOlderRequestArrivingLateIsSkipped(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	j := e.cronJob("order", 1, config.CronKillExisting)
	key := j.Key()
	s := e.schedule(j, yearly)
	e.admitted(key)
	e.trigger(s, key)
	active := e.waitCron(key, "running", activeRun).Active

	late := workflows.CronRunRequest{RunID: workflows.CronRunWorkflowID(key) + "-late", Scheduled: active.Scheduled.Add(-time.Minute)}
	require.NoError(t, e.c.SignalWorkflow(context.Background(), workflows.JobWorkflowID(key), "", workflows.SignalCronRun, late))
	v := e.waitCron(key, "the late request skipped", func(v workflows.CronView) bool { return len(v.Runs) == 1 })
	assert.Equal(t, workflows.CronSkipped, v.Runs[0].Outcome)
	assert.Equal(t, fmt.Sprintf("the run scheduled for %s has started already", active.Scheduled.Format(time.RFC3339)), v.Runs[0].Message)
	require.NotNil(t, v.Active)
	assert.Equal(t, active.RunID, v.Active.RunID, "the newer run goes on")
}
