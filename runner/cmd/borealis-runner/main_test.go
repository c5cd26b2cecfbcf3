package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/syncbuf"

	"github.com/borealis-dev/borealis/internal/poll"

	"github.com/borealis-dev/borealis/runner"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// build compiles borealis-runner as the images use it: static, CGO off.
func build(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "borealis-runner-test")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "borealis-runner")
		cmd := exec.Command("go", "build", "-o", binary, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// sandbox makes a sandbox holding spec as its task spec.
func sandbox(t *testing.T, spec runner.TaskSpec) string {
	t.Helper()
	dir := t.TempDir()
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".borealis"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runner.SpecFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("run: %v", err)
	return -1
}

func TestBinaryRunsTaskEndToEnd(t *testing.T) {
	bin := build(t)
	dir := sandbox(t, runner.TaskSpec{
		TaskID: "hello-task", MaxFailures: 1, FinalizationWait: 5,
		Processes: []runner.ProcessSpec{
			{Name: "hello", Cmdline: "echo hello world", MaxFailures: 1},
			{Name: "bye", Cmdline: "echo bye >&2", MaxFailures: 1, Final: true},
		},
	})
	cmd := exec.Command(bin) // the sandbox is the working directory, as in a container
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if code := exitCode(t, cmd.Run()); code != runner.ExitSuccess {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr.String())
	}
	if stdout.String() != "hello world\n" {
		t.Errorf("stdout = %q, want the process's output alone", stdout.String())
	}
	if !strings.Contains(stderr.String(), "bye\n") {
		t.Errorf("stderr lacks the final process's output:\n%s", stderr.String())
	}
	st, err := runner.ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != runner.TaskSuccess || *st.ExitCode != 0 || st.TaskID != "hello-task" {
		t.Errorf("state: %+v", st)
	}
}

func TestBinaryExitsOneOnFailure(t *testing.T) {
	dir := sandbox(t, runner.TaskSpec{MaxFailures: 1, Processes: []runner.ProcessSpec{{Name: "x", Cmdline: "exit 5", MaxFailures: 1}}})
	code := exitCode(t, exec.Command(build(t), "-sandbox", dir).Run())
	if code != runner.ExitFailed {
		t.Errorf("exit code %d, want %d", code, runner.ExitFailed)
	}
}

func TestBinarySIGTERM(t *testing.T) {
	bin := build(t)
	dir := sandbox(t, runner.TaskSpec{
		MaxFailures: 1, FinalizationWait: 1,
		Processes: []runner.ProcessSpec{
			{Name: "server", Cmdline: "echo up; exec sleep 30", MaxFailures: 1},
			{Name: "goodbye", Cmdline: "echo goodbye", MaxFailures: 1, Final: true},
			{Name: "hang", Cmdline: "trap '' TERM; sleep 30", MaxFailures: 1, Final: true},
		},
	})
	cmd := exec.Command(bin, "-sandbox", dir)
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	poll.UntilEvery(t, 30*time.Second, 10*time.Millisecond, "the task says up", func() (bool, string) { return strings.Contains(out.String(), "up\n"), out.String() })
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := exitCode(t, cmd.Wait())
	took := time.Since(start)
	if code != runner.ExitTerminated {
		t.Errorf("exit code %d, want %d", code, runner.ExitTerminated)
	}
	if took < 900*time.Millisecond || took > 4*time.Second {
		t.Errorf("exit %v after SIGTERM, want about finalization_wait (1s)", took)
	}
	if !strings.Contains(out.String(), "goodbye\n") {
		t.Errorf("the final process did not run: stdout %q", out.String())
	}
	st, err := runner.ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if hang, _ := st.Process("hang"); hang.State != runner.ProcessKilled || hang.Signal != int(syscall.SIGKILL) {
		t.Errorf("hang: %+v, want KILLED by SIGKILL", hang)
	}
}

func TestBinaryReapsOrphans(t *testing.T) {
	// The background sleep (long enough to be seen however loaded the
	// machine) is orphaned when its subshell exits and comes to
	// the runner (a subreaper here, PID 1 in a container), which must reap
	// it when it ends, before the task does.
	dir := sandbox(t, runner.TaskSpec{
		MaxFailures: 1, FinalizationWait: 1,
		Processes: []runner.ProcessSpec{{Name: "forker", Cmdline: "(sleep 2 &); sleep 30", MaxFailures: 1}},
	})
	cmd := exec.Command(build(t), "-sandbox", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	pid := cmd.Process.Pid
	// Wait until the orphan was adopted, then until no child is a zombie.
	poll.UntilEvery(t, 30*time.Second, 10*time.Millisecond, "two children", func() (bool, string) {
		c := children(pid, "")
		return len(c) >= 2, fmt.Sprint(c)
	})
	// fails if the orphan stays a zombie
	poll.UntilEvery(t, 30*time.Second, 10*time.Millisecond, "one child left", func() (bool, string) {
		c := children(pid, "")
		return len(c) == 1, fmt.Sprint(c)
	})
	time.Sleep(300 * time.Millisecond)
	if z := children(pid, "Z"); len(z) > 0 {
		t.Errorf("zombie children of the runner: %v", z)
	}
}

// children lists the pids whose parent is ppid (and whose state is state,
// when given), from /proc.
func children(ppid int, state string) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var pids []int
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(data, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(data[i+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(ppid) || (state != "" && fields[0] != state) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		pids = append(pids, pid)
	}
	return pids
}

func TestBadSpec(t *testing.T) {
	for name, tc := range map[string]struct {
		spec string
		args []string
		want string
	}{
		"missing spec":  {"", nil, "read task spec"},
		"invalid spec":  {`{"processes": [{"name": "a/b", "cmdline": "true"}]}`, nil, `processes[0].name: "a/b" must not contain '/'`},
		"unknown field": {`{"processes": [], "bogus": 1}`, nil, `unknown field "bogus"`},
		"bad flag":      {"", []string{"-nope"}, "flag provided but not defined"},
		"extra args":    {"", []string{"extra"}, "unexpected arguments"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.spec != "" {
				path := filepath.Join(dir, runner.SpecFile)
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, []byte(tc.spec), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			// In-process: run returns before it starts reaping children.
			code := run(append([]string{"-sandbox", dir}, tc.args...), &stdout, &stderr)
			if code != runner.ExitBadSpec {
				t.Errorf("exit code %d, want %d", code, runner.ExitBadSpec)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tc.want)
			}
		})
	}
}

func TestSpecFlag(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.WriteFile(spec, []byte(`{"processes": [{"name": "p", "cmdline": "echo $PWD"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := exec.Command(build(t), "-sandbox", dir, "-spec", spec).Output()
	if code := exitCode(t, err); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if got := strings.TrimSpace(string(out)); got != dir {
		t.Errorf("process ran in %q, want the sandbox %q", got, dir)
	}
}
