package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pickSrc has a good job and one Borealis refuses (an appc image, bound
// only by the command that runs it), as Aurora's own e2e configs do.
const pickSrc = `
task = Task(name = 't', processes = [Process(name = 'p', cmdline = 'sleep 1')],
  resources = Resources(cpu = 0.1, ram = MB, disk = MB))
base = Job(cluster = 'c', role = 'r', environment = 'prod', task = task)
jobs = [
  base(name = 'docker'),
  base(name = 'appc', container = Mesos(image = AppcImage(name = 'img', image_id = '{{appc_image_id}}'))),
]
`

// TestLoadPicksOneJob: with LoadOptions.Job, the other jobs' problems do
// not fail the load, as Aurora's client validates only the job it picked.
func TestLoadPicksOneJob(t *testing.T) {
	_, err := LoadBytes("pick.aurora", []byte(pickSrc), LoadOptions{})
	require.Error(t, err, "without a key every job counts")

	jobs, err := LoadBytes("pick.aurora", []byte(pickSrc), LoadOptions{Job: "c/r/prod/docker"})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	assert.Equal(t, "c/r/prod/docker", jobs[0].Key())

	_, err = LoadBytes("pick.aurora", []byte(pickSrc), LoadOptions{Job: "c/r/prod/appc"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[1].container.mesos.image.appc.image_id: unbound template reference {{appc_image_id}}")
	assert.Contains(t, err.Error(), "appc images are not supported")
	assert.NotContains(t, err.Error(), "jobs[0]")

	_, err = LoadBytes("pick.aurora", []byte(pickSrc), LoadOptions{Job: "c/r/prod/none"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[1]", "a key no job has reports every problem")
}

// TestLoadPickKeepsDuplicates: a picked key two jobs share is an error.
func TestLoadPickKeepsDuplicates(t *testing.T) {
	src := pickSrc + "jobs = [base(name = 'twice'), base(name = 'twice')]\n"
	_, err := LoadBytes("dup.aurora", []byte(src), LoadOptions{Job: "c/r/prod/twice"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[1]: duplicate job key c/r/prod/twice (also jobs[0])")

	_, err = LoadBytes("ok.aurora", []byte(pickSrc+"jobs = [base(name = 'a')]\n"), LoadOptions{Job: "c/r/prod/b"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "job c/r/prod/b not found; the config defines: c/r/prod/a")
}
