package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// jobList runs `job list ARGS... --write-json` and decodes it loosely.
func jobList(t *testing.T, cl *cluster, args ...string) []map[string]any {
	t.Helper()
	out, stderr, code := cl.run(append(append([]string{"job", "list"}, args...), "--write-json")...)
	require.Equal(t, ExitOK, code, stderr)
	var jobs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &jobs), out)
	return jobs
}

func TestCountInstances(t *testing.T) {
	checked := func(results ...health.CheckResult) *taskapi.HealthProgress {
		p := &taskapi.HealthProgress{}
		for _, r := range results {
			p.History.Add(r)
		}
		return p
	}
	ok, failed, snoozed := health.CheckResult{Healthy: true}, health.CheckResult{Reason: "503"}, health.CheckResult{Snoozed: true}
	task := func(status workflows.TaskStatus, p *taskapi.HealthProgress) *workflows.TaskInfo {
		return &workflows.TaskInfo{Status: status, Health: p}
	}
	snap := &jobSnapshot{
		view: workflows.JobView{Instances: make([]workflows.InstanceRef, 8)},
		instances: []workflows.InstanceStatus{
			{InstanceID: 0, Active: task(workflows.StatusRunning, nil)},                  // no health check
			{InstanceID: 1, Active: task(workflows.StatusRunning, checked(failed, ok))},  // passing now
			{InstanceID: 2, Active: task(workflows.StatusRunning, checked(ok, failed))},  // failing, not yet killed
			{InstanceID: 3, Active: task(workflows.StatusRunning, checked(ok, snoozed))}, // snoozed counts as passing
			{InstanceID: 4, Active: task(workflows.StatusRunning, checked(ok))},          // live says failing
			{InstanceID: 5, Active: task(workflows.StatusThrottled, nil)},                // flapping
			{InstanceID: 6, Active: task(workflows.StatusStarting, nil), // start_first: the old one serves
				Replacing: task(workflows.StatusRunning, checked(ok))},
			{InstanceID: 7, Done: true, Inactive: []workflows.TaskInfo{{Status: workflows.StatusFinished}}},
		},
	}
	live := map[int]*taskapi.HealthProgress{4: checked(ok, failed)}
	assert.Equal(t, instanceCounts{instances: 8, running: 6, healthy: 4, throttled: 1}, countInstances(snap, live))
}

func TestPrintJobList(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, printJobList(&out, []jobListJSON{
		{Job: "c/r/e/a", Instances: 3, Running: 2, Healthy: 1, Throttled: 1, UpdateID: "u-1"},
		{Job: "c/r/e/bb", Instances: 1, Running: 1, Healthy: 1},
		{Job: "c/r/e/c", Error: "query timed out"},
	}))
	assert.Equal(t, ""+
		"JOB       INSTANCES  RUNNING  HEALTHY  THROTTLED  UPDATE\n"+
		"c/r/e/a   3          2        1        1          u-1\n"+
		"c/r/e/bb  1          1        1        0          -\n"+
		"c/r/e/c   ?          ?        ?        ?          ?\n", out.String())
	out.Reset()
	require.NoError(t, printJobList(&out, nil))
	assert.Empty(t, out.String(), "no jobs, no table")
}

// sickJob is a health-checked service that can be made to fail its checks
// after it is RUNNING without being killed for it (yet).
const sickJob = `  service: true
  instances: 1
  health_check_config:
    health_checker: {shell: {shell_command: check}}
    interval_secs: 0.1
    initial_interval_secs: 0
    max_consecutive_failures: 1000
  task:
    processes: [{name: web, cmdline: 'sick'}]
    resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`

// TestJobList: a row per running job with its instances, the RUNNING ones,
// the healthy ones among them, the THROTTLED ones and its active update;
// job status names the config each task runs.
func TestJobList(t *testing.T) {
	fake := dockerrun.NewFake()
	var sick atomic.Bool
	fake.ExecFunc = func(taskID string, cmd []string) (int, string, error) {
		if spec, ok := fake.RunnerSpec(taskID); ok && spec.Processes[0].Cmdline == "sick" && sick.Load() {
			return 1, "sick now", nil
		}
		return 0, "", nil
	}
	cl := newCluster(t, fake, "")
	role := "test/" + cl.role
	web, ill, flap, upd := cl.key("web"), cl.key("ill"), cl.key("flap"), cl.key("upd")
	cl.mustRun("job", "create", web, cl.writeJob("web", webJob), "--wait-until", "RUNNING", "--timeout", "60s")
	cl.mustRun("job", "create", ill, cl.writeJob("ill", sickJob), "--wait-until", "RUNNING", "--timeout", "60s")
	cl.mustRun("job", "create", flap, cl.writeJob("flap", strings.Replace(webJob, "instances: 2", "instances: 1", 1)),
		"--wait-until", "RUNNING", "--timeout", "60s")
	cl.mustRun("job", "create", upd, cl.writeJob("upd", versionedJob(2, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")

	// An update paused after its first batch: instance 0 runs its config.
	autopause := ", update_strategy: {batch: {batch_size: 1, autopause_after_batch: true}}"
	id := startedID(t, cl.mustRun("update", "start", upd, cl.writeJob("upd", versionedJob(2, 2, autopause))))
	poll.Until(t, 60*time.Second, "the update pauses", func() (bool, string) {
		info := infoJSON(t, cl, upd, id)
		return info["status"] == "ROLL_FORWARD_PAUSED", fmt.Sprint(info["status"])
	})
	// The ill job's checks fail from now on; the flapping one's task exits
	// at once, so its next one is THROTTLED (30 s by default).
	sick.Store(true)
	flapTask := tasksOf(statusOf(t, cl, flap), "active")[0]["taskId"].(string)
	require.NoError(t, fake.Exit(flapTask, 1, false))

	want := map[string]string{
		web:  "2 2 2 0 ",
		ill:  "1 1 0 0 ",
		flap: "1 0 0 1 ",
		upd:  "2 2 2 0 " + id,
	}
	poll.Until(t, 30*time.Second, "job list shows every count", func() (bool, string) {
		jobs := jobList(t, cl, role)
		got := map[string]string{}
		for _, j := range jobs {
			got[j["job"].(string)] = fmt.Sprintf("%v %v %v %v %v", j["instances"], j["running"], j["healthy"], j["throttled"], j["updateId"])
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got)
	})
	jobs := jobList(t, cl, role)
	assert.Equal(t, []string{flap, ill, upd, web}, jobsOf(jobs), "in key order")
	assert.Equal(t, []string{"healthy", "instances", "job", "running", "throttled", "updateId"}, keysOf(jobs[0]))

	out, stderr, code := cl.run("job", "list", role)
	require.Equal(t, ExitOK, code, stderr)
	assert.True(t, strings.HasPrefix(out, "JOB "), out)
	assert.Regexp(t, `(?m)^JOB\s+INSTANCES\s+RUNNING\s+HEALTHY\s+THROTTLED\s+UPDATE$`, out)
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(upd)+`\s+2\s+2\s+2\s+0\s+`+id+`$`, out)
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(web)+`\s+2\s+2\s+2\s+0\s+-$`, out)
	assert.Contains(t, stderr, "Web UI: ", "the address on stderr: stdout is the list")

	// job status: CONFIG names the update that made each task's config.
	out = cl.mustRun("job", "status", upd)
	assert.Regexp(t, `(?m)^INSTANCE\s+TASK ID\s+STATUS\s+SINCE\s+PORTS\s+CONFIG\s+RESTARTS`, out)
	assert.Regexp(t, `(?m)^0\s+\S+\s+RUNNING\s+.*\s`+id+`\s+\d+\s+\d+\s`, out)
	assert.Regexp(t, `(?m)^1\s+\S+\s+RUNNING\s+.*\sinitial\s+\d+\s+\d+\s`, out)
	versions := map[int]any{}
	for _, task := range tasksOf(statusOf(t, cl, upd), "active") {
		versions[int(task["instanceId"].(float64))] = task["configVersion"]
	}
	assert.Equal(t, map[int]any{0: id, 1: ""}, versions)

	// Nothing matching: nothing printed, or [].
	out, stderr, code = cl.run("job", "list", role+"/nothing")
	require.Equal(t, ExitOK, code, stderr)
	assert.Empty(t, out)
	assert.Empty(t, jobList(t, cl, role+"/nothing"))

	cl.mustRun("update", "abort", upd)
	sick.Store(false)
}
