package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/workflows"
)

// versionedJob is a service of n instances whose process names its version
// and instance ("serve 2/0"), with a shell health check that healthByVersion
// answers. extra is appended to update_config (", batch_size: 2").
func versionedJob(n, version int, extra string) string {
	return fmt.Sprintf(`  service: true
  instances: %d
  health_check_config:
    health_checker: {shell: {shell_command: check}}
    interval_secs: 0.1
    initial_interval_secs: 0
  update_config: {watch_secs: 0%s}
  task:
    processes: [{name: web, cmdline: 'serve %d/{{mesos.instance}}'}]
    resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`, n, extra, version)
}

// healthByVersion makes fake's health checks fail for the tasks running a
// version/instance listed in bad ("2/1": instance 1 of version 2) and pass
// for every other. Set it before the worker starts.
func healthByVersion(fake *dockerrun.Fake, bad ...string) {
	fake.ExecFunc = func(taskID string, cmd []string) (int, string, error) {
		spec, ok := fake.RunnerSpec(taskID)
		if !ok {
			return 1, "no such task", nil
		}
		for _, b := range bad {
			if strings.HasSuffix(spec.Processes[0].Cmdline, " "+b) {
				return 1, "unhealthy " + b, nil
			}
		}
		return 0, "", nil
	}
}

var startedRE = regexp.MustCompile(`Update (\S+) started\n`)

// startedID is the update id `update start` printed.
func startedID(t *testing.T, out string) string {
	t.Helper()
	m := startedRE.FindStringSubmatch(out)
	require.NotNil(t, m, "no update id in:\n%s", out)
	return m[1]
}

// runningCmdlines maps every active instance to what its RUNNING task runs,
// as `job status --write-json` and the fake runtime tell.
func runningCmdlines(t *testing.T, cl *cluster, fake *dockerrun.Fake, key string) map[int]string {
	t.Helper()
	out := map[int]string{}
	for _, task := range tasksOf(statusOf(t, cl, key), "active") {
		if task["status"] != "RUNNING" {
			continue
		}
		spec, ok := fake.RunnerSpec(task["taskId"].(string))
		require.True(t, ok)
		out[int(task["instanceId"].(float64))] = spec.Processes[0].Cmdline
	}
	return out
}

// infoJSON runs `update info --write-json` and decodes it loosely.
func infoJSON(t *testing.T, cl *cluster, args ...string) map[string]any {
	t.Helper()
	out, stderr, code := cl.run(append(append([]string{"update", "info"}, args...), "--write-json")...)
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stderr, "Web UI: ", "the Web UI address goes to stderr with --write-json")
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &info), out)
	return info
}

// listJSON runs `update list --write-json` with args.
func listJSON(t *testing.T, cl *cluster, args ...string) []map[string]any {
	t.Helper()
	out, stderr, code := cl.run(append(append([]string{"update", "list"}, args...), "--write-json")...)
	require.Equal(t, ExitOK, code, stderr)
	var list []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list), out)
	return list
}

func TestUpdateRollsForward(t *testing.T) {
	fake := dockerrun.NewFake()
	healthByVersion(fake)
	cl := newCluster(t, fake, "")
	key := cl.key("fwd")
	cl.mustRun("job", "create", key, cl.writeJob("fwd", versionedJob(3, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")

	// Nothing to show or control before the first update.
	_, stderr, code := cl.run("update", "info", key)
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	assert.Contains(t, stderr, "has no updates")
	_, stderr, code = cl.run("update", "pause", key)
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	assert.Contains(t, stderr, "No active update found for this job.")
	out := cl.mustRun("update", "pulse", key)
	assert.Contains(t, out, "FINISHED")
	_, stderr, code = cl.run("update", "wait", key, "no-such-update")
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	assert.Contains(t, stderr, "update no-such-update of job "+key+" not found")

	// diff: one instance more, three changed.
	v2 := cl.writeJob("fwd", versionedJob(4, 2, ", batch_size: 2"))
	out = cl.mustRun("job", "diff", key, v2)
	assert.Contains(t, out, "Instances to add: 3\n")
	assert.Contains(t, out, "Instances to update: 0-2\n")
	assert.NotContains(t, out, "Instances to remove")
	assert.Contains(t, out, "fields that differ: task.processes\n")
	assert.Regexp(t, `(?m)^  -\s+"cmdline": "serve 1/\{\{mesos.instance\}\}"`, out)
	assert.Regexp(t, `(?m)^  \+\s+"cmdline": "serve 2/\{\{mesos.instance\}\}"`, out)

	out = cl.mustRun("update", "start", key, v2, "--wait", "--timeout", "90s")
	id := startedID(t, out)
	assert.Contains(t, out, "Instances to add: 3\n", "start shows what changes")
	assert.Contains(t, out, "Web UI: http://localhost:8233/namespaces/default/workflows/"+url.PathEscape(workflows.UpdateWorkflowID(key, id))+"\n")
	assert.Contains(t, out, "Update "+id+" of "+key+" finished ROLLED_FORWARD")
	assert.Equal(t, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 2/2", 3: "serve 2/3"},
		runningCmdlines(t, cl, fake, key), "every instance runs the new config")

	// The same config again changes nothing, with --wait too.
	out = cl.mustRun("job", "diff", key, v2)
	assert.Equal(t, unchangedMessage+"\n", out)
	for _, args := range [][]string{{"update", "start", key, v2}, {"update", "start", key, v2, "--wait"}} {
		out = cl.mustRun(args...)
		assert.Contains(t, out, unchangedMessage, args)
		assert.NotContains(t, out, "started", args)
	}

	// info --write-json: exactly docs/semantics.md §6's keys. Without an id it is the
	// latest update, found through (eventually consistent) visibility.
	var info map[string]any
	poll.Until(t, 30*time.Second, "update info finds the latest update", func() (bool, string) {
		out, stderr, code := cl.run("update", "info", key, "--write-json")
		if code != ExitOK {
			return false, stderr
		}
		info = nil
		require.NoError(t, json.Unmarshal([]byte(out), &info), out)
		return info["updateId"] == id, out
	})
	assert.Equal(t, []string{"instanceEvents", "job", "lastModified", "started", "status", "updateEvents", "updateId"}, keysOf(info))
	assert.Equal(t, key, info["job"])
	assert.Equal(t, "ROLLED_FORWARD", info["status"])
	assert.InDelta(t, float64(time.Now().UnixMilli()), info["started"], float64(time.Minute.Milliseconds()), "epoch ms")
	require.NotEmpty(t, info["updateEvents"])
	for _, e := range info["updateEvents"].([]any) {
		assert.Equal(t, []string{"message", "status", "timestamp"}, keysOf(e.(map[string]any)))
	}
	updated := 0
	for _, e := range info["instanceEvents"].([]any) {
		ev := e.(map[string]any)
		assert.Equal(t, []string{"action", "instanceId", "timestamp"}, keysOf(ev))
		if ev["action"] == workflows.InstanceUpdated {
			updated++
		}
	}
	assert.Equal(t, 4, updated)
	assert.Equal(t, info, infoJSON(t, cl, key, id), "by id, the same update")

	// info as text.
	out = cl.mustRun("update", "info", key, id)
	assert.Contains(t, out, "Update "+id+" of "+key+"\n")
	assert.Contains(t, out, "status:        ROLLED_FORWARD\n")
	assert.Contains(t, out, "progress:      ROLLED_FORWARD: 4 of 4 instances done, 0 in flight, 0 failed")
	assert.Regexp(t, `instance 3\s+INSTANCE_UPDATED`, out)
	assert.Contains(t, out, "Web UI: ")
	_, stderr, code = cl.run("update", "info", key, "no-such-update")
	assert.Equal(t, ExitInvalidParameter, code, stderr)

	// wait on a finished update answers at once.
	out = cl.mustRun("update", "wait", key, id)
	assert.Contains(t, out, "finished ROLLED_FORWARD")

	// list, with and without --status.
	poll.Until(t, 30*time.Second, "update list shows the update as rolled forward", func() (bool, string) {
		list := listJSON(t, cl, key)
		return len(list) == 1 && list[0]["status"] == "ROLLED_FORWARD", fmt.Sprint(list)
	})
	list := listJSON(t, cl, key, "--status", "rolled_forward,ROLLED_BACK")
	require.Len(t, list, 1)
	assert.Equal(t, []string{"job", "started", "status", "updateId"}, keysOf(list[0]))
	assert.Equal(t, id, list[0]["updateId"])
	assert.Equal(t, key, list[0]["job"])
	assert.Empty(t, listJSON(t, cl, key, "--status", "ROLLING_FORWARD", "--status", "ROLLED_BACK"))
	out = cl.mustRun("update", "list", key)
	assert.Regexp(t, id+`\s+ROLLED_FORWARD\s+\d{4}-`, out)

	// No update is active any more.
	out = cl.mustRun("update", "pulse", key)
	assert.Contains(t, out, "FINISHED")
	_, stderr, code = cl.run("update", "abort", key)
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	assert.Contains(t, stderr, "No active update found for this job.")
	cl.mustRun("job", "killall", key)
}

func TestUpdateRollsBack(t *testing.T) {
	fake := dockerrun.NewFake()
	healthByVersion(fake, "2/1")
	cl := newCluster(t, fake, "")
	key := cl.key("back")
	cl.mustRun("job", "create", key, cl.writeJob("back", versionedJob(3, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")

	out, stderr, code := cl.run("update", "start", key, cl.writeJob("back", versionedJob(3, 2, "")), "--wait", "--timeout", "90s")
	assert.Equal(t, ExitCommandFailure, code, "%s\n%s", out, stderr)
	id := startedID(t, out)
	assert.Contains(t, out, "finished ROLLED_BACK")
	assert.Contains(t, stderr, "update "+id+" of "+key+" rolled back")
	assert.Equal(t, map[int]string{0: "serve 1/0", 1: "serve 1/1", 2: "serve 1/2"},
		runningCmdlines(t, cl, fake, key), "every instance runs the old config again")

	info := infoJSON(t, cl, key, id)
	assert.Equal(t, "ROLLED_BACK", info["status"])
	var failed []float64
	for _, e := range info["instanceEvents"].([]any) {
		if ev := e.(map[string]any); ev["action"] == workflows.InstanceUpdateFailed {
			failed = append(failed, ev["instanceId"].(float64))
		}
	}
	assert.Equal(t, []float64{1}, failed)
	poll.Until(t, 30*time.Second, "update list --status ROLLED_BACK shows it", func() (bool, string) {
		list := listJSON(t, cl, key, "--status", "ROLLED_BACK")
		return len(list) == 1 && list[0]["updateId"] == id, fmt.Sprint(list)
	})
	cl.mustRun("job", "killall", key)
}

func TestUpdateControl(t *testing.T) {
	fake := dockerrun.NewFake()
	healthByVersion(fake)
	cl := newCluster(t, fake, "")
	key := cl.key("ctl")
	cl.mustRun("job", "create", key, cl.writeJob("ctl", versionedJob(3, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")

	autopause := ", update_strategy: {batch: {batch_size: 1, autopause_after_batch: true}}"
	out := cl.mustRun("update", "start", key, cl.writeJob("ctl", versionedJob(3, 2, autopause)))
	id := startedID(t, out)
	webUI := "Web UI: http://localhost:8233/namespaces/default/workflows/" + url.PathEscape(workflows.UpdateWorkflowID(key, id)) + "\n"

	// A second update while this one is active is refused, naming it.
	_, stderr, code := cl.run("update", "start", key, cl.writeJob("ctl", versionedJob(3, 3, "")))
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, "Job is currently updating (update "+id+")")
	assert.Contains(t, stderr, "Active update: "+id+"\n")

	pausedAfter := func(n int) {
		t.Helper()
		poll.Until(t, 30*time.Second, fmt.Sprintf("autopaused after %d instances", n), func() (bool, string) {
			info := infoJSON(t, cl, key)
			updating := 0
			for _, e := range info["instanceEvents"].([]any) {
				if e.(map[string]any)["action"] == workflows.InstanceUpdating {
					updating++
				}
			}
			return info["status"] == "ROLL_FORWARD_PAUSED" && updating == n, fmt.Sprint(info)
		})
	}
	pausedAfter(1)

	// Waiting on a paused update times out.
	out, stderr, code = cl.run("update", "wait", key, id, "--timeout", "1s")
	assert.Equal(t, ExitTimeout, code, stderr)
	assert.Contains(t, out, "ROLL_FORWARD_PAUSED: 1 of 3 instances done, 0 in flight, 0 failed, batch 1\n")
	assert.Contains(t, stderr, "timed out after 1s waiting for update "+id)

	out = cl.mustRun("update", "pause", key)
	assert.Contains(t, out, "Update "+id+" of "+key+": ROLL_FORWARD_PAUSED\n", "pausing a paused update is a no-op")
	assert.Contains(t, out, webUI)
	out = cl.mustRun("update", "resume", key)
	assert.Contains(t, out, "Update "+id+" of "+key+": ROLLING_FORWARD\n")
	pausedAfter(2)

	out = cl.mustRun("update", "pulse", key)
	assert.Contains(t, out, "Pulse: OK (update "+id+" of "+key+" is ROLL_FORWARD_PAUSED)")
	assert.Contains(t, out, webUI)

	cl.mustRun("update", "abort", key)
	out, stderr, code = cl.run("update", "wait", key, id, "--timeout", "30s")
	assert.Equal(t, ExitUnknown, code, "%s\n%s", out, stderr)
	assert.Contains(t, out, "finished ABORTED")
	// Aborted: the job stays partly updated, and no update is active.
	partly := map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 1/2"}
	assert.Equal(t, partly, runningCmdlines(t, cl, fake, key))

	// A second update (back to version 1: instances 0 and 1) pauses after
	// its first batch; a rollback of the paused update rolls back at once.
	out = cl.mustRun("update", "start", key, cl.writeJob("ctl", versionedJob(3, 1, autopause)))
	id = startedID(t, out)
	pausedAfter(1)
	out = cl.mustRun("update", "rollback", key)
	assert.Contains(t, out, "Update "+id+" of "+key+": ROLLING_BACK\n")
	out, stderr, code = cl.run("update", "rollback", key)
	if code == ExitOK {
		// Rolling back an update that rolls back is a no-op, as in Aurora.
		assert.Contains(t, out, "Update "+id+" of "+key+": ROLLING_BACK\n")
	} else {
		// The rollback of one instance may be over already.
		assert.Equal(t, ExitInvalidParameter, code, stderr)
		assert.Contains(t, stderr, "No active update found for this job.")
	}
	out, stderr, code = cl.run("update", "wait", key, id, "--timeout", "30s")
	assert.Equal(t, ExitCommandFailure, code, "%s\n%s", out, stderr)
	assert.Contains(t, out, "finished ROLLED_BACK")
	assert.Equal(t, partly, runningCmdlines(t, cl, fake, key))

	// Nothing is active any more.
	for _, op := range []string{"pause", "resume", "abort", "rollback"} {
		_, stderr, code = cl.run("update", op, key)
		assert.Equal(t, ExitInvalidParameter, code, "%s: %s", op, stderr)
		assert.Contains(t, stderr, "No active update found for this job.", op)
	}
	out = cl.mustRun("update", "pulse", key)
	assert.Contains(t, out, "FINISHED")
	cl.mustRun("job", "killall", key)
}

func TestUpdateUnknownJob(t *testing.T) {
	cl := newCluster(t, dockerrun.NewFake(), "")
	key := cl.key("nothing")
	cfg := cl.writeJob("nothing", versionedJob(1, 1, ""))
	for _, args := range [][]string{
		{"update", "start", key, cfg},
		{"update", "wait", key, "u"},
		{"update", "pause", key},
		{"update", "pulse", key},
		{"update", "info", key},
		{"update", "info", key, "u"},
		{"update", "list", key},
		{"job", "diff", key, cfg},
	} {
		out, stderr, code := cl.run(args...)
		assert.Equal(t, ExitCommandFailure, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "job "+key+" not found", args)
		assert.Empty(t, out, args)
	}
}

func TestUpdateNonService(t *testing.T) {
	cl := newCluster(t, dockerrun.NewFake(), "")
	key := cl.key("batch")
	job := func(cmd string) string {
		return cl.writeJob("batch", "  instances: 1\n  task:\n    processes: [{name: p, cmdline: '"+cmd+"'}]\n    resources: {cpu: 0.1, ram: 16MB, disk: 16MB}\n")
	}
	cl.mustRun("job", "create", key, job("sleep 100"), "--wait-until", "RUNNING", "--timeout", "60s")
	_, stderr, code := cl.run("update", "start", key, job("sleep 200"))
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, "Updates are not supported for non-service tasks.")
	cl.mustRun("job", "killall", key)
}
