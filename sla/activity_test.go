package sla

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

func TestInstanceOf(t *testing.T) {
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	t1, t2, t3 := now.Add(-3*time.Hour), now.Add(-2*time.Hour), now.Add(-time.Hour)
	task := func(s workflows.TaskStatus, evs ...workflows.TaskEvent) *workflows.TaskInfo {
		return &workflows.TaskInfo{InstanceID: 4, TaskID: "t", Status: s, TaskEvents: evs}
	}
	ev := func(at time.Time, s workflows.TaskStatus) workflows.TaskEvent {
		return workflows.TaskEvent{Timestamp: ms(at), Status: s}
	}
	tests := []struct {
		name   string
		active *workflows.TaskInfo
		want   Instance
	}{
		{"no task", nil, Instance{ID: 4}},
		{"pending", task(workflows.StatusPending, ev(t1, workflows.StatusPending)),
			Instance{ID: 4, Active: true}},
		{"throttled", task(workflows.StatusThrottled, ev(t1, workflows.StatusRunning), ev(t2, workflows.StatusThrottled)),
			Instance{ID: 4, Active: true, RunningSince: t1}},
		{"assigned", task(workflows.StatusAssigned, ev(t1, workflows.StatusPending), ev(t2, workflows.StatusAssigned)),
			Instance{ID: 4, Active: true, Placed: true}},
		{"starting", task(workflows.StatusStarting), Instance{ID: 4, Active: true, Placed: true}},
		{"running", task(workflows.StatusRunning, ev(t1, workflows.StatusPending), ev(t2, workflows.StatusRunning)),
			Instance{ID: 4, Active: true, Placed: true, Running: true, RunningSince: t2}},
		// RUNNING since the latest RUNNING event (a restart in place).
		{"running again", task(workflows.StatusRunning,
			ev(t1, workflows.StatusRunning), ev(t2, workflows.StatusRestarting), ev(t3, workflows.StatusRunning)),
			Instance{ID: 4, Active: true, Placed: true, Running: true, RunningSince: t3}},
		// The latest by timestamp, as Aurora's max(), whatever the order.
		{"running, events out of order", task(workflows.StatusRunning,
			ev(t3, workflows.StatusRunning), ev(t1, workflows.StatusRunning)),
			Instance{ID: 4, Active: true, Placed: true, Running: true, RunningSince: t3}},
		{"running without a RUNNING event", task(workflows.StatusRunning),
			Instance{ID: 4, Active: true, Placed: true, Running: true}},
		{"restarting", task(workflows.StatusRestarting, ev(t1, workflows.StatusRunning)),
			Instance{ID: 4, Active: true, Placed: true, RunningSince: t1}},
		{"killing", task(workflows.StatusKilling, ev(t1, workflows.StatusRunning)),
			Instance{ID: 4, Active: true, Placed: true, RunningSince: t1}},
		{"finished", task(workflows.StatusFinished, ev(t1, workflows.StatusRunning)), Instance{ID: 4}},
		{"failed", task(workflows.StatusFailed, ev(t1, workflows.StatusRunning)), Instance{ID: 4}},
		{"killed", task(workflows.StatusKilled, ev(t1, workflows.StatusRunning)), Instance{ID: 4}},
		{"lost", task(workflows.StatusLost, ev(t1, workflows.StatusRunning)), Instance{ID: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := instanceOf(workflows.InstanceStatus{InstanceID: 4, Active: tt.active})
			assert.Equal(t, tt.want.ID, got.ID)
			assert.Equal(t, tt.want.Active, got.Active, "active")
			assert.Equal(t, tt.want.Placed, got.Placed, "placed")
			assert.Equal(t, tt.want.Running, got.Running, "running")
			assert.True(t, tt.want.RunningSince.Equal(got.RunningSince), "running since %v, want %v", got.RunningSince, tt.want.RunningSince)
		})
	}
}

// A RUNNING task's age is measured from its latest RUNNING event: restarted
// in place 10 s ago, it has not been up for 30 s.
func TestInstanceOfFeedsCheck(t *testing.T) {
	st := func(id int, evs ...workflows.TaskEvent) workflows.InstanceStatus {
		return workflows.InstanceStatus{InstanceID: id, Active: &workflows.TaskInfo{
			InstanceID: id, Status: workflows.StatusRunning, TaskEvents: evs}}
	}
	at := func(d time.Duration) int64 { return now.Add(-d).UnixMilli() }
	statuses := []workflows.InstanceStatus{
		st(0, workflows.TaskEvent{Timestamp: at(time.Hour), Status: workflows.StatusRunning}),
		st(1, workflows.TaskEvent{Timestamp: at(time.Hour), Status: workflows.StatusRunning},
			workflows.TaskEvent{Timestamp: at(20 * time.Second), Status: workflows.StatusRestarting},
			workflows.TaskEvent{Timestamp: at(10 * time.Second), Status: workflows.StatusRunning}),
		st(2, workflows.TaskEvent{Timestamp: at(time.Minute), Status: workflows.StatusRunning}),
	}
	var instances []Instance
	for _, s := range statuses {
		instances = append(instances, instanceOf(s))
	}
	v := Check(countSLA(2, 30), instances, 0, nil, true, now, testSettings)
	assert.False(t, v.Allowed, v.Reason)
	assert.Contains(t, v.Reason, "1 of 3")
}

func TestCheckerSleep(t *testing.T) {
	c := &Checker{Settings: Settings{CheckInterval: 20 * time.Millisecond}}
	start := time.Now()
	require.NoError(t, c.sleep(context.Background(), "waiting"))
	assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)

	// Cancelled: returns at once, with the context's error.
	c = &Checker{} // the default interval, 5 s
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	start = time.Now()
	err := c.sleep(ctx, "waiting")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 2*time.Second)
}

// fakeTemporal answers the job and status queries of workflows, as the
// Temporal client would; the rest of client.Client is not used.
type fakeTemporal struct {
	client.Client
	key string

	mu       sync.Mutex
	view     workflows.JobView
	statuses map[int]workflows.InstanceStatus
	fail     int // the next fail queries fail
	queries  int
}

func newFakeTemporal(key string, job config.Job, tasks ...*workflows.TaskInfo) *fakeTemporal {
	f := &fakeTemporal{key: key, statuses: map[int]workflows.InstanceStatus{}}
	f.view = workflows.JobView{JobKey: key, Configs: map[string]config.Job{"": job}}
	for i, task := range tasks {
		f.view.Instances = append(f.view.Instances, workflows.InstanceRef{ID: i})
		f.statuses[i] = workflows.InstanceStatus{JobKey: key, InstanceID: i, Active: task}
	}
	return f
}

func (f *fakeTemporal) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queries
}

func (f *fakeTemporal) QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	if f.fail > 0 {
		f.fail--
		return nil, errors.New("workflow not found")
	}
	if workflowID == workflows.JobWorkflowID(f.key) && queryType == workflows.QueryJob {
		return jsonValue{f.view}, nil
	}
	for id, st := range f.statuses {
		if workflowID == workflows.InstanceWorkflowID(f.key, id) && queryType == workflows.QueryInstanceStatus {
			return jsonValue{st}, nil
		}
	}
	return nil, errors.New("no such query: " + workflowID + " " + queryType)
}

// jsonValue is a query result, decoded as Temporal's JSON converter would.
type jsonValue struct{ v any }

func (j jsonValue) HasValue() bool { return true }

func (j jsonValue) Get(into any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

const jobKey = "test_cluster/role/env/name"

func runningSince(id int, at time.Time) *workflows.TaskInfo {
	return &workflows.TaskInfo{InstanceID: id, TaskID: "task" + string(rune('A'+id)), Status: workflows.StatusRunning, Host: "a",
		TaskEvents: []workflows.TaskEvent{{Timestamp: at.UnixMilli(), Status: workflows.StatusRunning}}}
}

func pendingTask(id int) *workflows.TaskInfo {
	return &workflows.TaskInfo{InstanceID: id, TaskID: "task" + string(rune('A'+id)), Status: workflows.StatusPending,
		TaskEvents: []workflows.TaskEvent{{Timestamp: now.UnixMilli(), Status: workflows.StatusPending}}}
}

func slaInput(p config.SlaPolicy, id int, wait bool) workflows.SLAInput {
	return workflows.SLAInput{JobKey: jobKey, Instance: id, Policy: p, Production: true, Wait: wait}
}

// One check reads the job and its instances and answers.
func TestAwaitSLAOnce(t *testing.T) {
	old := now.Add(-time.Hour)
	f := newFakeTemporal(jobKey, coordJob, runningSince(0, old), runningSince(1, old), pendingTask(2))
	c := &Checker{Client: f, Settings: testSettings, Now: func() time.Time { return now }}

	v, err := c.AwaitSLA(context.Background(), slaInput(countPolicy, 0, false))
	require.NoError(t, err)
	assert.False(t, v.Allowed, v.Reason)
	assert.Contains(t, v.Reason, "1 of 3 active instances")
	assert.Equal(t, 4, f.count(), "the job and its three instances")

	// Going instances come from the input.
	in := slaInput(percentageSLA(0, 1800), 0, false)
	in.Going = []int{1}
	v, err = c.AwaitSLA(context.Background(), in)
	require.NoError(t, err)
	assert.Contains(t, v.Reason, "0% of 3 active instances")

	// The pending instance goes at once.
	v, err = c.AwaitSLA(context.Background(), slaInput(countPolicy, 2, false))
	require.NoError(t, err)
	assert.True(t, v.Allowed)
	assert.Contains(t, v.Reason, "no task placed")
}

// Without Wait, a failed query is the activity's error (the workflow
// retries it); with Wait it is a no, asked again.
func TestAwaitSLAQueryFails(t *testing.T) {
	old := now.Add(-time.Hour)
	f := newFakeTemporal(jobKey, coordJob, runningSince(0, old), runningSince(1, old), runningSince(2, old))
	f.fail = 1
	c := &Checker{Client: f, Settings: Settings{CheckInterval: 5 * time.Millisecond, MinInstances: 2}, Now: func() time.Time { return now }}
	_, err := c.AwaitSLA(context.Background(), slaInput(countPolicy, 0, false))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read job "+jobKey)

	f.mu.Lock()
	f.fail = 2
	f.mu.Unlock()
	v, err := c.AwaitSLA(context.Background(), slaInput(countPolicy, 0, true))
	require.NoError(t, err)
	assert.True(t, v.Allowed, v.Reason)
}

// With Wait, the check is asked again every CheckInterval until it passes:
// here until instance 1, just RUNNING, has been up for over 2 s.
func TestAwaitSLAWaits(t *testing.T) {
	var clock atomic.Int64
	clock.Store(now.UnixMilli())
	f := newFakeTemporal(jobKey, coordJob, runningSince(0, now.Add(-time.Hour)), runningSince(1, now), runningSince(2, now.Add(-time.Hour)))
	var checks atomic.Int32
	c := &Checker{Client: f, Settings: Settings{CheckInterval: time.Millisecond, MinInstances: 2},
		Now: func() time.Time {
			checks.Add(1)
			// Each check is a second later.
			return time.UnixMilli(clock.Add(1000))
		}}
	v, err := c.AwaitSLA(context.Background(), slaInput(countSLA(2, 2), 0, true))
	require.NoError(t, err)
	assert.True(t, v.Allowed, v.Reason)
	assert.Contains(t, v.Reason, "2 of 3")
	// Up 1 s, 2 s: not over 2 s; 3 s: over.
	assert.Equal(t, int32(3), checks.Load())
}

// A waiting check ends when the activity is cancelled.
func TestAwaitSLACancelled(t *testing.T) {
	f := newFakeTemporal(jobKey, coordJob, runningSince(0, now), runningSince(1, now), pendingTask(2))
	c := &Checker{Client: f, Settings: Settings{CheckInterval: 5 * time.Millisecond, MinInstances: 2}, Now: func() time.Time { return now }}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for f.count() < 8 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	v, err := c.AwaitSLA(ctx, slaInput(countPolicy, 0, true))
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, v.Allowed)
	assert.Contains(t, v.Reason, "count 2 needed")
}

// A coordinator policy asks the coordinator with the instance's task and
// config, and the key CLUSTER/ROLE/ENV/NAME/INSTANCE; a task that is not
// placed goes without asking (SlaManagerTest.testCheckCoordinatorSlaCheckForceAct);
// neither the tier nor sla.min_instances apply to it.
func TestAwaitSLACoordinator(t *testing.T) {
	coord := newCoordinator(t, http.StatusOK, `{"drain": true}`)
	task := coordTask // SlaManagerTest's taskA, instance 1
	f := newFakeTemporal(jobKey, coordJob, pendingTask(0), &task)
	c := &Checker{Client: f, Settings: Settings{MinInstances: 20}, Now: func() time.Time { return now }}
	p := config.SlaPolicy{Coordinator: &config.CoordinatorSlaPolicy{CoordinatorURL: coord.URL, StatusKey: "drain"}}
	in := slaInput(p, 0, false)
	in.Production = false

	v, err := c.AwaitSLA(context.Background(), in)
	require.NoError(t, err)
	assert.True(t, v.Allowed)
	assert.Contains(t, v.Reason, "no task placed")
	assert.Empty(t, coord.requests(), "a task not placed goes without asking")

	in.Instance = 1
	v, err = c.AwaitSLA(context.Background(), in)
	require.NoError(t, err)
	assert.True(t, v.Allowed, v.Reason)
	assert.Contains(t, v.Reason, `answered {"drain": true}`)
	reqs := coord.requests()
	require.Len(t, reqs, 1)
	assertAuroraRequest(t, reqs[0])
	cfg := reqs[0].body["taskConfig"].(map[string]any)["assignedTask"].(map[string]any)["task"].(map[string]any)
	assert.Equal(t, "test_cluster", cfg["cluster"], "the instance's config")
}
