package runner

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// mode is the permission and setgid bits of the file at path.
func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode() & (fs.ModePerm | fs.ModeSetgid)
}

func TestFileModes(t *testing.T) {
	// The test process's umask (often 022) must not matter: the modes are
	// explicit.
	tr := runTask(t, testSpec(newProc("p", "echo out; echo err >&2")), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	for path, want := range map[string]fs.FileMode{
		LogDir:                  DirMode,
		filepath.Dir(StateFile): DirMode,
		StateFile:               FileMode,
		LogDir + "/p.stdout":    FileMode,
		LogDir + "/p.stderr":    FileMode,
	} {
		if got := mode(t, filepath.Join(tr.sandbox, path)); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	if DirMode != 0o770 || FileMode != 0o640 || Umask != 0o007 {
		t.Errorf("modes %o %o, umask %o: want 0770, 0640, 007", DirMode, FileMode, Umask)
	}
}

func TestDirectoriesKeepTheSandboxGroup(t *testing.T) {
	// A setgid sandbox (a non-root worker's, shared through its group)
	// hands its group down: the runner's directories keep the bit.
	sandbox := t.TempDir()
	if err := os.Chmod(sandbox, fs.ModeSetgid|0o770); err != nil {
		t.Fatal(err)
	}
	if mode(t, sandbox)&fs.ModeSetgid == 0 {
		t.Skip("this file system does not keep setgid on directories")
	}
	r := &Runner{Spec: testSpec(newProc("p", "true")), Sandbox: sandbox}
	if _, err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{LogDir, filepath.Dir(StateFile)} {
		if got, want := mode(t, filepath.Join(sandbox, dir)), fs.ModeSetgid|DirMode; got != want {
			t.Errorf("%s: mode %v, want %v", dir, got, want)
		}
	}
}

func TestExistingDirectoriesAreLeftAlone(t *testing.T) {
	// The worker prepares .borealis; the runner may not own it, so it
	// never changes its mode.
	sandbox := t.TempDir()
	dir := filepath.Join(sandbox, filepath.Dir(StateFile))
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Spec: testSpec(newProc("p", "true")), Sandbox: sandbox}
	if _, err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, dir); got != 0o750 {
		t.Errorf("%s: mode %v, want it unchanged (0750)", dir, got)
	}
}

func TestStateFileModeReplacesALeftover(t *testing.T) {
	sandbox := t.TempDir()
	if err := os.MkdirAll(filepath.Join(sandbox, filepath.Dir(StateFile)), 0o770); err != nil {
		t.Fatal(err)
	}
	// A crashed runner's temporary file, with an older mode.
	if err := os.WriteFile(filepath.Join(sandbox, StateFile+".tmp"), []byte("{"), 0o666); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Spec: testSpec(newProc("p", "true")), Sandbox: sandbox}
	if _, err := r.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, filepath.Join(sandbox, StateFile)); got != FileMode {
		t.Errorf("state file mode %v, want %v", got, FileMode)
	}
}

func TestSandboxNotADirectory(t *testing.T) {
	sandbox := t.TempDir()
	if err := os.WriteFile(filepath.Join(sandbox, LogDir), nil, 0o640); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Spec: testSpec(newProc("p", "true")), Sandbox: sandbox}
	if _, err := r.Run(t.Context()); err == nil {
		t.Error("Run with a file where .logs should be: no error")
	}
}
