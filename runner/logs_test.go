package runner

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// numbered is the output of `seq`-like shell loop: lines "000000000\n"
// to the number n-1, 10 bytes each.
func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%09d\n", i)
	}
	return b.String()
}

// printNumbered is a cmdline printing numbered(0, n) to stdout.
func printNumbered(n int) string {
	return fmt.Sprintf("i=0; while [ $i -lt %d ]; do printf '%%09d\\n' $i; i=$((i+1)); done", n)
}

// logFiles returns the content of the log file name (under .logs) and of
// each backup .1, .2, ... that exists, and fails on a backup beyond max.
func logFiles(t *testing.T, sandbox, name string, max int) []string {
	t.Helper()
	var files []string
	for i := 0; ; i++ {
		path := filepath.Join(sandbox, LogDir, name)
		if i > 0 {
			path = backupName(path, i)
		}
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) && i > 0 {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if i > max {
			t.Fatalf("%s exists: more than %d backups", path, max)
		}
		if mode(t, path) != FileMode {
			t.Errorf("%s: mode %v, want %v", path, mode(t, path), FileMode)
		}
		files = append(files, string(data))
	}
}

func TestLogRotation(t *testing.T) {
	p := newProc("chatty", printNumbered(350)+"; echo a little >&2")
	p.LogRotate = &LogRotation{MaxBytes: 1000, Backups: 2}
	tr := runTask(t, testSpec(p), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)

	// 3500 bytes: lines 0-99 were dropped with the oldest backup.
	files := logFiles(t, tr.sandbox, "chatty.stdout", 2)
	want := []string{numbered(300, 350), numbered(200, 300), numbered(100, 200)}
	if len(files) != len(want) {
		t.Fatalf("%d stdout files, want %d (the file and 2 backups)", len(files), len(want))
	}
	for i := range want {
		if files[i] != want[i] {
			t.Errorf("stdout file %d: %d bytes starting %.10q, want %d bytes starting %.10q",
				i, len(files[i]), files[i], len(want[i]), want[i])
		}
	}
	if got := logFiles(t, tr.sandbox, "chatty.stderr", 0); got[0] != "a little\n" {
		t.Errorf("stderr log %q", got[0])
	}
	// The copy for docker logs is whole.
	if got := tr.stdout.String(); got != numbered(0, 350) {
		t.Errorf("runner stdout has %d bytes, want all %d", len(got), len(numbered(0, 350)))
	}
}

func TestLogRotationAcrossRuns(t *testing.T) {
	// Each run appends 600 bytes; the second fills the file and rotates.
	p := newProc("twice", printNumbered(60)+"; exit 1")
	p.MaxFailures = 2
	p.LogRotate = &LogRotation{MaxBytes: 1000, Backups: 3}
	tr := runTask(t, testSpec(p), nil)
	tr.wantTask(t, TaskFailed, ExitFailed)
	files := logFiles(t, tr.sandbox, "twice.stdout", 3)
	all := numbered(0, 60) + numbered(0, 60)
	if len(files) != 2 || files[1] != all[:1000] || files[0] != all[1000:] {
		t.Errorf("files of %v bytes, want 200 and 1000 holding both runs", lens(files))
	}
}

func TestLogRotationWithoutBackups(t *testing.T) {
	p := newProc("p", printNumbered(250))
	p.LogRotate = &LogRotation{MaxBytes: 1000, Backups: 0}
	tr := runTask(t, testSpec(p), nil)
	tr.wantTask(t, TaskSuccess, ExitSuccess)
	files := logFiles(t, tr.sandbox, "p.stdout", 0)
	if files[0] != numbered(200, 250) {
		t.Errorf("the file holds %d bytes, want the last 500 alone", len(files[0]))
	}
}

func lens(files []string) []int {
	n := make([]int, len(files))
	for i, f := range files {
		n[i] = len(f)
	}
	return n
}

func TestLogFileSplitsOneLargeWrite(t *testing.T) {
	dir := t.TempDir()
	l := &logFile{path: filepath.Join(dir, "x.stdout"), rotate: &LogRotation{MaxBytes: 100, Backups: 5}, log: slog.New(slog.DiscardHandler)}
	if err := l.open(); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 35) // 350 bytes: three full files and half of one
	l.write(data)
	l.close()
	l.write([]byte("dropped after close"))
	for i, want := range map[int]string{0: string(data[300:]), 1: string(data[200:300]), 2: string(data[100:200]), 3: string(data[:100])} {
		path := l.path
		if i > 0 {
			path = backupName(path, i)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	if _, err := os.Stat(backupName(l.path, 4)); !os.IsNotExist(err) {
		t.Errorf("backup 4 exists (%v): 350 bytes make three backups", err)
	}
}

func TestLogFileFailureDropsOutputUntilReopened(t *testing.T) {
	dir := t.TempDir()
	var logged bytes.Buffer
	l := &logFile{path: filepath.Join(dir, "x.stdout"), rotate: &LogRotation{MaxBytes: 10, Backups: 1},
		log: slog.New(slog.NewTextHandler(&logged, nil))}
	if err := l.open(); err != nil {
		t.Fatal(err)
	}
	// A directory where the backup must go makes the rotation fail.
	if err := os.MkdirAll(filepath.Join(backupName(l.path, 1), "blocker"), 0o700); err != nil {
		t.Fatal(err)
	}
	l.write([]byte("0123456789abc"))
	if !strings.Contains(logged.String(), "rotate log") {
		t.Errorf("the failure was not logged: %q", logged.String())
	}
	got, _ := os.ReadFile(l.path)
	if string(got) != "0123456789" {
		t.Errorf("file = %q, want the first 10 bytes kept", got)
	}
	l.write([]byte("more"))
	if got, _ := os.ReadFile(l.path); string(got) != "0123456789" {
		t.Errorf("file = %q after a failure, want nothing more", got)
	}
	if err := l.open(); err != nil {
		t.Fatal(err)
	}
	l.close()
}

func TestSpecValidatesLogRotateAndDisk(t *testing.T) {
	p := newProc("p", "true")
	p.LogRotate = &LogRotation{MaxBytes: 0, Backups: -1}
	spec := testSpec(p)
	spec.DiskBytes = -1
	err := spec.Validate()
	for _, want := range []string{
		"processes[0].log_rotate.max_bytes: must be > 0, got 0",
		"processes[0].log_rotate.backups: must be >= 0, got -1",
		"disk_bytes: must be >= 0, got -1",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want %q", err, want)
		}
	}
}

func TestLogFileReopensAMovedFile(t *testing.T) {
	dir := t.TempDir()
	l := &logFile{path: filepath.Join(dir, "x.stdout"), log: slog.New(slog.DiscardHandler)}
	if err := l.open(); err != nil {
		t.Fatal(err)
	}
	l.write([]byte("first run\n"))
	if err := os.Rename(l.path, l.path+".old"); err != nil {
		t.Fatal(err)
	}
	if err := l.open(); err != nil { // the next run
		t.Fatal(err)
	}
	l.write([]byte("second run\n"))
	l.close()
	if got, _ := os.ReadFile(l.path); string(got) != "second run\n" {
		t.Errorf("log = %q, want the second run's output in a new file", got)
	}
}
