package workflows_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// refusedBy returns the refusal in err, failing the test when err is not one.
func refusedBy(t *testing.T, err error) string {
	t.Helper()
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, taskapi.ErrTypeRefused, appErr.Type())
	assert.True(t, appErr.NonRetryable(), "a refusal is not retried")
	return appErr.Message()
}

// notFound asserts that a workflow was never started.
func (e *env) notFound(workflowID string) {
	e.t.Helper()
	_, err := e.c.DescribeWorkflow(context.Background(), workflowID, "")
	var nf *serviceerror.NotFound
	assert.ErrorAs(e.t, err, &nf, "%s exists", workflowID)
}

// containers lists the containers the fake runtime holds for a job.
func (e *env) containers(key string) []string {
	e.t.Helper()
	jk, err := jobkey.Parse(key)
	require.NoError(e.t, err)
	tasks, err := e.fake.List(context.Background(), jk)
	require.NoError(e.t, err)
	var ids []string
	for _, s := range tasks {
		ids = append(ids, s.TaskID)
	}
	return ids
}

// TestRefusedJobFails: a job whose config the worker refuses starts no
// instance; the CLI's wait for the verdict and the workflow's failure both
// carry the refusal, and the job's query tells it.
func TestRefusedJobFails(t *testing.T) {
	e := newEnv(t)
	const why = "jobs[0].task.resources.ram: must be ≥ 1 MiB, got 0"
	e.admission.set(func(in taskapi.AdmitJobInput) string {
		if in.Job.Task.Resources.RAM == 0 {
			return why
		}
		return ""
	}, 0)
	release := e.admission.hold()
	j := e.job("refused", 2, true)
	j.Task.Resources.RAM = 0
	e.create(j)
	key := j.Key()

	// The wait is under way before the worker decides, as the CLI's is.
	ctx := context.Background()
	h, err := e.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.JobWorkflowID(key), UpdateID: "admission", UpdateName: workflows.UpdateAdmission,
		WaitForStage: client.WorkflowUpdateStageAccepted,
	})
	require.NoError(t, err)
	release()
	var verdict taskapi.AdmitJobResult
	assert.Equal(t, why, refusedBy(t, h.Get(ctx, &verdict)))

	err = e.c.GetWorkflow(ctx, workflows.JobWorkflowID(key), "").Get(ctx, nil)
	assert.Equal(t, why, refusedBy(t, err), "the workflow fails with the refusal")
	e.notFound(workflows.InstanceWorkflowID(key, 0))
	e.notFound(workflows.InstanceWorkflowID(key, 1))
	assert.Empty(t, e.containers(key))

	view := e.jobView(key)
	assert.Equal(t, why, view.Refused)
	assert.Empty(t, view.Instances)
	require.Len(t, e.admission.calls(), 1)
	assert.Equal(t, key, e.admission.calls()[0].JobKey)
	e.replay(workflows.JobWorkflowID(key), "job-refused")
}

// TestAdmittedJobStarts: an admitted job starts its instances; the verdict
// (warnings, the instance cap) is answered to the CLI and kept in the record.
func TestAdmittedJobStarts(t *testing.T) {
	e := newEnv(t)
	e.admission.set(nil, 50, "container.parameters: ulimit is not on docker.allowed_parameters; ignored")
	j := e.job("admitted", 2, true)
	e.create(j)
	key := j.Key()
	var verdict taskapi.AdmitJobResult
	require.NoError(t, e.update(key, workflows.UpdateAdmission, nil, &verdict))
	assert.Equal(t, []string{"container.parameters: ulimit is not on docker.allowed_parameters; ignored"}, verdict.Warnings)
	assert.Equal(t, 50, verdict.MaxInstances)
	e.runningAll(key, 2)

	calls := e.admission.calls()
	require.Len(t, calls, 1)
	assert.Equal(t, key, calls[0].JobKey)
	assert.Equal(t, j.Task.Processes, calls[0].Job.Task.Processes)
	view := e.jobView(key)
	assert.Empty(t, view.Refused)
	assert.Equal(t, verdict.Warnings, view.Warnings)
	assert.Equal(t, 50, view.MaxInstances)

	// Asked again, the wait answers the same at once.
	var again taskapi.AdmitJobResult
	require.NoError(t, e.update(key, workflows.UpdateAdmission, nil, &again))
	assert.Equal(t, verdict, again)
}

// TestAddPastMaxInstances: job add may not take a job past the worker's
// jobs.max_instances.
func TestAddPastMaxInstances(t *testing.T) {
	e := newEnv(t)
	e.admission.set(nil, 3)
	j := e.job("capped", 2, true)
	e.create(j)
	key := j.Key()
	e.runningAll(key, 2)

	var res workflows.OpResult
	err := e.update(key, workflows.UpdateAdd, workflows.AddRequest{From: 0, Count: 2}, &res)
	msg := refusedBy(t, err)
	assert.Contains(t, msg, "jobs.max_instances 3")
	assert.Equal(t, []int{0, 1}, e.jobView(key).InstanceIDs(), "nothing added")

	require.NoError(t, e.update(key, workflows.UpdateAdd, workflows.AddRequest{From: 0, Count: 1}, &res))
	assert.Equal(t, []int{2}, res.Instances)
	e.running(key, 2)
}

// TestRefusedUpdateStartsNothing: an update whose config the worker refuses
// is answered with the refusal and starts nothing; the job stays free.
func TestRefusedUpdateStartsNothing(t *testing.T) {
	e := newEnv(t)
	const why = "jobs[0].container.docker.parameters[0]: privileged is not on docker.allowed_parameters"
	e.admission.set(func(in taskapi.AdmitJobInput) string {
		if strings.Contains(in.Job.Task.Processes[0].Cmdline, "--refused") {
			return why
		}
		return ""
	}, 0, "a warning")
	j := e.job("upd", 2, true)
	e.create(j)
	key := j.Key()
	before := []string{e.running(key, 0).TaskID, e.running(key, 1).TaskID}

	next := j
	task := *j.Task
	next.Task = &task
	next.Task.Processes = slices.Clone(j.Task.Processes)
	next.Task.Processes[0].Cmdline += " --refused"
	_, err := e.startUpdate(next, "bad")
	assert.Equal(t, why, refusedBy(t, err))
	e.notFound(workflows.UpdateWorkflowID(key, "bad"))
	view := e.jobView(key)
	assert.Empty(t, view.Updating)
	assert.Empty(t, view.Busy)
	assert.Len(t, view.Configs, 1, "the refused config is not recorded")
	for i, id := range before {
		assert.Equal(t, id, e.running(key, i).TaskID, "instance %d untouched", i)
	}

	// An admitted update goes ahead, with the worker's warnings.
	next.Task.Processes[0].Cmdline = j.Task.Processes[0].Cmdline + " --v2"
	next.UpdateConfig.WatchSecs = 0
	res, err := e.startUpdate(next, "good")
	require.NoError(t, err)
	assert.Equal(t, []string{"a warning"}, res.Warnings)
	info := e.waitUpdate(key, "good")
	assert.Equal(t, workflows.UpdateRolledForward, info.Status)
	calls := e.admission.calls()
	require.Len(t, calls, 3, "the job, then each update")
	assert.Contains(t, calls[1].Job.Task.Processes[0].Cmdline, "--refused")
	e.replay(workflows.JobWorkflowID(key), "job-update-refused")
}

// TestKilledJobLeavesNoContainers: the container an instance keeps for
// `task logs` goes when the instance is killed, and a killed job leaves no
// container behind.
func TestKilledJobLeavesNoContainers(t *testing.T) {
	e := newEnv(t)
	j := e.job("gone", 2, true)
	e.create(j)
	key := j.Key()
	first := e.running(key, 0)
	e.running(key, 1)

	// A restart leaves instance 0 an ended task whose container is kept.
	var res workflows.OpResult
	require.NoError(t, e.update(key, workflows.UpdateRestart, workflows.RestartRequest{Instances: []int{0}, BatchSize: 1}, &res))
	second := e.running(key, 0, first.TaskID)
	assert.Contains(t, e.containers(key), first.TaskID, "kept for task logs while the instance lives")

	// Kill instance 1: once the kill is answered its containers are gone.
	require.NoError(t, e.update(key, workflows.UpdateKill, workflows.KillRequest{Instances: []int{1}}, &res))
	assert.Empty(t, res.Failed)
	for _, id := range e.containers(key) {
		assert.NotContains(t, id, "-gone-1-", "instance 1's containers are removed")
	}

	require.NoError(t, e.update(key, workflows.UpdateKillAll, nil, &res))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 2; i++ {
		var st workflows.InstanceStatus
		require.NoError(t, e.c.GetWorkflow(ctx, workflows.InstanceWorkflowID(key, i), "").Get(ctx, &st))
		n := len(st.Inactive)
		require.Positive(t, n)
		assert.Equal(t, workflows.StatusKilled, st.Inactive[n-1].Status)
		assert.NotEmpty(t, st.Inactive[n-1].ContainerID, "the record keeps the container's id")
	}
	assert.Empty(t, e.containers(key), "no container outlives a killed job")
	assert.NotContains(t, e.containers(key), second.TaskID)
	e.replay(workflows.InstanceWorkflowID(key, 0), "instance-restarted-killed")
}
