package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFiles writes name → content under dir, making directories.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// loadErr loads path and returns its error's text, failing if it loads.
func loadErr(t *testing.T, path string) string {
	t.Helper()
	_, err := Load(path, LoadOptions{})
	require.Error(t, err)
	return err.Error()
}

const includedTask = `
hello = Process(name = 'hello', cmdline = 'echo {{greeting}}')
TASK = Task(name = 'hello', processes = [hello], resources = Resources(cpu = 0.1, ram = MB, disk = MB))
`

const includedJobs = `
jobs = [Job(cluster = 'c', role = 'r', environment = 'prod', name = 'hello', task = TASK).bind(greeting = GREETING)]
`

// TestIncludeCorpus loads the corpus's include example: a profile, a
// process and a task from a file in a subdirectory.
func TestIncludeCorpus(t *testing.T) {
	jobs, err := Load(filepath.Join(schemaTestdata, "include_hello.aurora"), LoadOptions{})
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	assert.Equal(t, "devcluster/www-data/prod/hello", jobs[0].Key())
	assert.Equal(t, 2, jobs[0].Instances)
	assert.Equal(t, "while true; do echo hello; sleep 10; done", jobs[0].Task.Processes[0].Cmdline)
	assert.Equal(t, 1, jobs[1].Instances)
	assert.Equal(t, "while true; do echo hi; sleep 10; done", jobs[1].Task.Processes[0].Cmdline)
}

// TestIncludeBindsNamesInOrder: the included names are bound where the
// include stands, so a later assignment wins and an earlier one loses, as
// in Python's exec; nested includes are relative to their own file, and
// their names reach the top file too.
func TestIncludeBindsNamesInOrder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.aurora": `GREETING = 'overwritten by the include'
include('lib/task.aurora')
GREETING = 'hello from main'
` + includedJobs,
		"lib/task.aurora":         "include('greeting.aurora')\n" + includedTask,
		"lib/greeting.aurora":     "GREETING = 'hello from lib'\n",
		"jobs_only_in_lib.aurora": "include('lib/task.aurora')\n" + "include('lib/jobs.aurora')\n",
		"lib/jobs.aurora":         "include('task.aurora')\n" + includedJobs,
	})
	jobs, err := Load(filepath.Join(dir, "main.aurora"), LoadOptions{})
	require.NoError(t, err)
	assert.Equal(t, "echo hello from main", jobs[0].Task.Processes[0].Cmdline)

	// jobs may come from an included file; a file included twice runs once.
	jobs, err = Load(filepath.Join(dir, "jobs_only_in_lib.aurora"), LoadOptions{})
	require.NoError(t, err)
	assert.Equal(t, "echo hello from lib", jobs[0].Task.Processes[0].Cmdline)
}

// TestIncludeRefusals: each include that cannot be honoured is an error
// naming the file and line of the include, or of the problem in the
// included file.
func TestIncludeRefusals(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.aurora": "GREETING = 'x'\n"})
	writeFiles(t, dir, map[string]string{
		"sub/a.aurora":         "include('b.aurora')\n",
		"sub/b.aurora":         "include('a.aurora')\n",
		"sub/broken.aurora":    "x = 1\ny = (\n",
		"sub/undefined.aurora": "\n\nz = GREETING\n",
		"sub/private.aurora":   "_hidden = 1\n",
		"sub/deep.aurora":      "include('deep.aurora')\n",
	})
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.aurora"), filepath.Join(dir, "sub", "link.aurora")))
	tests := []struct{ name, src, want string }{
		{"absolute", "include('/etc/passwd')\n", `main.aurora:1:1: include("/etc/passwd"): the path must be relative to the including file's directory`},
		{"parent", "\ninclude('../x.aurora')\n", `main.aurora:2:1: include("../x.aurora"): the file is outside the including file's directory`},
		{"symlink out", "include('link.aurora')\n", `include("link.aurora"): the file is outside the including file's directory`},
		{"missing", "include('nope.aurora')\n", `main.aurora:1:1: include("nope.aurora"): cannot read config: no such file or directory`},
		{"cycle", "include('a.aurora')\n", `sub/b.aurora:1:1: include("a.aurora"): includes itself`},
		{"not a literal", "NAME = 'a.aurora'\ninclude(NAME)\n", "main.aurora:2:1: include() takes one string literal, the path of the file to include"},
		{"two arguments", "include('a.aurora', 'b.aurora')\n", "main.aurora:1:1: include() takes one string literal"},
		{"inside a function", "def f():\n  include('a.aurora')\nf()\n", "main.aurora:2:10: include() must be a statement of its own at the top level of a file"},
		{"as a value", "x = include('a.aurora')\n", "main.aurora:1:12: include() must be a statement of its own"},
		{"syntax error in the included file", "include('broken.aurora')\n", "sub/broken.aurora:3:1: got end of file"},
		{"included file cannot see ours", "GREETING = 'x'\ninclude('undefined.aurora')\n", "sub/undefined.aurora:3:5: undefined: GREETING"},
		{"private names stay private", "include('private.aurora')\nx = _hidden\n", "main.aurora:2:5: undefined: _hidden"},
		{"load is refused", "load('private.aurora', 'y')\n", "load() is not supported in Aurora files: use include('other.aurora')"},
		{"itself", "include('deep.aurora')\n", `sub/deep.aurora:1:1: include("deep.aurora"): includes itself`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			main := filepath.Join(dir, "sub", "main.aurora")
			writeFiles(t, dir, map[string]string{"sub/main.aurora": tt.src})
			msg := loadErr(t, main)
			assert.Contains(t, msg, tt.want)
			assert.NotContains(t, msg, "no jobs", "a failed include stops the load")
		})
	}
}

// TestIncludeDepthAndCount bound includes: a chain deeper than
// maxIncludeDepth is refused, naming the limit.
func TestIncludeDepthAndCount(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i := 0; i <= maxIncludeDepth+1; i++ {
		files[filepath.Join(strings.Repeat("d/", i), "f.aurora")] = "include('d/f.aurora')\n"
	}
	writeFiles(t, dir, files)
	msg := loadErr(t, filepath.Join(dir, "f.aurora"))
	assert.Contains(t, msg, "includes nest deeper than 16 files")
}
