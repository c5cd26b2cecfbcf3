package sla

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

// The coordinator cases of SlaManagerTest. Its lock cases,
// testCheckCoordinatorSlaNoLockDoesNotAct and
// testCheckCoordinatorSlaParallelAct, do not apply: Aurora holds a lock per
// coordinator URL around the ask and the kill because many kills may ask at
// once; Borealis asks for one instance of an update at a time (the
// workflow's SLA gate, workflows/update_sla.go), so there is no lock here.
// testCheckCoordinatorWithExtraParamsSlaPassesThenActs does not apply
// either: the extra body fields come from maintenance drains, and
// SlaKillController (updates) sends none.

// coordJob is SlaManagerTest's job, in cluster test_cluster.
var coordJob = config.Job{Cluster: "test_cluster", Role: "role", Environment: "env", Name: "name"}

// coordKey is SlaManager.getTaskKey of instance 1: CLUSTER/ROLE/ENV/NAME/INSTANCE.
const coordKey = "test_cluster/role/env/name/1"

// coordTask is SlaManagerTest's makeTask("taskA", 1, RUNNING) on host "a".
var coordTask = workflows.TaskInfo{
	InstanceID: 1, TaskID: "taskA", Status: workflows.StatusRunning, Host: "a",
	AssignedPorts: map[string]int{"http": 31000},
	TaskEvents:    []workflows.TaskEvent{{Timestamp: 1000, Status: workflows.StatusRunning}},
}

// asked is one request a coordinator got.
type asked struct {
	method, path, rawQuery, task, contentType string
	body                                      map[string]any
}

// coordinator is an httptest coordinator answering status and answer, and
// recording what it is asked.
type coordinator struct {
	*httptest.Server
	mu    sync.Mutex
	asked []asked
}

func newCoordinator(t *testing.T, status int, answer string) *coordinator {
	c := &coordinator{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		c.mu.Lock()
		c.asked = append(c.asked, asked{
			method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, task: r.URL.Query().Get("task"),
			contentType: r.Header.Get("Content-Type"), body: body,
		})
		c.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *coordinator) requests() []asked {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]asked(nil), c.asked...)
}

// assertAuroraRequest checks that r is Aurora's: a POST of JSON, the task
// key in the query and the body, the ScheduledTask under taskConfig.
func assertAuroraRequest(t *testing.T, r asked) {
	t.Helper()
	assert.Equal(t, http.MethodPost, r.method)
	assert.Equal(t, "task="+url.QueryEscape(coordKey), r.rawQuery, "Aurora's query: task=URL-encoded key")
	assert.Equal(t, coordKey, r.task)
	assert.Equal(t, "application/json", r.contentType)
	require.NotNil(t, r.body, "the body is a JSON object")
	assert.Equal(t, coordKey, r.body["task"])
	tc, ok := r.body["taskConfig"].(map[string]any)
	require.True(t, ok, "taskConfig is an object: %v", r.body)
	at, ok := tc["assignedTask"].(map[string]any)
	require.True(t, ok, "taskConfig.assignedTask is an object: %v", tc)
	assert.Equal(t, float64(1), at["instanceId"])
	assert.Equal(t, "taskA", at["taskId"])
	assert.Equal(t, "a", at["slaveHost"])
	assert.Equal(t, map[string]any{"http": float64(31000)}, at["assignedPorts"])
	assert.Equal(t, "RUNNING", tc["status"])
	task, ok := at["task"].(map[string]any)
	require.True(t, ok, "taskConfig.assignedTask.task is the job config: %v", at)
	assert.NotEmpty(t, task)
}

func ask(t *testing.T, coordinatorURL, statusKey string) workflows.SLAVerdict {
	t.Helper()
	p := config.CoordinatorSlaPolicy{CoordinatorURL: coordinatorURL, StatusKey: statusKey}
	return askCoordinator(context.Background(), NewHTTPClient(), p, coordKey, coordTask, coordJob)
}

func TestAskCoordinator(t *testing.T) {
	tests := []struct {
		name      string
		statusKey string
		status    int
		answer    string
		allowed   bool
		reason    string // a part of the verdict's reason
	}{
		// SlaManagerTest.testCheckCoordinatorSlaPassesThenActs
		{"passes", "drain", http.StatusOK, `{"drain": true}`, true, `answered {"drain": true}`},
		// The status key defaults to "drain" (CoordinatorSlaPolicy.statusKey).
		{"passes, default key", "", http.StatusOK, `{"drain": true}`, true, `answered {"drain": true}`},
		// SlaManagerTest.testCheckCoordinatorSlaPassesThenActsCustomStatusKey
		{"passes, custom status key", "custom-key", http.StatusOK, `{"custom-key": true}`, true, `answered {"custom-key": true}`},
		// SlaManagerTest.testCheckCoordinatorSlaFailsDoesNotAct
		{"fails", "drain", http.StatusOK, `{"drain":false}`, false, `answered {"drain":false}`},
		// A custom key is read, not "drain".
		{"custom status key, drain ignored", "custom-key", http.StatusOK, `{"drain": true, "custom-key": false}`, false, `"custom-key": false`},
		// SlaManagerTest.testCheckCoordinatorSlaErrorDoesNotAct
		{"error status", "drain", http.StatusInternalServerError, "", false, "answered HTTP 500"},
		{"error status with a yes", "drain", http.StatusInternalServerError, `{"drain": true}`, false, `answered HTTP 500 {"drain": true}`},
		// Aurora wants 200 exactly.
		{"other 2xx", "drain", http.StatusAccepted, `{"drain": true}`, false, "answered HTTP 202"},
		// Aurora's Gson parse of Map<String, Boolean> throws, or the
		// unboxing of a missing key does: no kill.
		{"not JSON", "drain", http.StatusOK, `yes please`, false, "answered yes please, not a JSON object"},
		{"JSON array", "drain", http.StatusOK, `[true]`, false, "not a JSON object"},
		{"key missing", "drain", http.StatusOK, `{"other": true}`, false, `without a boolean "drain"`},
		{"null", "drain", http.StatusOK, `null`, false, `without a boolean "drain"`},
		{"key not boolean", "drain", http.StatusOK, `{"drain": 1}`, false, `without a boolean "drain"`},
		{"key null", "drain", http.StatusOK, `{"drain": null}`, false, `without a boolean "drain"`},
		// Stricter than Gson, which reads the string "true" as true.
		{"key a string", "drain", http.StatusOK, `{"drain": "true"}`, false, `without a boolean "drain"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCoordinator(t, tt.status, tt.answer)
			v := ask(t, c.URL, tt.statusKey)
			assert.Equal(t, tt.allowed, v.Allowed, v.Reason)
			assert.Contains(t, v.Reason, tt.reason)
			assert.Contains(t, v.Reason, "coordinator "+c.URL)
			reqs := c.requests()
			require.Len(t, reqs, 1, "asked once")
			assertAuroraRequest(t, reqs[0])
		})
	}
}

// SlaManagerTest.testCheckCoordinatorSlaThrowsDoesNotAct: a coordinator
// that cannot be reached is a no.
func TestAskCoordinatorUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	v := ask(t, addr, "drain")
	assert.False(t, v.Allowed)
	assert.Contains(t, v.Reason, "coordinator "+addr+": ")
}

// A redirect is not followed (Aurora's AsyncHttpClient does not follow
// them): a 302 is a no, and the coordinator it points to is never asked.
func TestAskCoordinatorRedirectNotFollowed(t *testing.T) {
	yes := newCoordinator(t, http.StatusOK, `{"drain": true}`)
	var redirected atomic.Int32
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		http.Redirect(w, r, yes.URL+"/sla", http.StatusFound)
	}))
	defer moved.Close()
	v := ask(t, moved.URL, "drain")
	assert.False(t, v.Allowed)
	assert.Contains(t, v.Reason, "answered HTTP 302")
	assert.Equal(t, int32(1), redirected.Load())
	assert.Empty(t, yes.requests(), "the redirect was followed")
}

// The coordinator URL keeps its path and query; task is set beside them.
func TestAskCoordinatorURLWithPathAndQuery(t *testing.T) {
	c := newCoordinator(t, http.StatusOK, `{"drain": true}`)
	v := ask(t, c.URL+"/v1/sla?zone=a", "drain")
	assert.True(t, v.Allowed, v.Reason)
	reqs := c.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/v1/sla", reqs[0].path)
	q, err := url.ParseQuery(reqs[0].rawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"zone": {"a"}, "task": {coordKey}}, q)
}

func TestAskCoordinatorBadURL(t *testing.T) {
	v := ask(t, "http://[::1", "drain")
	assert.False(t, v.Allowed)
	assert.Contains(t, v.Reason, `coordinator_url "http://[::1"`)
}

// A cancelled activity asks no more: the request fails, a no.
func TestAskCoordinatorCancelled(t *testing.T) {
	c := newCoordinator(t, http.StatusOK, `{"drain": true}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := config.CoordinatorSlaPolicy{CoordinatorURL: c.URL, StatusKey: "drain"}
	v := askCoordinator(ctx, NewHTTPClient(), p, coordKey, coordTask, coordJob)
	assert.False(t, v.Allowed)
	assert.Contains(t, v.Reason, "context canceled")
	assert.Empty(t, c.requests())
}

// A long answer is quoted on one line, cut at maxQuoted.
func TestAskCoordinatorQuotesLongAnswer(t *testing.T) {
	long := `{"drain": false, "why":` + "\n\t" + `"` + strings.Repeat("x", 500) + `"}`
	c := newCoordinator(t, http.StatusOK, long)
	v := ask(t, c.URL, "drain")
	assert.False(t, v.Allowed)
	assert.NotContains(t, v.Reason, "\n")
	assert.Contains(t, v.Reason, `answered {"drain": false, "why": "xxx`)
	assert.Contains(t, v.Reason, "...")
	assert.Less(t, len(v.Reason), maxQuoted+len(c.URL)+100)
}

func TestQuote(t *testing.T) {
	assert.Equal(t, `{"drain": true}`, quote([]byte(" {\"drain\":\n  true}\n")))
	assert.Equal(t, "", quote(nil))
	s := quote([]byte(strings.Repeat("y", maxQuoted+1)))
	assert.Equal(t, strings.Repeat("y", maxQuoted)+"...", s)
}
