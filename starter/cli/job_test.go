package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/workflows"
)

// webJob is a service of two instances with an http and an admin port and
// no health port, so a task is RUNNING as soon as its container runs.
const webJob = `  service: true
  instances: 2
  update_config: {watch_secs: 0}
  task:
    processes: [{name: web, cmdline: 'serve --port {{thermos.ports[http]}} --admin {{thermos.ports[admin]}}'}]
    resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`

// statusOf runs `job status --write-json` and decodes it loosely, so the
// test sees exactly the keys printed.
func statusOf(t *testing.T, cl *cluster, key string) map[string]any {
	t.Helper()
	out, stderr, code := cl.run("job", "status", key, "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stderr, "Web UI: ", "the Web UI address goes to stderr with --write-json")
	var jobs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &jobs), out)
	require.Len(t, jobs, 1)
	return jobs[0]
}

func tasksOf(job map[string]any, list string) []map[string]any {
	var out []map[string]any
	for _, t := range job[list].([]any) {
		out = append(out, t.(map[string]any))
	}
	return out
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// instancesOf lists the instance ids of tasks with status.
func instancesOf(tasks []map[string]any, status string) []int {
	var ids []int
	for _, t := range tasks {
		if status == "" || t["status"] == status {
			ids = append(ids, int(t["instanceId"].(float64)))
		}
	}
	sort.Ints(ids)
	return ids
}

func TestJobLifecycle(t *testing.T) {
	fake := dockerrun.NewFake()
	cl := newCluster(t, fake, "")
	key := cl.key("web")
	cfg := cl.writeJob("web", webJob)

	// create, and wait until both instances run.
	out := cl.mustRun("job", "create", key, cfg, "--wait-until", "running", "--timeout", "60s")
	assert.Contains(t, out, "Job create succeeded: "+key+" (2 instances)")
	assert.Contains(t, out, "Web UI: http://localhost:8233/namespaces/default/workflows/"+url.PathEscape("job/"+key)+"\n")
	assert.Contains(t, out, "Every instance of "+key+" reached RUNNING")
	assert.Regexp(t, `(?m)^waiting for RUNNING: 2 of 2 instances done, 0 in flight, 0 failed \(0=RUNNING 1=RUNNING\)$`, out,
		"off a terminal, progress is plain lines")

	// Shell completion offers the running job's key (visibility is
	// eventually consistent).
	poll.Until(t, 30*time.Second, "completion lists the job", func() (bool, string) {
		var out, errOut bytes.Buffer
		code := Main(append(append([]string{"__complete", "job", "status"}, cl.flags...), "test/"+cl.role+"/"), strings.NewReader(""), &out, &errOut)
		return code == ExitOK && strings.Contains(out.String(), key+"\n") && strings.HasSuffix(out.String(), ":4\n"), out.String() + errOut.String()
	})

	_, stderr, code := cl.run("job", "create", key, cfg)
	assert.Equal(t, ExitCommandFailure, code)
	assert.Contains(t, stderr, "job "+key+" already exists")

	// status --write-json: exactly docs/semantics.md §6's keys.
	job := statusOf(t, cl, key)
	assert.Equal(t, []string{"active", "inactive", "job"}, keysOf(job))
	assert.Equal(t, key, job["job"])
	active := tasksOf(job, "active")
	require.Len(t, active, 2)
	assert.Equal(t, []int{0, 1}, instancesOf(active, "RUNNING"))
	assert.Empty(t, job["inactive"])
	task0 := active[0]
	assert.Equal(t, []string{"assignedPorts", "configVersion", "containerId", "failureCount", "host", "instanceId", "status", "taskEvents", "taskId"}, keysOf(task0))
	assert.Equal(t, "", task0["configVersion"], "the job's first config")
	assert.Equal(t, "127.0.0.1", task0["host"])
	assert.NotEmpty(t, task0["containerId"])
	ports := task0["assignedPorts"].(map[string]any)
	assert.ElementsMatch(t, []string{"http", "admin"}, keysOf(ports))
	events := task0["taskEvents"].([]any)
	require.NotEmpty(t, events)
	for _, e := range events {
		assert.Equal(t, []string{"message", "status", "timestamp"}, keysOf(e.(map[string]any)))
	}
	last := events[len(events)-1].(map[string]any)
	assert.Equal(t, "RUNNING", last["status"])
	assert.InDelta(t, float64(time.Now().UnixMilli()), last["timestamp"], float64(time.Minute.Milliseconds()), "epoch ms")

	// status as a table.
	out = cl.mustRun("job", "status", key)
	assert.Contains(t, out, "Web UI: ")
	assert.Contains(t, out, "Job "+key+": 2 active of 2 instances")
	assert.Contains(t, out, "INSTANCE  TASK")
	assert.Contains(t, out, "http=127.0.0.1:"+strconv.Itoa(int(ports["http"].(float64))))

	// list: a row per job (job_list_test.go has the counts).
	// (Scoped to this test's role: other tests' jobs may have lost their
	// worker, and job list asks every job it lists.)
	role := "test/" + cl.role
	out, stderr, code = cl.run("job", "list", role)
	require.Equal(t, ExitOK, code, stderr)
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(key)+`\s+2\s+2\s+2\s+0\s+-$`, out)
	assert.NotContains(t, out, "Web UI", "stdout is the list only")
	assert.Contains(t, stderr, "Web UI: http://localhost:8233/namespaces/default/workflows?query=")
	assert.Contains(t, jobsOf(jobList(t, cl, role)), key)
	parts := strings.Split(key, "/")
	assert.Contains(t, jobsOf(jobList(t, cl, parts[0]+"/"+parts[1]+"/"+parts[2])), key, "a pattern that matches the job lists it")
	out = cl.mustRun("job", "list", parts[0]+"/nobody-has-this-role")
	assert.NotContains(t, out, key, "a pattern that does not match leaves it out")

	// endpoints: the http port is the service endpoint.
	out, stderr, code = cl.run("job", "endpoints", key, "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	var members []serverSetMember
	require.NoError(t, json.Unmarshal([]byte(out), &members), out)
	require.Len(t, members, 2)
	for i, m := range members {
		assert.Equal(t, i, m.Shard)
		assert.Equal(t, "ALIVE", m.Status)
		require.NotNil(t, m.ServiceEndpoint)
		assert.Equal(t, m.AdditionalEndpoints["http"], *m.ServiceEndpoint)
		assert.Contains(t, m.AdditionalEndpoints, "admin")
	}
	assert.Equal(t, int(ports["http"].(float64)), members[0].ServiceEndpoint.Port)

	// add one instance copied from instance 0.
	out = cl.mustRun("job", "add", key+"/0", "1")
	assert.Contains(t, out, "Added instances 2 of "+key)
	require.Eventually(t, func() bool {
		return slices.Equal([]int{0, 1, 2}, instancesOf(tasksOf(statusOf(t, cl, key), "active"), "RUNNING"))
	}, 30*time.Second, 200*time.Millisecond)

	// restart instances 0-1; watch_secs comes from the job (0).
	before := map[int]string{}
	for _, tk := range tasksOf(statusOf(t, cl, key), "active") {
		before[int(tk["instanceId"].(float64))] = tk["taskId"].(string)
	}
	out = cl.mustRun("job", "restart", key+"/0-1")
	assert.Contains(t, out, "Restarting instances 0-1 of "+key+" (batch size 1, watch 0 s)")
	assert.Contains(t, out, "Restarted instances 0-1 of "+key)
	assert.Contains(t, out, "RESTARTED: 2 of 2 instances done, 0 in flight, 0 failed, batch 2\n")
	job = statusOf(t, cl, key)
	for _, tk := range tasksOf(job, "active") {
		id := int(tk["instanceId"].(float64))
		if id == 2 {
			assert.Equal(t, before[2], tk["taskId"], "instance 2 was not restarted")
		} else {
			assert.NotEqual(t, before[id], tk["taskId"], "instance %d has a new task", id)
		}
	}
	assert.Equal(t, []int{0, 1}, instancesOf(tasksOf(job, "inactive"), "KILLED"))

	// kill one instance: it moves to inactive and is not restarted.
	out = cl.mustRun("job", "kill", key+"/1")
	assert.Contains(t, out, "Killed instances 1 of "+key)
	require.Eventually(t, func() bool {
		job := statusOf(t, cl, key)
		return slices.Equal([]int{0, 2}, instancesOf(tasksOf(job, "active"), "")) &&
			slices.Equal([]int{0, 1, 1}, instancesOf(tasksOf(job, "inactive"), "KILLED"))
	}, 30*time.Second, 200*time.Millisecond, "instance 1 shows as killed")

	// unknown instances exit 6.
	_, stderr, code = cl.run("job", "kill", key+"/7")
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	assert.Contains(t, stderr, "no instance")
	_, stderr, code = cl.run("job", "restart", key+"/1")
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	_, stderr, code = cl.run("job", "add", key+"/9", "1")
	assert.Equal(t, ExitInvalidParameter, code, stderr)

	// killall ends the job; its status shows no active task.
	out = cl.mustRun("job", "killall", key)
	assert.Contains(t, out, "Job killall succeeded: "+key)
	assert.Contains(t, out, "KILLED: 2 of 2 instances done, 0 in flight, 0 failed\n")
	job = statusOf(t, cl, key)
	assert.Empty(t, job["active"])
	assert.NotEmpty(t, job["inactive"])
	out = cl.mustRun("job", "list", role)
	assert.NotContains(t, out, key)
	_, stderr, code = cl.run("job", "killall", key)
	assert.Equal(t, ExitCommandFailure, code, stderr)

	// A killed job can be created again.
	cl.mustRun("job", "create", key, cfg, "--wait-until", "PENDING", "--timeout", "30s")
	cl.mustRun("job", "killall", key)
}

func TestJobUnknown(t *testing.T) {
	cl := newCluster(t, dockerrun.NewFake(), "")
	key := cl.key("nothing")
	for _, args := range [][]string{
		{"job", "status", key},
		{"job", "status", key, "--write-json"},
		{"job", "kill", key + "/0"},
		{"job", "killall", key},
		{"job", "restart", key},
		{"job", "add", key + "/0", "1"},
		{"job", "endpoints", key},
		{"task", "logs", key + "/0"},
		{"task", "run", key, "true"},
	} {
		out, stderr, code := cl.run(args...)
		assert.Equal(t, ExitCommandFailure, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "job "+key+" not found", args)
		assert.Empty(t, out, args)
	}
}

func TestJobBusyAndWaitTimeout(t *testing.T) {
	cl := newCluster(t, dockerrun.NewFake(), "")
	key := cl.key("busy")
	cfg := cl.writeJob("busy", webJob)
	cl.mustRun("job", "create", key, cfg, "--wait-until", "RUNNING", "--timeout", "60s")

	// A service never finishes: waiting for FINISHED times out.
	_, stderr, code := cl.run("job", "create", cl.key("never"), cl.writeJob("never", webJob), "--wait-until", "FINISHED", "--timeout", "1s")
	assert.Equal(t, ExitTimeout, code, stderr)
	assert.Contains(t, stderr, "timed out")

	// While a restart watches its tasks, a kill is refused.
	done := make(chan string)
	go func() {
		out, stderr, code := cl.run("job", "restart", key, "--watch-secs", "3")
		done <- strconv.Itoa(code) + "\n" + out + stderr
	}()
	require.Eventually(t, func() bool {
		v, err := cl.c.QueryWorkflow(context.Background(), workflows.JobWorkflowID(key), "", workflows.QueryJob)
		var view workflows.JobView
		return err == nil && v.Get(&view) == nil && view.Busy == "restart"
	}, 30*time.Second, 50*time.Millisecond)
	_, stderr, code = cl.run("job", "kill", key+"/0")
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, "busy")
	res := <-done
	assert.Contains(t, res, "Job restart succeeded")
	assert.Contains(t, res, "RESTARTING: 0 of 2 instances done, 1 in flight, 0 failed, batch 1\n", "restart shows its progress")
	assert.Contains(t, res, "RESTARTED: 2 of 2 instances done, 0 in flight, 0 failed, batch 2\n")
	assert.Equal(t, "0", res[:1], res)

	cl.mustRun("job", "killall", key)
	cl.mustRun("job", "killall", cl.key("never"))
}

func TestNonServiceWaitFinished(t *testing.T) {
	fake := dockerrun.NewFake()
	cl := newCluster(t, fake, "")
	batch := func(name string) (string, string) {
		return cl.key(name), cl.writeJob(name, `  instances: 1
  task:
    processes: [{name: batch, cmdline: 'true'}]
    resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`)
	}
	// waitThenExit creates a job waiting for FINISHED, makes its task exit
	// with code once RUNNING and returns how the create ended.
	waitThenExit := func(name string, code int) (string, int) {
		key, cfg := batch(name)
		type result struct {
			out  string
			code int
		}
		done := make(chan result)
		go func() {
			out, stderr, code := cl.run("job", "create", key, cfg, "--wait-until", "FINISHED", "--timeout", "60s")
			done <- result{out + stderr, code}
		}()
		var taskID string
		require.Eventually(t, func() bool {
			_, stderr, c := cl.run("job", "status", key, "--write-json")
			if c != ExitOK {
				return false
			}
			job := statusOf(t, cl, key)
			active := tasksOf(job, "active")
			if len(active) == 1 && active[0]["status"] == "RUNNING" {
				taskID = active[0]["taskId"].(string)
				return true
			}
			_ = stderr
			return false
		}, 30*time.Second, 100*time.Millisecond)
		require.NoError(t, fake.Exit(taskID, code, false))
		r := <-done
		return r.out, r.code
	}

	out, code := waitThenExit("ok", 0)
	assert.Equal(t, ExitOK, code, out)
	assert.Contains(t, out, "reached FINISHED")

	out, code = waitThenExit("bad", 1)
	assert.Equal(t, ExitCommandFailure, code, out)
	assert.Contains(t, out, "ended FAILED, not FINISHED")
}

func TestCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{"job", "kill"},
		{"job", "killall"},
		{"job", "add", "a/b/c/d/0"},
		{"job", "status"},
		{"job", "restart", "a/b/c/d", "extra"},
		{"job", "create", "a/b/c/d"},
		{"job", "create", "a/b/c/d", "x.yaml", "--wait-until"},
		{"job", "endpoints"},
		{"job", "list", "a", "extra"},
		{"task", "run", "a/b/c/d"},
		{"task", "logs"},
		{"task", "ssh"},
		{"task", "frob"},
	} {
		_, stderr, code := run(t, args...)
		assert.Equal(t, ExitInvalidCommand, code, "%v: %s", args, stderr)
	}
	for _, args := range [][]string{
		{"job", "kill", "a/b/c/d"},
		{"job", "kill", "not-a-key/0"},
		{"job", "add", "a/b/c/d/0-1", "1"},
		{"job", "add", "a/b/c/d/0", "zero"},
		{"job", "restart", "a/b/c/d", "--batch-size", "0"},
		{"job", "create", "a/b/c/d", example("hello_world.yaml"), "--wait-until", "DONE"},
		{"task", "logs", "a/b/c/d"},
		{"task", "ssh", "a/b/c/d/0-1"},
		{"job", "list", "a/b/c/d/e"},
	} {
		_, stderr, code := run(t, args...)
		assert.Equal(t, ExitInvalidParameter, code, "%v: %s", args, stderr)
	}
}

func TestTemporalUnreachable(t *testing.T) {
	for _, args := range [][]string{
		{"job", "status", "a/b/c/d"},
		{"job", "list"},
		{"job", "create", helloKey, example("hello_world.yaml")},
		{"job", "killall", "a/b/c/d"},
	} {
		_, stderr, code := run(t, append(args, "--temporal-address", "127.0.0.1:1")...)
		assert.Equal(t, ExitNetworkError, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "no Temporal server at 127.0.0.1:1: start it with make dev-server")
	}
}

func TestNoWorker(t *testing.T) {
	srv := temporalServer(t)
	flags := []string{"--temporal-address", srv.FrontendHostPort(), "--temporal-task-queue", "nobody-polls", "--data-dir", t.TempDir()}
	cfg := filepath.Join(t.TempDir(), "job.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("jobs:\n- {cluster: c, role: nw, environment: prod, name: idle, task: {processes: [{name: p, cmdline: 'true'}], resources: {cpu: 0.1, ram: 16MB, disk: 16MB}}}\n"), 0o644))
	key := "c/nw/prod/idle"

	out, stderr, code := run(t, append([]string{"job", "create", key, cfg}, flags...)...)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, out, "Job create succeeded")
	assert.Contains(t, stderr, `Warning: no worker polls task queue "nobody-polls"`)
	for _, args := range [][]string{
		{"job", "status", key},
		{"job", "kill", key + "/0"},
		{"job", "restart", key},
	} {
		_, stderr, code := run(t, append(args, flags...)...)
		assert.Equal(t, ExitCommandFailure, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, `no worker polls task queue "nobody-polls"`, args)
		assert.Contains(t, stderr, "start one with make worker", args)
	}
	// job list still lists the job (visibility needs no worker), its counts
	// unknown.
	poll.Until(t, 30*time.Second, "job list shows the job without counts", func() (bool, string) {
		out, stderr, code := run(t, append([]string{"job", "list", "c/nw/prod"}, flags...)...)
		return code == ExitOK && strings.Contains(out, key+"  ?") &&
			strings.Contains(stderr, "Warning: job "+key+`: no worker polls task queue "nobody-polls"`), out + stderr
	})
	err := srv.Client().TerminateWorkflow(context.Background(), workflows.JobWorkflowID(key), "", "test over")
	require.NoError(t, err)
}
