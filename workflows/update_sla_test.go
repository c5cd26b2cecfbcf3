package workflows_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/sla"
	"github.com/borealis-dev/borealis/worker/registry"
	"github.com/borealis-dev/borealis/workflows"
)

// slaEnv is an env whose worker checks the SLA of every production job with
// at least one instance, every 100 ms.
func slaEnv(t *testing.T) *env {
	return newEnvWith(t, registry.WithSLA(sla.Settings{CheckInterval: 100 * time.Millisecond, MinInstances: 1}))
}

// slaJob is a production service of n instances with an SLA policy; its
// updates are SLA-aware, batch 2 at a time.
func (e *env) slaJob(name string, n, version int, policy config.SlaPolicy) config.Job {
	j := e.job(name, n, true)
	j.Task.Processes[0].Cmdline = "serve " + string(rune('0'+version))
	j.Production = true
	j.SlaPolicy = &policy
	j.UpdateConfig.WatchSecs = 0
	j.UpdateConfig.BatchSize = 2
	j.UpdateConfig.SlaAware = true
	return j
}

// downtime is when an instance had no RUNNING task during an update: from
// the stop of its old task to the RUNNING of its new one (Unix ms).
type downtime struct {
	instance int
	from, to int64
	upBefore int64 // when the old task last became RUNNING
}

// downtimes reads every instance's downtime in the latest replacement.
func (e *env) downtimes(key string, n int) []downtime {
	e.t.Helper()
	var out []downtime
	for i := 0; i < n; i++ {
		st, err := e.status(key, i)
		require.NoError(e.t, err)
		require.NotNil(e.t, st.Active)
		require.NotEmpty(e.t, st.Inactive)
		old := st.Inactive[len(st.Inactive)-1]
		d := downtime{instance: i}
		for _, ev := range old.TaskEvents {
			switch ev.Status {
			case workflows.StatusRunning:
				d.upBefore = ev.Timestamp
			case workflows.StatusRestarting:
				if d.from == 0 {
					d.from = ev.Timestamp
				}
			}
		}
		for _, ev := range st.Active.TaskEvents {
			if ev.Status == workflows.StatusRunning {
				d.to = ev.Timestamp
			}
		}
		require.NotZero(e.t, d.from, "instance %d: old task never stopped by the update", i)
		require.NotZero(e.t, d.to, "instance %d: new task never RUNNING", i)
		out = append(out, d)
	}
	return out
}

// TestSLAAwareUpdateKeepsCount: JobUpdaterIT.testSuccessfulSlaAwareUpdate
// with a CountSlaPolicy. Four instances, count 2 for 2 s, batch 2: the
// update never has more than two instances down, and an instance stops
// only while two others have been RUNNING for over 2 s; the second batch
// waits for the first's new tasks to have run that long, and says so.
func TestSLAAwareUpdateKeepsCount(t *testing.T) {
	e := slaEnv(t)
	policy := config.SlaPolicy{Count: &config.CountSlaPolicy{Count: 2, DurationSecs: 2}}
	v1 := e.slaJob("slacount", 4, 1, policy)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 4)

	_, err := e.startUpdate(e.slaJob("slacount", 4, 2, policy), "u")
	require.NoError(t, err)
	// The second batch must wait: the first batch's tasks are too young.
	var waited workflows.UpdateInfo
	require.Eventually(t, func() bool {
		waited = e.updateInfo(key, "u")
		return len(waited.SLAWaits) > 0 || !waited.Status.Active()
	}, 30*time.Second, 20*time.Millisecond)
	require.NotEmpty(t, waited.SLAWaits, "an instance waited for the SLA")
	assert.Contains(t, waited.SLAWaits[0].Reason, "count 2 needed")

	info := e.waitUpdate(key, "u")
	require.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.Empty(t, info.SLAWaits)
	var checking, passed []int
	for _, ev := range info.InstanceEvents {
		switch ev.Message {
		case "Checking SLA before continuing.":
			checking = append(checking, ev.InstanceID)
			assert.Equal(t, workflows.InstanceUpdating, ev.Action)
		case "SLA check passed, continuing.":
			passed = append(passed, ev.InstanceID)
		}
	}
	assert.ElementsMatch(t, []int{0, 1, 2, 3}, checking)
	assert.ElementsMatch(t, []int{0, 1, 2, 3}, passed)
	e.replay(workflows.UpdateWorkflowID(key, "u"), "update-sla-count")

	downs := e.downtimes(key, 4)
	for _, d := range downs {
		// At d.from, count the others that were up for over 2 s.
		up, down := 0, 1
		for _, o := range downs {
			if o.instance == d.instance {
				continue
			}
			switch {
			case o.from <= d.from && d.from < o.to:
				down++
			case o.to <= d.from && d.from-o.to > 2000:
				up++ // its new task has run for over 2 s
			case d.from < o.from && d.from-o.upBefore > 2000:
				up++ // its old task still runs, for over 2 s
			}
		}
		assert.LessOrEqual(t, down, 2, "instance %d: at most two instances down at once", d.instance)
		assert.GreaterOrEqual(t, up, 2, "instance %d stopped while fewer than 2 others had run 2 s", d.instance)
	}
}

// TestSLAAwareUpdateAsksCoordinator: a CoordinatorSlaPolicy holds the
// update while the coordinator says no, and lets it go once it says yes;
// the coordinator gets Aurora's request, and its answer is shown.
func TestSLAAwareUpdateAsksCoordinator(t *testing.T) {
	e := slaEnv(t)
	var allow atomic.Bool
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Task       string `json:"task"`
			TaskConfig struct {
				AssignedTask struct {
					InstanceID int `json:"instanceId"`
				} `json:"assignedTask"`
			} `json:"taskConfig"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		asked = append(asked, r.URL.Query().Get("task")+" "+body.Task)
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]bool{"ok": allow.Load()})
	}))
	defer srv.Close()
	policy := config.SlaPolicy{Coordinator: &config.CoordinatorSlaPolicy{CoordinatorURL: srv.URL + "/sla", StatusKey: "ok"}}
	v1 := e.slaJob("slacoord", 2, 1, policy)
	v1.Production = false // a coordinator is asked for every job
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 2)

	v2 := e.slaJob("slacoord", 2, 2, policy)
	v2.Production = false
	_, err := e.startUpdate(v2, "u")
	require.NoError(t, err)
	var info workflows.UpdateInfo
	require.Eventually(t, func() bool {
		info = e.updateInfo(key, "u")
		return len(info.SLAWaits) == 1
	}, 30*time.Second, 20*time.Millisecond)
	assert.Contains(t, info.SLAWaits[0].Reason, `answered {"ok":false}`)
	assert.Empty(t, actions(info, workflows.InstanceUpdated), "nothing replaced while the coordinator says no")
	first := e.running(key, 0).TaskID

	allow.Store(true)
	info = e.waitUpdate(key, "u")
	require.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.NotEqual(t, first, e.running(key, 0).TaskID)
	// The coordinator's no is in the update's events.
	noted := false
	for _, ev := range info.InstanceEvents {
		noted = noted || (ev.InstanceID == 0 && strings.HasPrefix(ev.Message, "SLA check failed: ") && strings.Contains(ev.Message, `answered {"ok":false}`))
	}
	assert.True(t, noted, "the coordinator's answer is recorded: %+v", info.InstanceEvents)
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, asked)
	for _, a := range asked {
		fields := strings.Fields(a)
		require.Len(t, fields, 2)
		assert.Equal(t, fields[0], fields[1], "the task key is in the query and the body")
		assert.True(t, strings.HasPrefix(fields[0], key+"/"), "task key %q", fields[0])
	}
}

// TestSLAAwareUpdatePausedWhileWaiting: pausing an update cancels the SLA
// wait of its instance (SlaKillController: the kill waits for the update to
// be active again), and resuming it asks again and lets the instance go.
func TestSLAAwareUpdatePausedWhileWaiting(t *testing.T) {
	e := slaEnv(t)
	var allow atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]bool{"drain": allow.Load()})
	}))
	defer srv.Close()
	policy := config.SlaPolicy{Coordinator: &config.CoordinatorSlaPolicy{CoordinatorURL: srv.URL, StatusKey: "drain"}}
	v1 := e.slaJob("slapause", 1, 1, policy)
	e.create(v1)
	key := v1.Key()
	first := e.running(key, 0).TaskID

	_, err := e.startUpdate(e.slaJob("slapause", 1, 2, policy), "u")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(e.updateInfo(key, "u").SLAWaits) == 1 }, 30*time.Second, 20*time.Millisecond)
	s, err := e.op(key, "u", workflows.UpdatePause)
	require.NoError(t, err)
	require.Equal(t, workflows.UpdateRollForwardPaused, s)
	allow.Store(true)
	st, err := e.status(key, 0)
	require.NoError(t, err)
	assert.Equal(t, first, st.Active.TaskID)
	assert.Equal(t, workflows.UpdateRollForwardPaused, e.updateInfo(key, "u").Status)

	_, err = e.op(key, "u", workflows.UpdateResume)
	require.NoError(t, err)
	info := e.waitUpdate(key, "u")
	require.Equal(t, workflows.UpdateRolledForward, info.Status)
	assert.NotEqual(t, first, e.running(key, 0).TaskID)
	// SlaKillControllerTest.testSlaKillNoDuplicateEvents: asked again after
	// the resume, noted once.
	assert.Equal(t, 1, countNotes(info, 0, "Checking SLA before continuing."))
	assert.Equal(t, 1, countNotes(info, 0, "SLA check passed, continuing."))
}

// countNotes counts an instance's events that carry msg.
func countNotes(info workflows.UpdateInfo, id int, msg string) int {
	n := 0
	for _, ev := range info.InstanceEvents {
		if ev.InstanceID == id && ev.Message == msg {
			n++
		}
	}
	return n
}

// TestSLAAwareRollback: SlaKillControllerTest.testSlaKillRollingBack. A
// rollback of an SLA-aware update checks the SLA too, with the policy of the
// config the instance goes back to, and notes it as INSTANCE_ROLLING_BACK.
func TestSLAAwareRollback(t *testing.T) {
	e := slaEnv(t)
	policy := config.SlaPolicy{Count: &config.CountSlaPolicy{Count: 1, DurationSecs: 0}}
	withSLA := func(j config.Job) config.Job {
		j.Production = true
		j.SlaPolicy = &policy
		j.UpdateConfig.SlaAware = true
		return j
	}
	v1 := withSLA(e.versioned("slaback", 2, 1, nil))
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 2)

	_, err := e.startUpdate(withSLA(e.versioned("slaback", 2, 2, map[string]bool{"2/1": true})), "u")
	require.NoError(t, err)
	info := e.waitUpdate(key, "u")
	require.Equal(t, workflows.UpdateRolledBack, info.Status)
	notes := map[string][]int{}
	for _, ev := range info.InstanceEvents {
		if ev.Message != "" {
			notes[ev.Action+" "+ev.Message] = append(notes[ev.Action+" "+ev.Message], ev.InstanceID)
		}
	}
	assert.Equal(t, []int{0, 1}, notes["INSTANCE_UPDATING Checking SLA before continuing."])
	assert.Equal(t, []int{1, 0}, notes["INSTANCE_ROLLING_BACK Checking SLA before continuing."])
	assert.Equal(t, []int{1, 0}, notes["INSTANCE_ROLLING_BACK SLA check passed, continuing."])
	for i := 0; i < 2; i++ {
		assert.Equal(t, "serve 1/"+string(rune('0'+i)), e.activeCmdline(key, i))
	}
	e.replay(workflows.UpdateWorkflowID(key, "u"), "update-sla-rolled-back")
}
