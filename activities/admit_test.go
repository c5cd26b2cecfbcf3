package activities

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/taskapi"
)

func admit(t *testing.T, acts *Activities, in taskapi.AdmitJobInput) (taskapi.AdmitJobResult, error) {
	t.Helper()
	val, err := newEnv(t, acts).ExecuteActivity(acts.AdmitJob, in)
	if err != nil {
		return taskapi.AdmitJobResult{}, err
	}
	var res taskapi.AdmitJobResult
	require.NoError(t, val.Get(&res))
	return res, nil
}

func TestAdmitJob(t *testing.T) {
	secrets := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(secrets, "here"), []byte("v"), 0o600))
	t.Setenv("BOREALIS_SECRET_IN_ENV", "v")
	acts := &Activities{Runtime: dockerrun.NewFake(), SecretsDir: secrets}

	res, err := admit(t, acts, taskapi.AdmitJobInput{JobKey: testJobKey, Job: testJob()})
	require.NoError(t, err)
	assert.Equal(t, taskapi.AdmitJobResult{MaxInstances: 10000}, res)

	job := withParams("", "env", "A={{secret[here]}}", "env", "B={{secret[in_env]}}", "label", "x={{secret[here]}}")
	job.Task.Processes[0].Cmdline = "run {{secret[missing]}}"
	res, err = admit(t, acts, taskapi.AdmitJobInput{JobKey: testJobKey, Job: job})
	require.NoError(t, err)
	assert.Equal(t, []string{
		`{{secret[missing]}}: secret "missing" not found on this worker: no file ` + filepath.Join(secrets, "missing") +
			" and no environment variable BOREALIS_SECRET_MISSING; its tasks fail to start until it is there",
		"job.container.docker.parameters[2] (label): {{secret[...]}} is not filled here, only in process cmdlines and env parameters",
	}, res.Warnings)
	for _, w := range res.Warnings {
		assert.NotContains(t, w, "=v", "no value in a warning")
	}
}

func TestAdmitJobRefused(t *testing.T) {
	pol := DefaultPolicy()
	pol.MaxInstances = 5
	acts := &Activities{Runtime: dockerrun.NewFake(), Policy: &pol}

	job := withParams("", "env", "A=1", "privileged", "true", "volume", "/var/run/docker.sock:/var/run/docker.sock", "user", "0")
	job.Instances = 6
	job.Task.Resources.RAM = 0
	_, err := admit(t, acts, taskapi.AdmitJobInput{JobKey: "devcluster/www-data/prod/other", Job: job})
	ae := appError(t, err)
	assert.Equal(t, taskapi.ErrTypeRefused, ae.Type())
	assert.True(t, ae.NonRetryable())
	lines := strings.Split(ae.Message(), "\n")
	assert.Equal(t, []string{
		`job key "devcluster/www-data/prod/other" does not match the job's cluster/role/environment/name "devcluster/www-data/prod/hello"`,
		lines[1], // the model's own wording for ram
		"job.container.docker.parameters[1] (privileged): refused: Borealis does not support this Docker parameter, whatever docker.allowed_parameters says (supported: cap-add, env, label, user, volume, workdir)",
		"job.container.docker.parameters[2] (volume): refused: host path /var/run/docker.sock: volumes.allowed_host_paths is empty on this worker, so no volume is allowed",
		`job.container.docker.parameters[3] (user): refused: "0" runs the task as root, which this worker does not allow (tasks.uid and tasks.gid are not 0)`,
		"job.instances: 6 is more than jobs.max_instances allows on this worker (5)",
	}, lines, "every problem, one per line")
	assert.True(t, strings.HasPrefix(lines[1], "job.task.resources.ram: "), lines[1])

	_, err = admit(t, acts, taskapi.AdmitJobInput{JobKey: "not/a/key", Job: testJob()})
	assert.Contains(t, appError(t, err).Message(), `job key "not/a/key": want CLUSTER/ROLE/ENV/NAME`)
}
