package progress

import (
	"fmt"
	"io"
	"sync"
)

// Lines prints plain lines, each when what it says changes: the state and
// counts (Line), each failure once with its reason, and the instances in
// flight. A log shows the update's story without redrawn lines.
type Lines struct {
	mu       sync.Mutex
	w        io.Writer
	last     string
	inFlight string // state and ids of the last in-flight line
	failed   map[Failure]bool
	listed   int // failures printed one a line
}

// NewLines returns a Reporter that writes plain lines to w.
func NewLines(w io.Writer) *Lines { return &Lines{w: w, failed: map[Failure]bool{}} }

// Update prints what changed since the last update: p's line, the
// failures not yet printed (one a line up to MaxListed, then the ids of
// the others together), and the instances in flight when they (or the
// state) changed.
func (l *Lines) Update(p Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if line := Line(p); line != l.last {
		l.last = line
		fmt.Fprintln(l.w, line)
	}
	var more []int
	for _, f := range p.Failures {
		k := Failure{Instance: f.Instance, Rollback: f.Rollback}
		if l.failed[k] {
			continue
		}
		l.failed[k] = true
		if l.listed < MaxListed {
			l.listed++
			fmt.Fprintln(l.w, FailureLine(f))
		} else {
			more = append(more, f.Instance)
		}
	}
	if len(more) > 0 {
		fmt.Fprintln(l.w, "also failed: "+Names(more))
	}
	key := ""
	if len(p.InFlightIDs) > 0 {
		key = p.State + "\n" + inFlightLine(p.InFlightIDs)
	}
	if key != l.inFlight {
		l.inFlight = key
		if key != "" {
			fmt.Fprintln(l.w, inFlightLine(p.InFlightIDs))
		}
	}
}

// Done does nothing: every line is already complete.
func (l *Lines) Done() {}
