package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
)

const helloKey = "devcluster/www-data/prod/hello"

// run drives the real command tree and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

func example(name string) string {
	return filepath.Join("..", "..", "examples", "jobs", name)
}

func TestJobInspectHelloWorld(t *testing.T) {
	out, stderr, code := run(t, "job", "inspect", helloKey, example("hello_world.aurora"), "--write-json")
	require.Equal(t, ExitOK, code, stderr)

	var job config.Job
	require.NoError(t, json.Unmarshal([]byte(out), &job))
	assert.Equal(t, helloKey, job.Key())
	require.Len(t, job.Task.Processes, 1)
	assert.Equal(t, "hello", job.Task.Processes[0].Name)
	assert.Equal(t, 1.0, job.Task.Resources.CPU)
	assert.Equal(t, int64(134217728), job.Task.Resources.RAM)
	assert.Equal(t, int64(134217728), job.Task.Resources.Disk)
	assert.True(t, job.Service)
	assert.Equal(t, config.DefaultHealthCheckConfig(), job.HealthCheckConfig)
	assert.Equal(t, config.DefaultUpdateConfig(), job.UpdateConfig)

	yamlOut, stderr, code := run(t, "job", "inspect", helloKey, example("hello_world.yaml"), "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	var fromYAML config.Job
	require.NoError(t, json.Unmarshal([]byte(yamlOut), &fromYAML))
	// The two files indent the command line differently; the shell does not care.
	assert.Equal(t, dedent(job.Task.Processes[0].Cmdline), dedent(fromYAML.Task.Processes[0].Cmdline))
	fromYAML.Task.Processes[0].Cmdline = job.Task.Processes[0].Cmdline
	assert.Equal(t, job, fromYAML, "the .aurora and .yaml forms of hello_world resolve to the same job")
}

func TestJobInspectText(t *testing.T) {
	out, stderr, code := run(t, "job", "inspect", helloKey, example("hello_world.aurora"))
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, out, "Process 'hello':\n  cmdline:\n    while true; do\n      echo hello world\n")
	assert.Contains(t, out, "service:    True")
	assert.Contains(t, out, "resources: cpu 1, ram 134217728 bytes")
}

func TestJobInspectBind(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`jobs:
- cluster: c
  role: r
  environment: '{{env}}'
  name: web
  task:
    processes: [{name: web, cmdline: 'serve --env {{environment}} --port {{thermos.ports[http]}}'}]
    resources: {cpu: 0.5, ram: 64MB, disk: 64MB}
`), 0o644))
	out, stderr, code := run(t, "job", "inspect", "c/r/staging/web", path, "--bind", "env=staging", "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, out, `serve --env staging --port {{thermos.ports[http]}}`)

	_, stderr, code = run(t, "job", "inspect", "c/r/staging/web", path)
	assert.Equal(t, ExitInvalidConfig, code)
	assert.Contains(t, stderr, "{{env}}")

	_, stderr, code = run(t, "job", "inspect", "c/r/staging/web", path, "--bind", "novalue")
	assert.Equal(t, ExitInvalidParameter, code)
	assert.Contains(t, stderr, "--bind")
}

func TestJobInspectErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	cases := []struct {
		name, file, body, key, want string
		code                        int
	}{
		{"syntax", "s.aurora", "jobs = [\n", "c/r/e/n", "s.aurora:", ExitInvalidConfig},
		{"unknown field", "u.yaml", "jobs:\n- cluster: c\n  role: r\n  environment: e\n  bogus: 1\n", "c/r/e/n", "jobs[0].bogus", ExitInvalidConfig},
		{"bad value", "b.yaml", "jobs:\n- {cluster: c, role: r, environment: e, update_config: {batch_size: 0}, task: {processes: [{name: n, cmdline: x}], resources: {cpu: 1, ram: 1MB, disk: 1MB}}}\n", "c/r/e/n", "jobs[0].update_config.batch_size: must be > 0", ExitInvalidConfig},
		{"missing job", "m.yaml", "jobs:\n- {cluster: c, role: r, environment: e, task: {processes: [{name: n, cmdline: x}], resources: {cpu: 1, ram: 1MB, disk: 1MB}}}\n", "c/r/e/other", "c/r/e/n", ExitInvalidConfig},
		{"bad key", "k.yaml", "jobs: []\n", "not-a-key", "job key", ExitInvalidParameter},
		{"no such file", "", "", "c/r/e/n", "missing.aurora", ExitInvalidConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "missing.aurora")
			if tc.file != "" {
				path = write(tc.file, tc.body)
			}
			_, stderr, code := run(t, "job", "inspect", tc.key, path)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.want)
		})
	}
}

func TestInvalidCommands(t *testing.T) {
	for _, args := range [][]string{
		{"frob"},
		{"job", "frob"},
		{"job", "inspect"},
		{"job", "inspect", "--no-such-flag"},
	} {
		_, _, code := run(t, args...)
		assert.Equal(t, ExitInvalidCommand, code, args)
	}
}

// configShow runs config show --write-json with args and returns each
// setting as "value (source)".
func configShow(t *testing.T, args ...string) map[string]string {
	t.Helper()
	out, stderr, code := run(t, append([]string{"config", "show", "--write-json"}, args...)...)
	require.Equal(t, ExitOK, code, stderr)
	var entries []struct{ Key, Value, Source string }
	require.NoError(t, json.Unmarshal([]byte(out), &entries))
	got := map[string]string{}
	for _, e := range entries {
		got[e.Key] = e.Value + " (" + e.Source + ")"
	}
	return got
}

func TestConfigShow(t *testing.T) {
	t.Setenv("BOREALIS_TEMPORAL_NAMESPACE", "staging")
	got := configShow(t, "--temporal-task-queue", "q1")
	assert.Equal(t, "staging (env)", got["temporal.namespace"])
	assert.Equal(t, "q1 (flag)", got["temporal.task_queue"])
	assert.Equal(t, "localhost:7233 (default)", got["temporal.address"])

	_, stderr, code := run(t, "config", "show", "--ports-range", "9-1")
	assert.Equal(t, ExitInvalidParameter, code)
	assert.Contains(t, stderr, "ports.range")
}
