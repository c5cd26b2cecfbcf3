package runner

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func fastDiskChecks(r *Runner) { r.DiskCheckInterval = 20 * time.Millisecond }

func TestDiskLimitFailsTheTask(t *testing.T) {
	spec := testSpec(
		newProc("filler", "head -c 2000000 /dev/zero > big; sleep 30"),
		finalProc("cleanup", "rm big"),
	)
	spec.DiskBytes = 1 << 20
	tr := runTask(t, spec, nil, fastDiskChecks)
	tr.wantTask(t, TaskFailed, ExitFailed)
	if re := regexp.MustCompile(`^Disk limit exceeded\.  Reserved 1048576 bytes vs used \d+ bytes\.$`); !re.MatchString(tr.state.Reason) {
		t.Errorf("reason %q, want Aurora's disk limit reason", tr.state.Reason)
	}
	if filler := tr.proc(t, "filler"); filler.State != ProcessKilled {
		t.Errorf("filler %+v: want KILLED", filler)
	}
	// Final processes still run (here, to free the space).
	wantProc(t, tr.proc(t, "cleanup"), ProcessSuccess, 1, 0)
	if tr.elapsed > 10*time.Second {
		t.Errorf("took %v to notice the disk limit", tr.elapsed)
	}
	onDisk, err := ReadState(tr.sandbox)
	if err != nil {
		t.Fatal(err)
	}
	if onDisk.Reason != tr.state.Reason || onDisk.State != TaskFailed {
		t.Errorf("state file: %s, reason %q; want FAILED with the reason", onDisk.State, onDisk.Reason)
	}
	// The reason is written with the outcome, before final processes run.
	if s, ok := tr.rec.first(func(s State) bool { return s.Finalizing }); !ok || s.Reason == "" {
		t.Errorf("while finalizing: reason %q, want it set", s.Reason)
	}
}

func TestDiskLimitCountsTheLogs(t *testing.T) {
	spec := testSpec(newProc("talker", "head -c 300000 /dev/zero; sleep 30"))
	spec.DiskBytes = 100000
	tr := runTask(t, spec, nil, fastDiskChecks)
	tr.wantTask(t, TaskFailed, ExitFailed)
	if tr.state.Reason == "" {
		t.Error("no reason: the process's log did not count")
	}
}

func TestWithinTheDiskLimit(t *testing.T) {
	spec := testSpec(newProc("small", "head -c 1000 /dev/zero > small; sleep 0.2"))
	spec.DiskBytes = 1 << 20
	tr := runTask(t, spec, nil, fastDiskChecks)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	if tr.state.Reason != "" {
		t.Errorf("reason %q for a task within its limit", tr.state.Reason)
	}
}

func TestSandboxSize(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a", 100)
	write("sub/b", 20)
	write("sub/deeper/c", 3)
	// A symbolic link is not followed, whatever it points to.
	if err := os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/", filepath.Join(dir, "root")); err != nil {
		t.Fatal(err)
	}
	got, err := sandboxSize(dir)
	if err != nil || got != 123 {
		t.Errorf("sandboxSize = %d, %v; want 123", got, err)
	}
	if _, err := sandboxSize(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("a missing sandbox: %v, want 0 and no error", err)
	}
}
