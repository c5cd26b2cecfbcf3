// Package version says which build of Borealis is running: its version (set
// at link time, else from the build's module or VCS information), the Go
// release that built it, and Workflows, the highest workflow version it
// knows. The worker puts them in its Temporal identity (WorkerIdentity),
// where the CLI reads them back (ParseIdentity) to warn when the two
// builds differ in Workflows.
package version

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
)

// Workflows is this build's compatibility number: the highest workflow
// version it knows. Maintain it by hand: bump it, in the same change,
// whenever workflows/ adds a workflow.GetVersion change id or raises the
// maximum version of one (docs/operations.md, "Upgrading Borealis while
// jobs and updates run"). A CLI and a worker with different numbers may send
// each other workflow inputs the other does not understand, and the CLI
// warns about it. 1 stands for the change ids workflows/ had when the rule
// began: resend-unanswered, skip-idle-health-watch, batch-requests,
// local-task-ops, one-delivery, admit-job, admit-update,
// remove-kept-on-kill, watch-kept-task, unique-task-ids,
// carry-health-count, mirror-rollback-groups, autopause-forward-only and
// retry-added-by-replace, each at version 1 (version_test.go checks the
// list against workflows/); 2 adds restart-failure-budget (job restart's
// retries, failure budget and deadline, run by the job workflow).
const Workflows = 2

// linked is the version set at link time for releases:
//
//	go build -ldflags "-X github.com/borealis-dev/borealis/internal/version.linked=v1.2.0" ./starter
var linked string

// Info describes one build.
type Info struct {
	// Version is the release, the module version, a short VCS revision
	// (with -dirty for uncommitted changes) or "devel".
	Version string
	// Go is the Go release that built it, such as go1.26.8.
	Go string
	// Workflows is the build's compatibility number (the constant).
	Workflows int
}

// Get describes the running build.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return Info{Version: fromBuild(linked, bi), Go: runtime.Version(), Workflows: Workflows}
}

// String is "VERSION (GO, workflows N)".
func (i Info) String() string {
	return fmt.Sprintf("%s (%s, workflows %d)", i.Version, i.Go, i.Workflows)
}

// Line is what `PROGRAM --version` prints: "PROGRAM VERSION (GO, workflows N)".
func Line(program string) string {
	return program + " " + Get().String()
}

// pseudo matches a Go pseudo-version, such as the one go build stamps from
// a commit without a tag (v0.0.0-20260101120000-1a2b3c4d5e6f+dirty).
var pseudo = regexp.MustCompile(`[-.]\d{14}-[0-9a-f]{12}(\+dirty)?$`)

// fromBuild picks the version: the linked one, else a tagged module
// version, else the VCS revision's first 7 digits (-dirty when modified),
// else "devel". A pseudo-version gives way to the short revision it holds.
func fromBuild(linked string, bi *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if bi == nil {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" && !pseudo.MatchString(v) {
		return v
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
