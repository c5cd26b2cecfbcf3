package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/borealis-dev/borealis/runner"
)

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode() & (fs.ModePerm | fs.ModeSetgid)
}

func TestUmask(t *testing.T) {
	// What the task's processes make is never readable by "other".
	dir := sandbox(t, runner.TaskSpec{MaxFailures: 1, Processes: []runner.ProcessSpec{
		{Name: "maker", Cmdline: "echo data > made; mkdir made-dir", MaxFailures: 1},
	}})
	if code := exitCode(t, exec.Command(build(t), "-sandbox", dir).Run()); code != runner.ExitSuccess {
		t.Fatalf("exit code %d", code)
	}
	for path, want := range map[string]fs.FileMode{
		"made":                          0o660,
		"made-dir":                      0o770,
		runner.LogDir:                   0o770,
		runner.LogDir + "/maker.stdout": 0o640,
		runner.StateFile:                0o640,
	} {
		if got := fileMode(t, filepath.Join(dir, path)); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
}

// taskUID is the default uid and gid of task processes (nobody, nogroup).
const taskUID = 65534

func TestGroupWritableSandbox(t *testing.T) {
	// The worker (not root) owns the sandbox; the runner, as the task's
	// user, writes to it through the group alone (setgid, so the group
	// sticks). Here root plays the worker.
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the runner as another user")
	}
	bin := build(t)
	if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := sandbox(t, runner.TaskSpec{TaskID: "shared", MaxFailures: 1, Processes: []runner.ProcessSpec{
		{Name: "writer", Cmdline: "echo hello > note; id -u", MaxFailures: 1},
	}})
	// The runner must reach the sandbox: open the temporary parents.
	if err := os.Chmod(filepath.Dir(dir), 0o711); err != nil {
		t.Fatal(err)
	}
	const groupOnly = fs.ModeSetgid | 0o770
	for _, p := range []string{dir, filepath.Join(dir, ".borealis"), filepath.Join(dir, runner.SpecFile)} {
		mode := groupOnly
		if p == filepath.Join(dir, runner.SpecFile) {
			mode = 0o640
		}
		if err := os.Chown(p, 0, taskUID); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: taskUID, Gid: taskUID}}
	out, err := cmd.CombinedOutput()
	if code := exitCode(t, err); code != runner.ExitSuccess {
		t.Fatalf("exit code %d; output:\n%s", code, out)
	}
	st, err := runner.ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != runner.TaskSuccess {
		t.Errorf("state %s, want SUCCESS", st.State)
	}
	data, err := os.ReadFile(filepath.Join(dir, runner.LogDir, "writer.stdout"))
	if err != nil || string(data) != "65534\n" {
		t.Errorf("writer.stdout = %q, %v; want the task's uid", data, err)
	}
	// The directories the runner made keep the sandbox's group and setgid,
	// so the worker reads what is in them.
	logDir := filepath.Join(dir, runner.LogDir)
	if got := fileMode(t, logDir); got != groupOnly {
		t.Errorf(".logs mode %v, want %v", got, groupOnly)
	}
	if fi, err := os.Stat(filepath.Join(logDir, "writer.stdout")); err != nil || fi.Sys().(*syscall.Stat_t).Gid != taskUID {
		t.Errorf("writer.stdout: %v, want the sandbox's group", err)
	}
	// The worker's directory mode was not touched.
	if got := fileMode(t, dir); got != groupOnly {
		t.Errorf("sandbox mode %v, want it unchanged (%v)", got, groupOnly)
	}
}
