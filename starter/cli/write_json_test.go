package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/workflows"
)

// Tests of --write-json on the commands that change something besides job
// create, job diff and update start (scripts_test.go): job add, kill,
// restart and killall, update pause, resume, abort, rollback, pulse and
// wait, cron schedule, start and deschedule (docs/semantics.md §6.4).

// strictJSON decodes stdout, which must hold exactly one JSON object and
// nothing else, into v, refusing keys v does not have, and returns the
// object's keys, sorted.
func strictJSON(t *testing.T, stdout string, v any) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), "stdout is one JSON object of %T:\n%s", v, stdout)
	_, err := dec.Token()
	require.ErrorIs(t, err, io.EOF, "nothing follows the object on stdout:\n%s", stdout)
	return keysOf(oneObject(t, stdout))
}

// runJSON runs a command with --write-json that must exit want, decodes its
// stdout strictly into v and returns its keys and stderr, which must show
// the Web UI address.
func (cl *cluster) runJSON(want int, v any, args ...string) ([]string, string) {
	cl.t.Helper()
	out, stderr, code := cl.run(append(args, "--write-json")...)
	require.Equal(cl.t, want, code, "borealis %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, stderr)
	keys := strictJSON(cl.t, out, v)
	assert.Contains(cl.t, stderr, "Web UI: ", "%v: the Web UI address goes to stderr", args)
	return keys, stderr
}

func TestWriteJSONOfJobOps(t *testing.T) {
	fake := dockerrun.NewFake()
	cl := newCluster(t, fake, "")
	key := cl.key("ops")
	cl.mustRun("job", "create", key, cl.writeJob("ops", webJob), "--wait-until", "RUNNING", "--timeout", "60s")
	opKeys := []string{"failed", "instances", "job"}

	var add jobOpJSON
	keys, stderr := cl.runJSON(ExitOK, &add, "job", "add", key+"/0", "2")
	assert.Equal(t, opKeys, keys)
	assert.Equal(t, jobOpJSON{Job: key, Instances: []int{2, 3}, Failed: map[string]string{}}, add)
	assert.Contains(t, stderr, "Added instances 2-3 of "+key)

	var kill jobOpJSON
	keys, stderr = cl.runJSON(ExitOK, &kill, "job", "kill", key+"/3")
	assert.Equal(t, opKeys, keys)
	assert.Equal(t, jobOpJSON{Job: key, Instances: []int{3}, Failed: map[string]string{}}, kill)
	assert.Contains(t, stderr, "Killed instances 3 of "+key)

	var restart jobOpJSON
	keys, stderr = cl.runJSON(ExitOK, &restart, "job", "restart", key+"/0-1", "--batch-size", "2", "--watch-secs", "0")
	assert.Equal(t, opKeys, keys)
	assert.Equal(t, jobOpJSON{Job: key, Instances: []int{0, 1}, Failed: map[string]string{}}, restart)
	assert.Contains(t, stderr, "Restarting instances 0-1 of "+key)
	assert.Contains(t, stderr, "Job restart succeeded: "+key)

	var killall jobOpJSON
	keys, stderr = cl.runJSON(ExitOK, &killall, "job", "killall", key)
	assert.Equal(t, opKeys, keys)
	assert.Equal(t, jobOpJSON{Job: key, Instances: []int{0, 1, 2}, Failed: map[string]string{}}, killall)
	assert.Contains(t, stderr, "Job killall succeeded: "+key)
}

// TestWriteJSONOfFailedOp: instances that failed are in the object, which
// is printed although the command exits 4; a stopped restart adds what it
// skipped and why.
func TestWriteJSONOfFailedOp(t *testing.T) {
	var out, errOut bytes.Buffer
	a := &app{out: &out, err: &errOut}
	res := workflows.OpResult{Instances: []int{3, 0, 1}, Failed: map[int]string{1: "task T ended LOST"},
		Skipped: []int{5, 4}, Aborted: "1 failed instances observed, maximum allowed is 0"}
	err := a.printOp(true, "Restarted", "c/r/e/n", res)
	assert.Equal(t, ExitCommandFailure, exitCode(err))
	var got jobOpJSON
	assert.Equal(t, []string{"aborted", "failed", "instances", "job", "skipped"}, strictJSON(t, out.String(), &got))
	assert.Equal(t, jobOpJSON{Job: "c/r/e/n", Instances: []int{0, 1, 3}, Failed: map[string]string{"1": "task T ended LOST"},
		Skipped: []int{4, 5}, Aborted: res.Aborted}, got)
	assert.Contains(t, errOut.String(), "Restarted instances 0,3 of c/r/e/n\nInstance 1 failed: task T ended LOST\n")
}

func TestWriteJSONOfUpdateControl(t *testing.T) {
	fake := dockerrun.NewFake()
	healthByVersion(fake)
	cl := newCluster(t, fake, "")
	key := cl.key("uc")
	v := func(version int, extra string) string { return cl.writeJob("uc", versionedJob(3, version, extra)) }
	cl.mustRun("job", "create", key, v(1, ""), "--wait-until", "RUNNING", "--timeout", "60s")
	statusKeys := []string{"job", "status", "updateId"}

	// No active update: pulse answers FINISHED.
	var pulse updateStatusJSON
	out, stderr, code := cl.run("update", "pulse", key, "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, []string{"job", "pulse", "status", "updateId"}, strictJSON(t, out, &pulse))
	assert.Equal(t, updateStatusJSON{Job: key, Pulse: "FINISHED"}, pulse)

	autopause := ", update_strategy: {batch: {batch_size: 1, autopause_after_batch: true}}"
	var started updateStartJSON
	_, _ = cl.runJSON(ExitOK, &started, "update", "start", key, v(2, autopause))
	id := started.UpdateID
	pausedAfter := func(n int) {
		t.Helper()
		poll.Until(t, 30*time.Second, fmt.Sprintf("autopaused after %d instances", n), func() (bool, string) {
			info := infoJSON(t, cl, key, id)
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

	keys, stderr := cl.runJSON(ExitOK, &pulse, "update", "pulse", key)
	assert.Equal(t, []string{"job", "pulse", "status", "updateId"}, keys)
	assert.Equal(t, updateStatusJSON{Job: key, UpdateID: id, Status: "ROLL_FORWARD_PAUSED", Pulse: "OK"}, pulse)
	assert.Contains(t, stderr, "Pulse: OK (update "+id)

	for _, c := range []struct{ op, status string }{
		{"pause", "ROLL_FORWARD_PAUSED"}, // a no-op on a paused update
		{"resume", "ROLLING_FORWARD"},
	} {
		var got updateStatusJSON
		keys, stderr := cl.runJSON(ExitOK, &got, "update", c.op, key)
		assert.Equal(t, statusKeys, keys, c.op)
		assert.Equal(t, updateStatusJSON{Job: key, UpdateID: id, Status: c.status}, got, c.op)
		assert.Contains(t, stderr, "Update "+id+" of "+key+": "+c.status+"\n", c.op)
	}
	pausedAfter(2)

	var rollback updateStatusJSON
	keys, _ = cl.runJSON(ExitOK, &rollback, "update", "rollback", key)
	assert.Equal(t, statusKeys, keys)
	assert.Equal(t, updateStatusJSON{Job: key, UpdateID: id, Status: "ROLLING_BACK"}, rollback)

	// wait: the object once the update ends, with the exit code of its end.
	var waited updateStatusJSON
	keys, stderr = cl.runJSON(ExitCommandFailure, &waited, "update", "wait", key, id, "--timeout", "60s")
	assert.Subset(t, []string{"job", "message", "status", "updateId"}, keys)
	assert.Equal(t, key, waited.Job)
	assert.Equal(t, id, waited.UpdateID)
	assert.Equal(t, "ROLLED_BACK", waited.Status)
	assert.Contains(t, stderr, "finished ROLLED_BACK")

	// abort, then wait for the job's active update (none by now, or the
	// aborted one ending): a timeout still prints what was last seen.
	_, _ = cl.runJSON(ExitOK, &started, "update", "start", key, v(3, autopause))
	id = started.UpdateID
	pausedAfter(1)
	wout, werr, wdone := cl.start("update", "wait", key, "--timeout", "60s", "--write-json")
	poll.Until(t, 30*time.Second, "update wait found the active update", func() (bool, string) {
		return strings.Contains(werr.String(), "Waiting for update "+id), wout.String() + werr.String()
	})
	var abort updateStatusJSON
	keys, _ = cl.runJSON(ExitOK, &abort, "update", "abort", key)
	assert.Equal(t, statusKeys, keys)
	assert.Equal(t, key, abort.Job)
	assert.Equal(t, id, abort.UpdateID)
	assert.NotEmpty(t, abort.Status)
	select {
	case code := <-wdone:
		assert.Equal(t, ExitUnknown, code, "aborted: %s", werr)
	case <-time.After(90 * time.Second):
		t.Fatalf("update wait did not end:\n%s\n%s", wout, werr)
	}
	waited = updateStatusJSON{}
	keys = strictJSON(t, wout.String(), &waited)
	assert.Subset(t, []string{"job", "message", "status", "updateId"}, keys)
	assert.Equal(t, updateStatusJSON{Job: key, UpdateID: id, Status: "ABORTED", Message: waited.Message}, waited)

	// A wait that times out prints the state last seen (exit 9).
	_, _ = cl.runJSON(ExitOK, &started, "update", "start", key, v(4, autopause))
	id = started.UpdateID
	pausedAfter(1)
	waited = updateStatusJSON{}
	_, stderr = cl.runJSON(ExitTimeout, &waited, "update", "wait", key, "--timeout", "1s")
	assert.Equal(t, updateStatusJSON{Job: key, UpdateID: id, Status: "ROLL_FORWARD_PAUSED", Message: waited.Message}, waited)
	assert.Contains(t, stderr, "timed out after 1s")

	// No active update: wait prints nothing on stdout (exit 6).
	cl.mustRun("update", "abort", key)
	poll.Until(t, 30*time.Second, "the aborted update ends", func() (bool, string) {
		out, stderr, code := cl.run("update", "wait", key, "--write-json")
		return code == ExitInvalidParameter && out == "", out + stderr
	})
}

func TestWriteJSONOfCron(t *testing.T) {
	fake := dockerrun.NewFake()
	cl := newCluster(t, fake, "")
	key := cl.key("cr")
	// A schedule that never fires during the test: runs start by cron start.
	cfg := cl.writeJob("cr", `  cron_schedule: '0 0 1 1 *'
  instances: 1
  task:
    processes: [{name: p, cmdline: 'sleep 1000'}]
    resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`)
	scheduleKeys := []string{"collisionPolicy", "cronSchedule", "job", "replaced", "warnings"}
	var sched cronScheduleJSON
	keys, stderr := cl.runJSON(ExitOK, &sched, "cron", "schedule", key, cfg)
	assert.Equal(t, scheduleKeys, keys)
	assert.Equal(t, cronScheduleJSON{Job: key, CronSchedule: "0 0 1 1 *", CollisionPolicy: "KILL_EXISTING", Warnings: []string{}}, sched)
	assert.Contains(t, stderr, "Cron schedule succeeded: "+key)

	sched = cronScheduleJSON{}
	keys, _ = cl.runJSON(ExitOK, &sched, "cron", "schedule", key, cfg)
	assert.Equal(t, scheduleKeys, keys)
	assert.True(t, sched.Replaced, "the second schedule replaces the first")

	var start cronStartJSON
	keys, stderr = cl.runJSON(ExitOK, &start, "cron", "start", key)
	assert.Equal(t, []string{"job", "scheduleId"}, keys)
	assert.Equal(t, cronStartJSON{Job: key, ScheduleID: workflows.CronScheduleID(key)}, start)
	assert.Contains(t, stderr, "Cron start succeeded")

	var runID string
	poll.Until(t, 30*time.Second, "the run is active", func() (bool, string) {
		out, stderr, code := cl.run("cron", "show", key, "--write-json")
		if code != ExitOK {
			return false, stderr
		}
		var show cronShowJSON
		require.NoError(t, json.Unmarshal([]byte(out), &show), out)
		if show.Active == nil {
			return false, out
		}
		runID = show.Active.RunID
		return runID != "", out
	})

	var desched cronDescheduleJSON
	out, stderr, code := cl.run("cron", "deschedule", key, "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, []string{"activeRun", "job", "scheduleDeleted"}, strictJSON(t, out, &desched))
	assert.Equal(t, cronDescheduleJSON{Job: key, ScheduleDeleted: true, ActiveRun: runID}, desched)
	assert.Contains(t, stderr, "Run "+runID+" goes on")
	cl.mustRun("job", "killall", key)
}
