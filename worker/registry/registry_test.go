package registry

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
)

// activityRegistry registers Register's activities in an activity test
// environment and drops its workflows.
type activityRegistry struct {
	worker.Registry // not called: the methods below are all Register uses
	env             *testsuite.TestActivityEnvironment
}

func (r activityRegistry) RegisterWorkflowWithOptions(any, workflow.RegisterOptions) {}
func (r activityRegistry) RegisterActivity(a any)                                    { r.env.RegisterActivity(a) }
func (r activityRegistry) RegisterActivityWithOptions(a any, o activity.RegisterOptions) {
	r.env.RegisterActivityWithOptions(a, o)
}

// TestAdmitJobRegistered: workflows call AdmitJob by taskapi's name, and the
// worker's Policy decides.
func TestAdmitJobRegistered(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	pol := activities.DefaultPolicy()
	pol.MaxInstances = 2
	Register(activityRegistry{env: env}, &activities.Activities{Runtime: dockerrun.NewFake(), Policy: &pol}, nil)

	job := config.DefaultJob()
	job.Cluster, job.Role, job.Environment, job.Name = "c", "r", "e", "n"
	task := config.DefaultTask()
	p := config.DefaultProcess()
	p.Name, p.Cmdline = "main", "true"
	task.Name, task.Processes = "main", []config.Process{p}
	task.Resources = &config.Resources{CPU: 1, RAM: 64 << 20, Disk: 64 << 20}
	job.Task = &task

	val, err := env.ExecuteActivity(taskapi.AdmitJob, taskapi.AdmitJobInput{JobKey: "c/r/e/n", Job: job})
	require.NoError(t, err)
	var res taskapi.AdmitJobResult
	require.NoError(t, val.Get(&res))
	assert.Equal(t, 2, res.MaxInstances)

	job.Instances = 3
	_, err = env.ExecuteActivity(taskapi.AdmitJob, taskapi.AdmitJobInput{JobKey: "c/r/e/n", Job: job})
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v", err)
	assert.Equal(t, taskapi.ErrTypeRefused, ae.Type())
	assert.Contains(t, ae.Error(), "job.instances: 3 is more than jobs.max_instances allows on this worker (2)")
}
