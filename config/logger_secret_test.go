package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jobWith is an .aurora file with one job whose single process is p and
// whose Docker container has the given parameters (Python list text).
func jobWith(p, params string) string {
	return "p = " + p + "\n" +
		"jobs = [Job(cluster = 'c', role = 'r', environment = 'prod', name = 'n',\n" +
		"  container = Docker(image = 'i', parameters = " + params + "),\n" +
		"  task = Task(processes = [p], resources = Resources(cpu = 1, ram = 64*MB, disk = 64*MB)))]\n"
}

func TestLoggerRotation(t *testing.T) {
	for _, tc := range []struct {
		name, process string
		want          *RotatePolicy
	}{
		{"no logger rotates by default", "Process(name = 'a', cmdline = 'x')", &DefaultRotatePolicy},
		{"standard keeps whole files", "Process(name = 'a', cmdline = 'x', logger = Logger())", nil},
		{"rotate with Aurora's sizes", "Process(name = 'a', cmdline = 'x', logger = Logger(mode = 'rotate'))", &DefaultRotatePolicy},
		{"rotate with own sizes", "Process(name = 'a', cmdline = 'x', logger = Logger(mode = 'rotate', rotate = RotatePolicy(log_size = 4*MB, backups = 2)))",
			&RotatePolicy{LogSize: 4 << 20, Backups: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := mustLoad(t, "job.aurora", jobWith(tc.process, "[]"))
			assert.Equal(t, tc.want, jobs[0].Task.Processes[0].Rotation())
		})
	}
}

func TestLoggerYAML(t *testing.T) {
	src := `jobs:
- cluster: c
  role: r
  environment: prod
  name: n
  task:
    processes:
    - name: a
      cmdline: x
      logger: {mode: rotate, rotate: {log_size: 1MB, backups: 3}}
    resources: {cpu: 1, ram: 64MB, disk: 64MB}
`
	jobs := mustLoad(t, "job.yaml", src)
	assert.Equal(t, &RotatePolicy{LogSize: 1 << 20, Backups: 3}, jobs[0].Task.Processes[0].Rotation())
}

func TestLoggerValidation(t *testing.T) {
	_, err := load(t, "job.aurora", jobWith(
		"Process(name = 'a', cmdline = 'x', logger = Logger(destination = 'syslog', mode = 'tee', rotate = RotatePolicy(log_size = 10, backups = 1000)))", "[]"), nil)
	require.Error(t, err)
	for _, want := range []string{
		"processes[0].logger.destination: must be file, console or both",
		"processes[0].logger.mode: must be standard or rotate",
		"processes[0].logger.rotate.log_size: must be 1 KiB to 1 TiB",
		"processes[0].logger.rotate.backups:",
		"processes[0].logger.rotate: is set but mode is \"tee\"",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestSecretReferences(t *testing.T) {
	jobs := mustLoad(t, "job.aurora", jobWith("Process(name = 'a', cmdline = 'run --password={{secret[db_pass]}} {{ secret[db_pass] }} {{secret[api.key]}}')",
		"[Parameter(name = 'env', value = 'TOKEN={{secret[token]}}')]"))
	cmd := jobs[0].Task.Processes[0].Cmdline
	assert.Equal(t, "run --password={{secret[db_pass]}} {{ secret[db_pass] }} {{secret[api.key]}}", cmd, "secrets stay references after loading")
	assert.Equal(t, []string{"db_pass", "api.key"}, SecretRefs(cmd))
	assert.Equal(t, "TOKEN={{secret[token]}}", jobs[0].Container.Docker.Parameters[0].Value)
	assert.Equal(t, "run --password=s3 s3 {{secret[api.key]}}", FillSecrets(cmd, map[string]string{"db_pass": "s3"}))

	_, err := load(t, "job.aurora", jobWith("Process(name = 'a', cmdline = 'x')", "[]")+
		"jobs[0] = jobs[0](contact = '{{secret[db_pass]}}')\n", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[0].contact: {{secret[db_pass]}}: secrets are filled only in process cmdlines and Docker parameter values")

	_, err = load(t, "job.aurora", jobWith("Process(name = 'a', cmdline = 'x {{secret[../etc/passwd]}}')", "[]"), nil)
	require.Error(t, err, "a secret name with a path is no secret reference")
}
