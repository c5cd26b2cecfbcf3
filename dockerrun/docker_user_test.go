package dockerrun

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/runner"
)

// statusLoop is a task that writes its own /proc/self/status into its
// sandbox, then runs until stopped.
const statusLoop = `cat /proc/self/status > status.tmp && mv status.tmp status; while true; do sleep 1; done`

// procStatus reads the fields of a /proc/<pid>/status text.
func procStatus(t *testing.T, text string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	require.Contains(t, fields, "Uid", "a /proc/self/status: %q", text)
	return fields
}

// taskStatus waits for the status file a statusLoop task writes and reads it.
func taskStatus(t *testing.T, task *Task) map[string]string {
	t.Helper()
	path := filepath.Join(task.Sandbox, "status")
	poll.Until(t, 30*time.Second, "the task wrote its status", func() (bool, string) {
		_, err := os.Stat(path)
		return err == nil, fmt.Sprint(err)
	})
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return procStatus(t, string(data))
}

// execStatus reads /proc/self/status of a process Exec runs in the task.
func execStatus(t *testing.T, d *Docker, taskID string) map[string]string {
	t.Helper()
	code, out, err := d.Exec(testContext(t), taskID, []string{"cat", "/proc/self/status"})
	require.NoError(t, err)
	require.Equal(t, 0, code, out)
	return procStatus(t, out)
}

// assertRunsAs checks a process status: uid and gid (real, effective,
// saved, fs), supplementary groups, no capabilities at all.
func assertRunsAs(t *testing.T, st map[string]string, uid, gid int, groups ...int) {
	t.Helper()
	u, g := strconv.Itoa(uid), strconv.Itoa(gid)
	assert.Equal(t, strings.Join([]string{u, u, u, u}, " "), st["Uid"])
	assert.Equal(t, strings.Join([]string{g, g, g, g}, " "), st["Gid"])
	for _, grp := range groups {
		assert.Contains(t, strings.Fields(st["Groups"]), strconv.Itoa(grp), "supplementary groups %q", st["Groups"])
	}
	assert.Equal(t, "0000000000000000", st["CapEff"])
	assert.Equal(t, "0000000000000000", st["CapPrm"])
	assert.Equal(t, "1", st["NoNewPrivs"])
}

// fileInfo returns the mode, uid and gid of a file.
func fileInfo(t *testing.T, path string) (os.FileMode, int, int) {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	return fi.Mode(), int(st.Uid), int(st.Gid)
}

// TestDockerTaskUser: by default a task runs as 65534:65534 (nobody), with
// no capabilities; exec'd commands too; the sandbox is usable by it.
func TestDockerTaskUser(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	spec := taskSpec(newJob(t, h), 0, statusLoop)
	task := startTask(t, d, spec)

	assertRunsAs(t, taskStatus(t, task), DefaultTaskID, DefaultTaskID)
	assertRunsAs(t, execStatus(t, d, spec.TaskID), DefaultTaskID, DefaultTaskID)
	c, err := rawClient(t).ContainerInspect(testContext(t), task.ContainerID)
	require.NoError(t, err)
	assert.Equal(t, "65534:65534", c.Config.User)

	specFile := filepath.Join(task.Sandbox, filepath.FromSlash(runner.SpecFile))
	if os.Geteuid() == 0 {
		// A root worker gives the sandbox to the task.
		for _, dir := range []string{task.Sandbox, filepath.Dir(specFile)} {
			mode, uid, gid := fileInfo(t, dir)
			assert.Equal(t, os.ModeDir|0o750, mode, dir)
			assert.Equal(t, []int{DefaultTaskID, DefaultTaskID}, []int{uid, gid}, dir)
		}
		mode, uid, gid := fileInfo(t, specFile)
		assert.Equal(t, os.FileMode(0o640), mode)
		assert.Equal(t, []int{DefaultTaskID, DefaultTaskID}, []int{uid, gid})
		assert.Empty(t, c.HostConfig.GroupAdd)
	} else {
		assertSharedSandbox(t, task, os.Getegid())
		assert.Equal(t, []string{strconv.Itoa(os.Getegid())}, []string(c.HostConfig.GroupAdd))
	}
}

// assertSharedSandbox checks the sandbox of a worker that is not root: the
// worker's, group gid, setgid and group-writable; the spec group-readable.
func assertSharedSandbox(t *testing.T, task *Task, gid int) {
	t.Helper()
	specFile := filepath.Join(task.Sandbox, filepath.FromSlash(runner.SpecFile))
	for _, dir := range []string{task.Sandbox, filepath.Dir(specFile)} {
		mode, uid, g := fileInfo(t, dir)
		assert.Equal(t, os.ModeDir|os.ModeSetgid|0o770, mode, dir)
		assert.Equal(t, []int{os.Geteuid(), gid}, []int{uid, g}, dir)
	}
	mode, uid, g := fileInfo(t, specFile)
	assert.Equal(t, os.FileMode(0o640), mode)
	assert.Equal(t, []int{os.Geteuid(), gid}, []int{uid, g})
}

// TestDockerTaskUserConfigured: Options.TaskUID/TaskGID and TaskSpec.User
// choose the user; root needs RootTasks.
func TestDockerTaskUserConfigured(t *testing.T) {
	t.Parallel()
	d := newDockerRuntimeWith(t, Options{TaskUID: 1234, TaskGID: 2345})
	h := dockerHarness(t, d)
	job := newJob(t, h)

	task := startTask(t, d, taskSpec(job, 0, statusLoop))
	assertRunsAs(t, taskStatus(t, task), 1234, 2345)
	assertRunsAs(t, execStatus(t, d, task.TaskID), 1234, 2345)

	spec := taskSpec(job, 1, statusLoop)
	spec.User = "4321"
	task = startTask(t, d, spec)
	assertRunsAs(t, taskStatus(t, task), 4321, 2345)
	spec = taskSpec(job, 2, statusLoop)
	spec.User = "4321:4322"
	task = startTask(t, d, spec)
	assertRunsAs(t, taskStatus(t, task), 4321, 4322)
	assertRunsAs(t, execStatus(t, d, task.TaskID), 4321, 4322)

	for _, user := range []string{"0", "0:0", "1000:0"} {
		spec := taskSpec(job, 3, statusLoop)
		spec.User = user
		_, err := d.Start(testContext(t), spec)
		assert.ErrorIs(t, err, ErrInvalid, "user %s", user)
	}
	_, err := New(testContext(t), Options{DataDir: t.TempDir(), RunnerPath: testRunnerPath, TaskUID: -1})
	assert.ErrorIs(t, err, ErrInvalid)
}

// TestDockerTaskUserNonRootWorker: a worker that is not root keeps the
// sandbox, shares it through its group (setgid, group-writable) and gives
// the task that group as a supplementary one, exec'd commands too.
func TestDockerTaskUserNonRootWorker(t *testing.T) {
	t.Parallel()
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	gid := os.Getegid()
	if os.Geteuid() == 0 {
		// Act as a worker whose group is 4242 (root may give it away).
		gid = 4242
		d.worker = workerIdentity{root: false, gid: gid}
	}
	spec := taskSpec(newJob(t, h), 0, statusLoop+` & echo made > by-task; mkdir dir-by-task; wait`)
	task := startTask(t, d, spec)

	assertRunsAs(t, taskStatus(t, task), DefaultTaskID, DefaultTaskID, gid)
	assertRunsAs(t, execStatus(t, d, spec.TaskID), DefaultTaskID, DefaultTaskID, gid)
	assertSharedSandbox(t, task, gid)
	c, err := rawClient(t).ContainerInspect(testContext(t), task.ContainerID)
	require.NoError(t, err)
	assert.Equal(t, []string{strconv.Itoa(gid)}, []string(c.HostConfig.GroupAdd))

	// What the task makes keeps the worker's group, so the worker reads
	// and sweeps it.
	poll.Until(t, 30*time.Second, "the task made its dir", func() (bool, string) {
		_, err := os.Stat(filepath.Join(task.Sandbox, "dir-by-task"))
		return err == nil, fmt.Sprint(err)
	})
	for _, p := range []string{"by-task", "dir-by-task", "status", runner.LogDir, runner.StateFile} {
		mode, uid, g := fileInfo(t, filepath.Join(task.Sandbox, filepath.FromSlash(p)))
		assert.Equal(t, []int{DefaultTaskID, gid}, []int{uid, g}, p)
		if mode.IsDir() {
			assert.NotZero(t, mode&os.ModeSetgid, "%s inherits setgid", p)
		}
	}
	code, out, err := d.Exec(testContext(t), spec.TaskID, []string{"sh", "-c", "echo x > by-exec && id -G"})
	require.NoError(t, err)
	require.Equal(t, 0, code, out)
	assert.Contains(t, strings.Fields(out), strconv.Itoa(gid))
	_, _, g := fileInfo(t, filepath.Join(task.Sandbox, "by-exec"))
	assert.Equal(t, gid, g)
}

// TestDockerLogConfig: the container's Docker log is a capped json-file.
func TestDockerLogConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts       Options
		size, file string
	}{
		{Options{}, "10485760", "3"},
		{Options{LogMaxBytes: 1 << 20, LogMaxFiles: 2}, "1048576", "2"},
	} {
		d := newDockerRuntimeWith(t, tc.opts)
		h := dockerHarness(t, d)
		task := startTask(t, d, sleeperSpec(newJob(t, h), 0))
		c, err := rawClient(t).ContainerInspect(testContext(t), task.ContainerID)
		require.NoError(t, err)
		assert.Equal(t, "json-file", c.HostConfig.LogConfig.Type)
		assert.Equal(t, map[string]string{"max-size": tc.size, "max-file": tc.file}, c.HostConfig.LogConfig.Config)
	}
}

// TestDockerMountsWorkDirHostLabel: bind mounts, the working directory and
// the host label reach the container; the runner still runs in the sandbox.
func TestDockerMountsWorkDirHostLabel(t *testing.T) {
	t.Parallel()
	d := newDockerRuntimeWith(t, Options{HostName: "host-1"})
	h := dockerHarness(t, d)
	data := t.TempDir()
	require.NoError(t, os.Chmod(data, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "hello"), []byte("hello from the host\n"), 0o644))
	spec := taskSpec(newJob(t, h), 0, `cat /data/hello; pwd; touch /data/nope || echo read-only; while true; do sleep 1; done`)
	spec.Mounts = []Mount{{HostPath: data, ContainerPath: "/data/", ReadOnly: true}}
	spec.WorkDir = "/tmp"
	task := startTask(t, d, spec)
	waitForLogs(t, d, spec.TaskID, "read-only\n")
	logs, _ := readLogs(t, d, spec.TaskID, LogCursor{})
	assert.Equal(t, "hello from the host\n"+SandboxMountPath+"\nread-only\n",
		linesWithPrefix(logs, "hello")+linesWithPrefix(logs, "/")+linesWithPrefix(logs, "read-only"))

	c, err := rawClient(t).ContainerInspect(testContext(t), task.ContainerID)
	require.NoError(t, err)
	assert.Equal(t, "/tmp", c.Config.WorkingDir)
	assert.Equal(t, "host-1", c.Config.Labels[LabelHost])
	assert.NotContains(t, c.Config.Labels, LabelDeployment)
	var found bool
	for _, m := range c.Mounts {
		if m.Destination == "/data" {
			found = true
			assert.Equal(t, data, m.Source)
			assert.False(t, m.RW)
		}
	}
	assert.True(t, found, "the bind mount is there: %+v", c.Mounts)
}

// TestDockerSavedLog: Remove saves the log with its timestamps and streams
// into ContainerLogFile, bounded by the log cap, newest entries kept.
func TestDockerSavedLog(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	const limit = 8 << 10
	d := newDockerRuntimeWith(t, Options{LogMaxBytes: limit, LogMaxFiles: 1})
	h := dockerHarness(t, d)
	spec := taskSpec(newJob(t, h), 0, `echo to-stderr >&2; i=0; while [ $i -lt 2000 ]; do echo line-$i; i=$((i+1)); done; echo last`)
	task := startTask(t, d, spec)
	_, err := d.Wait(ctx, spec.TaskID)
	require.NoError(t, err)
	require.NoError(t, d.Remove(ctx, spec.TaskID, RemoveOptions{}))

	path := filepath.Join(task.Sandbox, filepath.FromSlash(ContainerLogFile))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.LessOrEqual(t, fi.Size(), int64(limit))
	assert.Equal(t, os.FileMode(0o640), fi.Mode())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`)
	var lines []savedEntry
	for sc.Scan() {
		var e savedEntry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), "line %q", sc.Text())
		assert.Regexp(t, stamp, e.Time)
		assert.Contains(t, []string{"stdout", "stderr"}, e.Stream)
		lines = append(lines, e)
	}
	require.NoError(t, sc.Err())
	var stdout []string
	for _, e := range lines {
		if e.Stream == "stdout" {
			stdout = append(stdout, e.Log)
		}
	}
	require.GreaterOrEqual(t, len(stdout), 2)
	assert.Equal(t, []string{"line-1999\n", "last\n"}, stdout[len(stdout)-2:], "the newest entries are kept")
	assert.Less(t, len(stdout), 2000, "bounded: the oldest entries are gone")

	logs, _ := readLogs(t, d, spec.TaskID, LogCursor{})
	logs = linesWithPrefix(logs, "")
	assert.True(t, strings.HasSuffix(logs, "line-1999\nlast\n"), "the newest entries are read back: %q", logs[max(0, len(logs)-100):])
}

// TestDockerSavedLogStreams: a removed task's saved log keeps stderr apart.
func TestDockerSavedLogStreams(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	d := newDockerRuntime(t)
	h := dockerHarness(t, d)
	spec := taskSpec(newJob(t, h), 0, `echo out; echo err >&2`)
	task := startTask(t, d, spec)
	_, err := d.Wait(ctx, spec.TaskID)
	require.NoError(t, err)
	require.NoError(t, d.Remove(ctx, spec.TaskID, RemoveOptions{}))
	data, err := os.ReadFile(filepath.Join(task.Sandbox, filepath.FromSlash(ContainerLogFile)))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"stream":"stdout","log":"out\n"}`)
	assert.Contains(t, string(data), `"stream":"stderr","log":"err\n"}`)
}
