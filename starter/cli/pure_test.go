package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/workflows"
)

func TestWebUI(t *testing.T) {
	st := &settings.Settings{Temporal: settings.Temporal{WebUI: "http://ui:8233", Namespace: "prod ns"}}
	assert.Equal(t, "http://ui:8233/namespaces/prod%20ns/workflows/job%2Fc%2Fr%2Fe%2Fn",
		webUI(st, workflows.JobWorkflowID("c/r/e/n")))
}

func TestReached(t *testing.T) {
	running := &workflows.TaskInfo{Status: workflows.StatusRunning}
	starting := &workflows.TaskInfo{Status: workflows.StatusStarting}
	finished := workflows.TaskInfo{Status: workflows.StatusFinished}
	failed := workflows.TaskInfo{Status: workflows.StatusFailed}
	snap := func(ss ...workflows.InstanceStatus) *jobSnapshot {
		for i := range ss {
			ss[i].InstanceID = i
		}
		return &jobSnapshot{key: "c/r/e/n", instances: ss}
	}
	cases := []struct {
		name  string
		snap  *jobSnapshot
		state workflows.TaskStatus
		done  bool
		code  int
	}{
		{"pending: all created", snap(workflows.InstanceStatus{Active: starting}), workflows.StatusPending, true, 0},
		{"pending: not yet", snap(workflows.InstanceStatus{}), workflows.StatusPending, false, 0},
		{"running: one starting", snap(workflows.InstanceStatus{Active: running}, workflows.InstanceStatus{Active: starting}), workflows.StatusRunning, false, 0},
		{"running: all", snap(workflows.InstanceStatus{Active: running}, workflows.InstanceStatus{Active: running}), workflows.StatusRunning, true, 0},
		{"running: finished counts", snap(workflows.InstanceStatus{Active: running}, workflows.InstanceStatus{Done: true, Inactive: []workflows.TaskInfo{finished}}), workflows.StatusRunning, true, 0},
		{"finished: still running", snap(workflows.InstanceStatus{Active: running}), workflows.StatusFinished, false, 0},
		{"finished: all", snap(workflows.InstanceStatus{Done: true, Inactive: []workflows.TaskInfo{failed, finished}}), workflows.StatusFinished, true, 0},
		{"finished: failed for good", snap(workflows.InstanceStatus{Done: true, Inactive: []workflows.TaskInfo{failed}}), workflows.StatusFinished, false, ExitCommandFailure},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done, err := reached(tc.snap, tc.state)
			assert.Equal(t, tc.code, exitCode(err), err)
			assert.Equal(t, tc.done, done)
		})
	}
}

func TestServerSetPrimaryPort(t *testing.T) {
	job := config.Job{Announce: &config.Announcer{PrimaryPort: "thrift"}}
	snap := &jobSnapshot{
		view: workflows.JobView{Instances: []workflows.InstanceRef{{ID: 0}, {ID: 1}}, Configs: map[string]config.Job{"": job}},
		instances: []workflows.InstanceStatus{
			{InstanceID: 0, Active: &workflows.TaskInfo{Status: workflows.StatusRunning, Host: "h", AssignedPorts: map[string]int{"thrift": 9, "http": 8}}},
			{InstanceID: 1, Active: &workflows.TaskInfo{Status: workflows.StatusStarting, Host: "h", AssignedPorts: map[string]int{"thrift": 7}}},
		},
	}
	members := serverSet(snap)
	require.Len(t, members, 1, "only RUNNING tasks are members")
	assert.Equal(t, &endpoint{Host: "h", Port: 9}, members[0].ServiceEndpoint)
	assert.Equal(t, map[string]endpoint{"thrift": {"h", 9}, "http": {"h", 8}, "aurora": {"h", 9}}, members[0].AdditionalEndpoints,
		"Aurora's default portmap announces the primary port as aurora too")
}

// TestServerSetPortmap: the portmap's aliases are announced as the ports
// they resolve to, and an alias may be the primary port.
func TestServerSetPortmap(t *testing.T) {
	job := config.Job{Announce: &config.Announcer{PrimaryPort: "service",
		Portmap: map[string]string{"service": "thrift", "aurora": "http", "admin": "aurora", "legacy": "8080"}}}
	snap := &jobSnapshot{
		view: workflows.JobView{Instances: []workflows.InstanceRef{{ID: 0}}, Configs: map[string]config.Job{"": job}},
		instances: []workflows.InstanceStatus{
			{InstanceID: 0, Active: &workflows.TaskInfo{Status: workflows.StatusRunning, Host: "h", AssignedPorts: map[string]int{"thrift": 9, "http": 8}}},
		},
	}
	members := serverSet(snap)
	require.Len(t, members, 1)
	assert.Equal(t, &endpoint{Host: "h", Port: 9}, members[0].ServiceEndpoint)
	assert.Equal(t, map[string]endpoint{"thrift": {"h", 9}, "http": {"h", 8}, "service": {"h", 9}, "aurora": {"h", 8},
		"admin": {"h", 8}, "legacy": {"h", 8080}}, members[0].AdditionalEndpoints)
}

func TestPrintStatusEndedJob(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	snap := &jobSnapshot{key: "c/r/e/n", view: workflows.JobView{Ended: true}, instances: []workflows.InstanceStatus{{
		InstanceID: 3, Done: true,
		Inactive: []workflows.TaskInfo{{InstanceID: 3, TaskID: "t1", Status: workflows.StatusKilled, Host: "h",
			AssignedPorts: map[string]int{"http": 1}, TaskEvents: []workflows.TaskEvent{{Timestamp: at.UnixMilli(), Status: workflows.StatusKilled}}}},
	}}}
	var out bytes.Buffer
	require.NoError(t, printStatus(&out, snap, nil, at.Add(time.Minute)))
	assert.Contains(t, out.String(), "Job c/r/e/n: 0 active of 0 instances (killed)\n")
	assert.Contains(t, out.String(), "KILLED (ended)  2026-01-02 03:04:05 (1m0s ago)  http=h:1")
}

// A shell health check's reason holds the command's output: job status must
// not hand its escape sequences to the terminal, nor let it break the table.
func TestPrintStatusEscapesTaskText(t *testing.T) {
	const hostile = "\x1b[31mred\x1b[0m\n\x00"
	const shown = `\x1b[31mred\x1b[0m\n\x00`
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	failed := func(reason string) *taskapi.HealthProgress {
		p := &taskapi.HealthProgress{}
		p.History.Add(health.CheckResult{Time: at, Reason: reason})
		return p
	}
	task := func(p *taskapi.HealthProgress) *workflows.TaskInfo {
		return &workflows.TaskInfo{TaskID: "t1", Status: workflows.StatusRunning, Health: p,
			TaskEvents: []workflows.TaskEvent{{Timestamp: at.UnixMilli(), Status: workflows.StatusRunning, Message: hostile}}}
	}
	snap := &jobSnapshot{key: "c/r/e/n", view: workflows.JobView{Instances: []workflows.InstanceRef{{ID: 0}, {ID: 1}, {ID: 2}}},
		instances: []workflows.InstanceStatus{
			{InstanceID: 0, Active: task(failed(hostile))},
			{InstanceID: 1, Active: task(nil)}, // the live heartbeat's reason
			{InstanceID: 2, Active: task(&taskapi.HealthProgress{Counter: health.State{Status: health.Status(hostile)}})},
		}}
	live := map[int]*taskapi.HealthProgress{1: failed("live " + hostile)}
	var out bytes.Buffer
	require.NoError(t, printStatus(&out, snap, live, at.Add(time.Minute)))
	text := out.String()
	assert.Contains(t, text, "failed: "+shown+" (1/1 failed)")
	assert.Contains(t, text, "failed: live "+shown+" (1/1 failed)")
	assert.Contains(t, text, "  "+shown+"  ")
	assert.NotContains(t, text, "\x1b")
	assert.NotContains(t, text, "\x00")
	assert.Len(t, strings.Split(strings.TrimSuffix(text, "\n"), "\n"), 5, "a line per instance, a header and the job line:\n%s", text)

	// --write-json keeps the message as it is: JSON escapes it.
	raw, err := json.Marshal(toTaskJSON(*task(nil)))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"message":"\u001b[31mred\u001b[0m\n\u0000"`)
	var back taskJSON
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, hostile, back.TaskEvents[0].Message)
}

func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"plain: exit 3 \"quoted\" \\ ok": "plain: exit 3 \"quoted\" \\ ok",
		"a\tb\r\n":                       `a\tb\r\n`,
		"\x1b[2J\x07\x7f":                `\x1b[2J\a\x7f`,
		"c1 \u009b31m":                   `c1 \u009b31m`,
		"bidi \u202e":                    `bidi \u202e`,
		"bad \xff\xfe utf-8":             `bad \xff\xfe utf-8`,
		"kept: é 日本 \ufffd":              "kept: é 日本 \ufffd",
	} {
		assert.Equal(t, want, escapeText(in), "%q", in)
	}
}
