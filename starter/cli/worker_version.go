package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	taskqueuepb "go.temporal.io/api/taskqueue/v1"

	"github.com/borealis-dev/borealis/internal/version"
)

// workerVersions warns, at most once per command, when a worker polling
// the task queue has another workflows number than this CLI. It reads the
// workers' identities (version.WorkerIdentity) from the pollers checkWorker
// already asked Temporal for, so the check costs no request of its own.
type workerVersions struct {
	w    io.Writer
	once sync.Once
}

// newWorkerVersions warns on w.
func newWorkerVersions(w io.Writer) *workerVersions { return &workerVersions{w: w} }

// check warns about the pollers of queue whose workflows number differs.
// A nil workerVersions checks nothing.
func (v *workerVersions) check(queue string, pollers []*taskqueuepb.PollerInfo) {
	if v == nil {
		return
	}
	ids := make([]string, len(pollers))
	for i, p := range pollers {
		ids[i] = p.GetIdentity()
	}
	if msg := versionWarning(queue, ids, version.Get()); msg != "" {
		v.once.Do(func() { fmt.Fprintln(v.w, "Warning:", msg) })
	}
}

// versionWarning is the warning about the workers, of those with the
// identities ids, whose workflows number differs from self's: "" when
// none does. An identity that is no worker identity (a worker built before
// versions were recorded) counts as no difference.
func versionWarning(queue string, ids []string, self version.Info) string {
	var others []string
	for _, id := range ids {
		v, n, ok := version.ParseIdentity(id)
		if !ok || n == self.Workflows {
			continue
		}
		if o := fmt.Sprintf("borealis-worker %s (workflows %d)", v, n); !slices.Contains(others, o) {
			others = append(others, o)
		}
	}
	if len(others) == 0 {
		return ""
	}
	slices.Sort(others)
	verb := "polls"
	if len(others) > 1 {
		verb = "poll"
	}
	return fmt.Sprintf("%s %s task queue %q but this is borealis %s (workflows %d): "+
		"one may send workflow inputs the other does not understand; run the same version of both (docs/operations.md)",
		strings.Join(others, ", "), verb, queue, self.Version, self.Workflows)
}
