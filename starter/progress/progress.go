// Package progress shows how far a long-running command has got: a bar
// redrawn in place on a terminal, plain lines (one per change) elsewhere,
// so CI logs stay readable. Commands build a Progress each time they poll
// and hand it to a Reporter; New picks the rendering from the writer.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Progress is where a command that waits has got.
type Progress struct {
	// State is the update state (ROLLING_FORWARD, ...) or what the command
	// is doing (RESTARTING, waiting for RUNNING, ...).
	State string
	// Instances: all, done, in flight and failed.
	Total, Done, InFlight, Failed int
	// Batch is the current batch, counting from 1 (0: none or not known).
	Batch int
	// Detail is optional extra text, e.g. each instance's state.
	Detail string
	// InFlightIDs names the instances in flight, when the command knows them.
	InFlightIDs []int
	// Failures are the instances that failed, in the order they did.
	Failures []Failure
}

// Failure is an instance that failed, and why.
type Failure struct {
	Instance int
	// Rollback is true when it failed to roll back (an update's rollback).
	Rollback bool
	// Reason is what its workflow said (empty: it did not say).
	Reason string
}

// Line is p in one plain line:
// "ROLLING_FORWARD: 3 of 9 instances done, 3 in flight, 1 failed, batch 2".
func Line(p Progress) string {
	s := fmt.Sprintf("%s: %d of %d instances done, %d in flight, %d failed", p.State, p.Done, p.Total, p.InFlight, p.Failed)
	if p.Batch > 0 {
		s += fmt.Sprintf(", batch %d", p.Batch)
	}
	if p.Detail != "" {
		s += " (" + p.Detail + ")"
	}
	return s
}

// Reporter shows progress as it changes. Update may be called as often as
// a command polls; Done ends the display (and must be called once, last).
// Implementations are safe for use from several goroutines.
type Reporter interface {
	Update(p Progress)
	Done()
}

// New returns a bar when w is a terminal (and TERM is not dumb), else plain lines.
func New(w io.Writer) Reporter {
	if IsTerminal(w) && os.Getenv("TERM") != "dumb" {
		return NewBar(w)
	}
	return NewLines(w)
}

// IsTerminal reports whether w is a file open on a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// barDescription is what the bar shows before itself: the state, the batch,
// and the counts the bar does not.
func barDescription(p Progress) string {
	var b strings.Builder
	b.WriteString(p.State)
	if p.Batch > 0 {
		fmt.Fprintf(&b, ", batch %d", p.Batch)
	}
	fmt.Fprintf(&b, ": %d in flight, %d failed", p.InFlight, p.Failed)
	return b.String()
}
