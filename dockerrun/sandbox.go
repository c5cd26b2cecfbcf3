package dockerrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

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

// SweepSandboxes removes the sandboxes of tasks that have no container left
// and that nothing has written to since cutoff, and returns their directory
// names. A task's sandbox outlives its container on purpose (its process
// logs stay readable, as Thermos keeps a finished task's sandbox until its
// garbage collector reclaims it); this is that collector. A sandbox whose
// task still has a container, running or stopped, is never touched, and
// neither is one written to after cutoff: a task being started writes its
// spec into its sandbox before its container exists. A failure to remove
// one sandbox does not stop the others; every failure is returned.
func (d *Docker) SweepSandboxes(ctx context.Context, cutoff time.Time) ([]string, error) {
	root := filepath.Join(d.opts.DataDir, "sandboxes")
	// Containers first: a sandbox made after this list is newer than cutoff.
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelTask))})
	if err != nil {
		return nil, wrap("sweep", "", err, "list containers")
	}
	owned := map[string]bool{}
	for _, c := range list {
		owned[sanitize(c.Labels[LabelTask])] = true
	}
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Op: "sweep", Msg: "read sandboxes", Err: err}
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || owned[e.Name()] {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if !lastWrite(dir).Before(cutoff) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove sandbox %s: %w", dir, err))
			continue
		}
		removed = append(removed, e.Name())
	}
	if len(errs) > 0 {
		return removed, &Error{Op: "sweep", Msg: "remove sandboxes", Err: errors.Join(errs...)}
	}
	return removed, nil
}

// lastWrite is the latest modification time of a sandbox's directory, its
// runner directory and the runner's spec and state files (the runner
// rewrites its state on every process start and exit), and its logs.
func lastWrite(dir string) time.Time {
	var latest time.Time
	for _, p := range []string{
		dir,
		filepath.Join(dir, ".borealis"),
		filepath.Join(dir, filepath.FromSlash(runner.SpecFile)),
		filepath.Join(dir, filepath.FromSlash(runner.StateFile)),
		filepath.Join(dir, runner.LogDir),
	} {
		if fi, err := os.Lstat(p); err == nil && fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	return latest
}

// SweepSandboxesEvery runs [Docker.SweepSandboxes] now and then every
// interval until ctx ends, removing the sandboxes idle for longer than
// retention, and logs what it removed and what failed.
func (d *Docker) SweepSandboxesEvery(ctx context.Context, retention, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		removed, err := d.SweepSandboxes(ctx, time.Now().Add(-retention))
		if len(removed) > 0 {
			d.log.Info("removed idle sandboxes of tasks without a container", "count", len(removed), "retention", retention)
		}
		if err != nil && ctx.Err() == nil {
			d.log.Warn("sweep sandboxes", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
