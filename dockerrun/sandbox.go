package dockerrun

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/borealis-dev/borealis/runner"
)

// prepareSandbox makes the sandbox directory and writes the runner's spec
// into it (atomically, so a crash never leaves half a spec). It returns the
// uid and gid owning the sandbox: the task's processes run as them.
func prepareSandbox(dir string, spec runner.TaskSpec) (uid, gid int, err error) {
	specPath := filepath.Join(dir, filepath.FromSlash(runner.SpecFile))
	if err := os.MkdirAll(filepath.Dir(specPath), 0o755); err != nil {
		return 0, 0, fmt.Errorf("make sandbox: %w", err)
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return 0, 0, fmt.Errorf("encode runner spec: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(specPath), ".task-*.json")
	if err != nil {
		return 0, 0, fmt.Errorf("write runner spec: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return 0, 0, fmt.Errorf("write runner spec: %w", firstErr(werr, cerr))
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		_ = os.Remove(tmp.Name())
		return 0, 0, fmt.Errorf("write runner spec: %w", err)
	}
	if err := os.Rename(tmp.Name(), specPath); err != nil {
		_ = os.Remove(tmp.Name())
		return 0, 0, fmt.Errorf("write runner spec: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, 0, fmt.Errorf("stat sandbox: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid), nil
	}
	return os.Getuid(), os.Getgid(), nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
