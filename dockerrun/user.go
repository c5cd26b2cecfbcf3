package dockerrun

import (
	"fmt"
	"os"
	"strconv"
)

// Modes of what prepareSandbox makes (see the package doc, "Task user and
// sandbox ownership").
const (
	// rootSandboxMode is the sandbox's mode when the worker runs as root:
	// the sandbox belongs to the task's user and group.
	rootSandboxMode os.FileMode = 0o750
	// sharedSandboxMode is the sandbox's mode when the worker does not run
	// as root: the worker owns it, and the task writes through the
	// worker's group (setgid, so what the task makes keeps that group).
	sharedSandboxMode = os.ModeSetgid | 0o770
	// specFileMode is the runner spec's mode either way.
	specFileMode os.FileMode = 0o640
)

// workerIdentity is who the worker runs as, which decides how sandboxes are
// owned: root gives them to the task's user, anyone else keeps them and
// shares them through its group.
type workerIdentity struct {
	root bool
	gid  int
}

// currentWorker is the identity of this process (its effective ids).
func currentWorker() workerIdentity {
	return workerIdentity{root: os.Geteuid() == 0, gid: os.Getegid()}
}

// taskAccess is how one task runs: its processes' user and supplementary
// groups, and the owner of its sandbox.
type taskAccess struct {
	uid, gid int
	// groupAdd lists supplementary groups of the task's processes (and of
	// every exec): the worker's gid when the worker is not root.
	groupAdd []string
	sandbox  sandboxOwner
}

// user is the container's user, "uid:gid".
func (a taskAccess) user() string { return fmt.Sprintf("%d:%d", a.uid, a.gid) }

// access resolves how a task of spec runs under worker w.
func (w workerIdentity) access(spec TaskSpec, opts Options) (taskAccess, error) {
	uid, gid, err := spec.taskIDs(opts)
	if err != nil {
		return taskAccess{}, err
	}
	a := taskAccess{uid: uid, gid: gid}
	if w.root {
		a.sandbox = sandboxOwner{uid: uid, gid: gid, dirMode: rootSandboxMode}
		return a, nil
	}
	a.sandbox = sandboxOwner{uid: -1, gid: w.gid, dirMode: sharedSandboxMode}
	if w.gid != gid {
		a.groupAdd = []string{strconv.Itoa(w.gid)}
	}
	return a, nil
}

// sandboxOwner is the owner (-1: unchanged), group and directory mode of
// what prepareSandbox makes.
type sandboxOwner struct {
	uid, gid int
	dirMode  os.FileMode
}

// apply gives the file at p the owner and group, then mode (after the
// chown, which may clear a setgid bit).
func (o sandboxOwner) apply(p string, mode os.FileMode) error {
	if err := os.Lchown(p, o.uid, o.gid); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}
