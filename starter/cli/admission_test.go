package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
)

// refusedParam is what the fake admission refuses: a config whose first
// process runs it.
const refusedParam = "--privileged"

// refusal is the fake admission's message for a refused config.
const refusalMsg = "jobs[0].container.docker.parameters[0]: privileged is not on the worker's docker.allowed_parameters"

// fakeAdmission is a worker's AdmitJob that refuses configs whose first
// process runs refusedParam and admits the rest with a warning.
func fakeAdmission(r worker.Registry) {
	r.RegisterActivityWithOptions(func(_ context.Context, in taskapi.AdmitJobInput) (taskapi.AdmitJobResult, error) {
		if strings.Contains(in.Job.Task.Processes[0].Cmdline, refusedParam) {
			return taskapi.AdmitJobResult{}, temporal.NewNonRetryableApplicationError(refusalMsg, taskapi.ErrTypeRefused, nil)
		}
		return taskapi.AdmitJobResult{Warnings: []string{"admitted with care"}, MaxInstances: 10}, nil
	}, activity.RegisterOptions{Name: taskapi.AdmitJob, DisableAlreadyRegisteredCheck: true})
}

// TestAdmissionRefusals: job create and update start report the worker's
// refusal at once and exit 3; job status tells a refused job.
func TestAdmissionRefusals(t *testing.T) {
	cl := newClusterWith(t, dockerrun.NewFake(), "", fakeAdmission)
	key := cl.key("adm")
	bad := cl.writeJob("adm", strings.Replace(webJob, "serve --port", "serve "+refusedParam+" --port", 1))
	good := cl.writeJob("adm", webJob)

	out, stderr, code := cl.run("job", "create", key, bad)
	assert.Equal(t, ExitInvalidConfig, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, stderr, "job "+key+" refused by the worker: "+refusalMsg)
	assert.NotContains(t, out, "Job create succeeded")
	assert.Contains(t, out, "Web UI: ", "the Web UI shows the refusal")

	out = cl.mustRun("job", "status", key)
	assert.Equal(t, "Job "+key+": refused: "+refusalMsg+"\n", out[strings.Index(out, "Job "):])
	out, stderr, code = cl.run("job", "status", key, "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	var jobs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &jobs), out)
	require.Len(t, jobs, 1)
	assert.Equal(t, refusalMsg, jobs[0]["refused"])
	assert.Empty(t, jobs[0]["active"])
	_, stderr, code = cl.run("job", "kill", key+"/0")
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, "refused by the worker")

	// The key is free again: an admitted config creates the job, with the
	// worker's warnings.
	out, stderr, code = cl.run("job", "create", key, good, "--wait-until", "RUNNING", "--timeout", "60s")
	require.Equal(t, ExitOK, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "Job create succeeded: "+key+" (2 instances)")
	assert.Contains(t, stderr, "Warning: admitted with care")

	// A refused update starts nothing.
	out, stderr, code = cl.run("update", "start", key, bad)
	assert.Equal(t, ExitInvalidConfig, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, stderr, "update of "+key+" refused by the worker: "+refusalMsg)
	assert.NotContains(t, out, "started")
	_, stderr, code = cl.run("update", "info", key)
	assert.NotEqual(t, ExitOK, code, "no update: %s", stderr)
	cl.mustRun("job", "killall", key)
}

// TestAdmissionDockerParameter: the worker's own admission refuses a Docker
// parameter its policy does not allow, at create and at update, naming the
// parameter and the setting (exit 3).
func TestAdmissionDockerParameter(t *testing.T) {
	cl := newCluster(t, dockerrun.NewFake(), "")
	key := cl.key("param")
	const param = "  container: {docker: {image: 'borealis/base:latest', parameters: [{name: privileged, value: 'true'}]}}\n"
	bad := cl.writeJob("param", webJob+param)
	good := cl.writeJob("param", webJob)

	out, stderr, code := cl.run("job", "create", key, bad)
	assert.Equal(t, ExitInvalidConfig, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, stderr, "refused by the worker")
	assert.Contains(t, stderr, "privileged")
	assert.Contains(t, stderr, "docker.allowed_parameters")

	cl.mustRun("job", "create", key, good, "--wait-until", "RUNNING", "--timeout", "60s")
	out, stderr, code = cl.run("update", "start", key, bad)
	assert.Equal(t, ExitInvalidConfig, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, stderr, "refused by the worker")
	assert.Contains(t, stderr, "docker.allowed_parameters")
	cl.mustRun("job", "killall", key)
}
