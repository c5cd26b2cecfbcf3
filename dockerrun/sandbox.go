package dockerrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/borealis-dev/borealis/runner"
)

// prepareSandbox makes the sandbox directory and its runner directory,
// writes the runner's spec into it (atomically, so a crash never leaves half
// a spec) and gives all three the owner, group and modes of own (see
// [sandboxOwner]), the spec file before it takes its name.
func prepareSandbox(dir string, spec runner.TaskSpec, own sandboxOwner) error {
	specPath := filepath.Join(dir, filepath.FromSlash(runner.SpecFile))
	runnerDir := filepath.Dir(specPath)
	if err := os.MkdirAll(runnerDir, 0o700); err != nil {
		return fmt.Errorf("make sandbox: %w", err)
	}
	for _, d := range []string{dir, runnerDir} {
		if err := own.apply(d, own.dirMode); err != nil {
			return fmt.Errorf("make sandbox: %w", err)
		}
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode runner spec: %w", err)
	}
	tmp, err := os.CreateTemp(runnerDir, ".task-*.json")
	if err != nil {
		return fmt.Errorf("write runner spec: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if err := firstErr(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write runner spec: %w", err)
	}
	if err := own.apply(tmp.Name(), specFileMode); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write runner spec: %w", err)
	}
	if err := os.Rename(tmp.Name(), specPath); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write runner spec: %w", err)
	}
	return nil
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
// task still has a container of this deployment, running or stopped, is
// never touched, and neither is one written to after cutoff: a task being
// started writes its spec into its sandbox before its container exists,
// and removing a container saves its log into the sandbox. A failure to
// remove one sandbox does not stop the others; every failure is returned.
func (d *Docker) SweepSandboxes(ctx context.Context, cutoff time.Time) ([]string, error) {
	root := filepath.Join(d.opts.DataDir, "sandboxes")
	// Containers first: a sandbox made after this list is newer than cutoff.
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", LabelTask))})
	if err != nil {
		return nil, wrap("sweep", "", err, "list containers")
	}
	owned := map[string]bool{}
	for _, c := range list {
		if ofDeployment(c.Labels, d.opts.Deployment) {
			owned[sanitize(c.Labels[LabelTask])] = true
		}
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
