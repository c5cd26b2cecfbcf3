package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/workflows"
)

// Tests of what scripts rely on (issue 19): the --write-json objects of the
// commands that change something, update wait without an update id, and
// job restart's Aurora flags.

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// oneObject decodes stdout, which must hold exactly one JSON object and
// nothing else.
func oneObject(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var obj map[string]any
	require.NoError(t, dec.Decode(&obj), "stdout is one JSON object:\n%s", stdout)
	_, err := dec.Token()
	require.ErrorIs(t, err, io.EOF, "nothing follows the object on stdout:\n%s", stdout)
	return obj
}

// ints reads a JSON array of numbers.
func ints(t *testing.T, v any) []int {
	t.Helper()
	arr, ok := v.([]any)
	require.True(t, ok, "%v is an array", v)
	out := []int{}
	for _, e := range arr {
		out = append(out, int(e.(float64)))
	}
	return out
}

// syncBuffer is a bytes.Buffer that a command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a command of the cluster in the background: its stdout can be
// read while it runs, and the channel gives its exit code.
func (cl *cluster) start(args ...string) (*syncBuffer, *syncBuffer, <-chan int) {
	cut := min(2, len(args))
	full := append(append(append([]string{}, args[:cut]...), cl.flags...), args[cut:]...)
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- Main(full, strings.NewReader(""), out, errOut) }()
	return out, errOut, done
}

func TestWriteJSONOfCreateDiffAndUpdate(t *testing.T) {
	fake := dockerrun.NewFake()
	healthByVersion(fake, "3/1")
	cl := newCluster(t, fake, "")
	key := cl.key("js")
	v := func(n, version int, extra string) string { return cl.writeJob("js", versionedJob(n, version, extra)) }

	// job create: the object once every instance is RUNNING; the rest on stderr.
	out, stderr, code := cl.run("job", "create", key, v(3, 1, ""), "--wait-until", "RUNNING", "--timeout", "60s", "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	created := oneObject(t, out)
	assert.Equal(t, []string{"admitted", "instances", "job", "warnings"}, keysOf(created))
	assert.Equal(t, key, created["job"])
	assert.Equal(t, 3.0, created["instances"])
	assert.Equal(t, []any{}, created["warnings"])
	assert.Equal(t, true, created["admitted"])
	assert.Contains(t, stderr, "Job create succeeded: "+key+" (3 instances)")
	assert.Contains(t, stderr, "Web UI: ")
	assert.Contains(t, stderr, "Every instance of "+key+" reached RUNNING")

	// job diff: the plan, with the fields that differ.
	out, stderr, code = cl.run("job", "diff", key, v(4, 2, ""), "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	plan := oneObject(t, out)
	assert.Equal(t, []string{"add", "changes", "job", "remove", "unchanged", "update"}, keysOf(plan))
	assert.Equal(t, key, plan["job"])
	assert.Equal(t, false, plan["unchanged"])
	assert.Equal(t, []int{3}, ints(t, plan["add"]))
	assert.Equal(t, []int{0, 1, 2}, ints(t, plan["update"]))
	assert.Equal(t, []int{}, ints(t, plan["remove"]))
	changes := plan["changes"].([]any)
	require.Len(t, changes, 1)
	change := changes[0].(map[string]any)
	assert.Equal(t, []int{0, 1, 2}, ints(t, change["instances"]))
	assert.Equal(t, "", change["fromUpdate"], "they run the job's first config")
	assert.Contains(t, change["fields"], "task.processes")
	assert.NotContains(t, change["fields"], "instances", "the instance count is not a task field")

	out = cl.mustRun("job", "diff", key, v(2, 1, ""), "--write-json")
	plan = oneObject(t, out)
	assert.Equal(t, []int{2}, ints(t, plan["remove"]))
	assert.Equal(t, []int{}, ints(t, plan["update"]))
	assert.Empty(t, plan["changes"])
	out = cl.mustRun("job", "diff", key, v(3, 1, ""), "--write-json")
	plan = oneObject(t, out)
	assert.Equal(t, true, plan["unchanged"])
	assert.Empty(t, plan["add"])

	// update start of a config that changes nothing: still one object.
	out, stderr, code = cl.run("update", "start", key, v(3, 1, ""), "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	same := oneObject(t, out)
	assert.Equal(t, []string{"job", "unchanged", "updateId", "warnings"}, keysOf(same))
	assert.Equal(t, "", same["updateId"])
	assert.Equal(t, true, same["unchanged"])
	assert.Contains(t, stderr, unchangedMessage)

	// update start without --wait: the id at once, no status.
	autopause := ", update_strategy: {batch: {batch_size: 1, autopause_after_batch: true}}"
	out, stderr, code = cl.run("update", "start", key+"/0-1", v(3, 2, autopause), "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	started := oneObject(t, out)
	assert.Equal(t, []string{"instances", "job", "unchanged", "updateId", "warnings"}, keysOf(started))
	id, _ := started["updateId"].(string)
	assert.Regexp(t, uuidRE, id)
	assert.Equal(t, key, started["job"])
	assert.Equal(t, []int{0, 1}, ints(t, started["instances"]))
	assert.Equal(t, false, started["unchanged"])
	assert.Equal(t, []any{}, started["warnings"])
	assert.Contains(t, stderr, "Update "+id+" started")
	assert.Contains(t, stderr, "Instances to update: 0-1", "the plan goes to stderr")

	// update wait without an id follows the job's active update.
	poll.Until(t, 30*time.Second, "the update pauses after its first batch", func() (bool, string) {
		info := infoJSON(t, cl, key)
		return info["status"] == "ROLL_FORWARD_PAUSED", fmt.Sprint(info["status"])
	})
	out, stderr, code = cl.run("update", "wait", key, "--timeout", "1s")
	assert.Equal(t, ExitTimeout, code, stderr)
	assert.Contains(t, out, "Waiting for update "+id+" of "+key+"\n")
	assert.Contains(t, out, "ROLL_FORWARD_PAUSED")
	wout, werr, wdone := cl.start("update", "wait", key, "--timeout", "60s")
	poll.Until(t, 30*time.Second, "update wait found the active update", func() (bool, string) {
		return strings.Contains(wout.String(), "Waiting for update "+id), wout.String() + werr.String()
	})
	var waitCode int
	poll.Until(t, 60*time.Second, "the resumed update ends", func() (bool, string) {
		select {
		case waitCode = <-wdone:
			return true, ""
		default:
		}
		cl.run("update", "resume", key) // each batch pauses again
		return false, wout.String()
	})
	assert.Equal(t, ExitOK, waitCode, "%s\n%s", wout, werr)
	assert.Contains(t, wout.String(), "Update "+id+" of "+key+" finished ROLLED_FORWARD")

	// Nothing active: Aurora's words, exit 6.
	_, stderr, code = cl.run("update", "wait", key)
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	assert.Contains(t, stderr, "No active update found for this job.")

	// update start --wait: the object when the update ends, with its status,
	// also when it rolls back (exit 4).
	out, stderr, code = cl.run("update", "start", key, v(3, 2, ""), "--wait", "--timeout", "90s", "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	done := oneObject(t, out)
	assert.Equal(t, "ROLLED_FORWARD", done["status"])
	assert.Regexp(t, uuidRE, done["updateId"])
	assert.NotContains(t, done, "instances", "an update of the whole job names no instances")
	assert.Contains(t, stderr, "finished ROLLED_FORWARD")

	out, stderr, code = cl.run("update", "start", key, v(3, 3, ""), "--wait", "--timeout", "90s", "--write-json")
	assert.Equal(t, ExitCommandFailure, code, stderr)
	back := oneObject(t, out)
	assert.Equal(t, "ROLLED_BACK", back["status"])
	assert.Contains(t, stderr, "rolled back")
	assert.Equal(t, map[int]string{0: "serve 2/0", 1: "serve 2/1", 2: "serve 2/2"}, runningCmdlines(t, cl, fake, key))
	cl.mustRun("job", "killall", key)
}

func TestCreateWriteJSONWithoutWorker(t *testing.T) {
	srv := temporalServer(t)
	flags := []string{"--temporal-address", srv.FrontendHostPort(), "--temporal-task-queue", "nobody-polls-json", "--data-dir", t.TempDir()}
	cfg := filepath.Join(t.TempDir(), "job.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("jobs:\n- {cluster: c, role: nwj, environment: prod, name: idle, instances: 2, task: {processes: [{name: p, cmdline: 'true'}], resources: {cpu: 0.1, ram: 16MB, disk: 16MB}}}\n"), 0o644))
	key := "c/nwj/prod/idle"

	out, stderr, code := run(t, append([]string{"job", "create", key, cfg, "--write-json"}, flags...)...)
	require.Equal(t, ExitOK, code, stderr)
	obj := oneObject(t, out)
	assert.Equal(t, key, obj["job"])
	assert.Equal(t, 2.0, obj["instances"])
	assert.Equal(t, false, obj["admitted"], "no worker checked the config yet")
	assert.Equal(t, []any{}, obj["warnings"])
	assert.Contains(t, stderr, "Job create succeeded")
	assert.Contains(t, stderr, `no worker polls task queue "nobody-polls-json"`)
	require.NoError(t, srv.Client().TerminateWorkflow(context.Background(), workflows.JobWorkflowID(key), "", "test over"))
}

// TestRestartAuroraFlags: the job workflow retries a failed instance
// (--max-per-instance-failures) and stops once its failure budget is spent
// (--max-total-failures); TestRestartFlagsValidated checks the flags' values.
func TestRestartAuroraFlags(t *testing.T) {
	fake := dockerrun.NewFake()
	cl := newCluster(t, fake, "")
	key := cl.key("rs")
	cl.mustRun("job", "create", key, cl.writeJob("rs", strings.Replace(webJob, "instances: 2", "instances: 1", 1)),
		"--wait-until", "RUNNING", "--timeout", "60s")
	activeTask := func() (string, string) {
		tasks := tasksOf(statusOf(t, cl, key), "active")
		if len(tasks) != 1 {
			return "", ""
		}
		return tasks[0]["taskId"].(string), tasks[0]["status"].(string)
	}
	// failFirst starts a restart with args and makes the first new task it
	// starts fail while its watch runs; it returns the command's output.
	// The watch is long enough for the test to see the task RUNNING and
	// end it before the watch passes, on a loaded machine too (a failure
	// ends the watch at once, so only a passing successor waits it out).
	failFirst := func(args ...string) (string, int) {
		t.Helper()
		before, status := activeTask()
		if status != "RUNNING" {
			// A task not yet running (THROTTLED after the last case's
			// failure) is the one the restart starts.
			before = ""
		}
		out, errOut, done := cl.start(append([]string{"job", "restart", key, "--watch-secs", "10"}, args...)...)
		poll.Until(t, 30*time.Second, "the restart runs a new task", func() (bool, string) {
			id, status := activeTask()
			return id != "" && id != before && status == "RUNNING", id + " " + status
		})
		id, _ := activeTask()
		require.NoError(t, fake.Exit(id, 1, false))
		select {
		case code := <-done:
			return out.String() + errOut.String(), code
		case <-time.After(90 * time.Second):
			t.Fatalf("job restart did not end:\n%s%s", out, errOut)
			return "", 0
		}
	}

	// --max-per-instance-failures 1: the job workflow restarts the instance
	// once more (its successor, THROTTLED as flapping, starts at once).
	res, code := failFirst("--max-per-instance-failures", "1")
	assert.Equal(t, ExitOK, code, res)
	assert.Contains(t, res, "Restarted instances 0 of "+key)
	assert.Contains(t, res, "Job restart succeeded: "+key)

	// Without retries the failed instance fails the restart (exit 4), and
	// spends the default budget (--max-total-failures 0).
	res, code = failFirst()
	assert.Equal(t, ExitCommandFailure, code, res)
	assert.Contains(t, res, "Instance 0 failed")
	assert.Contains(t, res, "Restart stopped: 1 failed instances observed, maximum allowed is 0 (--max-total-failures 0)")
	assert.Contains(t, res, "STOPPED: 0 of 1 instances done, 0 in flight, 1 failed")

	// Within the budget the failure is still reported (exit 4).
	res, code = failFirst("--max-total-failures", "1")
	assert.Equal(t, ExitCommandFailure, code, res)
	assert.Contains(t, res, "Instance 0 failed")
	assert.NotContains(t, res, "Restart stopped")

	// --timeout bounds the wait (exit 9); the restart goes on in the workflow.
	// The restart is under way well before the timeout, on a loaded
	// machine too, and lasts well past it.
	out, stderr, code := cl.run("job", "restart", key, "--watch-secs", "10", "--timeout", "3s")
	assert.Equal(t, ExitTimeout, code, "%s\n%s", out, stderr)
	assert.Contains(t, stderr, "timed out after 3s waiting for the restart of "+key+"; it goes on in the job workflow")
	poll.Until(t, 30*time.Second, "the restart ends in the workflow", func() (bool, string) {
		_, stderr, code := cl.run("job", "kill", key+"/0")
		return code == ExitOK, stderr
	})
}
