package progress

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxListed bounds the instances a line names; the rest are "and N more".
const MaxListed = 10

// maxFailureLines bounds the failed instances a bar lists below itself,
// one a line with its reason; the rest share one more line, by id only.
const maxFailureLines = 5

// Names is ids as "3 4 5", the first MaxListed only ("0 1 ... 9 and 5 more").
func Names(ids []int) string {
	shown := ids[:min(len(ids), MaxListed)]
	parts := make([]string, len(shown))
	for i, id := range shown {
		parts[i] = strconv.Itoa(id)
	}
	s := strings.Join(parts, " ")
	if n := len(ids) - len(shown); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

// inFlightLine names the instances in flight: "in flight: 3 4 5".
func inFlightLine(ids []int) string { return "in flight: " + Names(ids) }

// FailureLine is a failure on a line of its own, as plain output prints it:
// "instance 2 failed: why" ("failed to roll back" for a rollback's).
func FailureLine(f Failure) string {
	s := fmt.Sprintf("instance %d %s", f.Instance, failedVerb(f))
	if r := oneLine(f.Reason); r != "" {
		s += ": " + r
	}
	return s
}

// failureDetail is a failure as a bar lists it below itself:
// "failed: 2 (why)".
func failureDetail(f Failure) string {
	s := fmt.Sprintf("%s: %d", failedVerb(f), f.Instance)
	if r := oneLine(f.Reason); r != "" {
		s += " (" + r + ")"
	}
	return s
}

func failedVerb(f Failure) string {
	if f.Rollback {
		return "failed to roll back"
	}
	return "failed"
}

// oneLine is s with each run of white space, line breaks included, made
// one space: a reason may quote a health check's output.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Details is what a bar shows below itself: the instances in flight, then
// the first failures with their reasons, and the ids of the others.
func Details(p Progress) []string {
	var lines []string
	if len(p.InFlightIDs) > 0 {
		lines = append(lines, inFlightLine(p.InFlightIDs))
	}
	shown := p.Failures[:min(len(p.Failures), maxFailureLines)]
	for _, f := range shown {
		lines = append(lines, failureDetail(f))
	}
	if rest := p.Failures[len(shown):]; len(rest) > 0 {
		ids := make([]int, len(rest))
		for i, f := range rest {
			ids[i] = f.Instance
		}
		lines = append(lines, "also failed: "+Names(ids))
	}
	return lines
}
