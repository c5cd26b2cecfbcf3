package activities

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/taskapi"
)

// namedRuntime is a Fake that reports Options, as the Docker runtime does.
type namedRuntime struct {
	*dockerrun.Fake
	opts dockerrun.Options
}

func (r namedRuntime) Options() dockerrun.Options { return r.opts }

func TestStartTaskFillsHostname(t *testing.T) {
	t.Setenv(SecretEnvName("tpl"), "{{mesos.hostname}}")
	job := testJob()
	job.Task.Processes[0].Cmdline = "echo {{mesos.hostname}} {{mesos.instance}} {{ mesos.hostname }} {{secret[tpl]}}"
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: namedRuntime{Fake: fake, opts: dockerrun.Options{HostName: "node-7.example", Host: "10.0.0.7"}}}
	_, err := newEnv(t, acts).ExecuteActivity(acts.StartTask,
		taskapi.StartTaskInput{JobKey: testJobKey, Instance: 1, TaskID: "t-host", Job: job})
	require.NoError(t, err)
	rs, ok := fake.RunnerSpec("t-host")
	require.True(t, ok)
	assert.Equal(t, "echo node-7.example 1 node-7.example {{mesos.hostname}}", rs.Processes[0].Cmdline,
		"the host's name is filled, a secret's value is not templated")
}

func TestTaskHostName(t *testing.T) {
	fake := dockerrun.NewFake()
	assert.Equal(t, "node-7", taskHostName(&Activities{Runtime: namedRuntime{fake, dockerrun.Options{HostName: "node-7", Host: "10.0.0.7"}}}))
	machine, err := os.Hostname()
	if err != nil || machine == "" {
		machine = "10.0.0.7"
	}
	assert.Equal(t, machine, taskHostName(&Activities{Runtime: namedRuntime{fake, dockerrun.Options{Host: "10.0.0.7"}}}),
		"no host.name: the machine's hostname")
	if err == nil && machine != "" {
		assert.Equal(t, machine, taskHostName(&Activities{Runtime: fake}), "a runtime without options: the machine's hostname")
	}
}

func TestShellHealthCheckFillsHostname(t *testing.T) {
	acts := &Activities{Runtime: namedRuntime{dockerrun.NewFake(), dockerrun.Options{HostName: "node-7"}}}
	c, err := checkerFor(acts, taskapi.WatchHealthInput{TaskID: "t-1", Check: taskapi.HealthCheckSpec{
		Kind: taskapi.CheckShell, ShellCommand: "curl -f http://{{mesos.hostname}}:31001/health"}})
	require.NoError(t, err)
	sc, ok := c.(*health.ShellChecker)
	require.True(t, ok)
	assert.Equal(t, "curl -f http://node-7:31001/health", sc.Command)
}

// The image of {{docker.image[NAME][TAG]}} is NAME:TAG, and a host without
// it fails the task with a reason naming it.
func TestStartTaskDockerImageTemplate(t *testing.T) {
	jobs, err := config.LoadBytes("web.aurora", []byte(`
jobs = [Service(cluster='devcluster', role='www-data', environment='prod', name='web',
  container=Docker(image='{{docker.image[web][1.2]}}'),
  task=Task(processes=[Process(name='p', cmdline='echo {{thermos.user}} on {{mesos.hostname}}')],
    resources=Resources(cpu=1, ram=16*MB, disk=16*MB)))]
`), config.LoadOptions{})
	require.NoError(t, err)
	job := *jobs[0]
	require.Equal(t, "web:1.2", job.Container.Docker.Image)
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: namedRuntime{fake, dockerrun.Options{HostName: "node-7"}}}
	_, err = newEnv(t, acts).ExecuteActivity(acts.StartTask,
		taskapi.StartTaskInput{JobKey: job.Key(), TaskID: "t-img", Job: job})
	ae := appError(t, err)
	assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Error(), `image "web:1.2" not found locally`)
}
