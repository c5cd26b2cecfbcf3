package health

import (
	"context"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"
)

// Checker performs one health check.
//
// Check must return within the check's own timeout and when ctx is done.
// A check abandoned because ctx was cancelled reports an unhealthy outcome;
// callers that cancel should test ctx.Err() and not count that outcome.
type Checker interface {
	Check(ctx context.Context) Outcome
}

// CheckerFunc adapts a function to [Checker].
type CheckerFunc func(ctx context.Context) Outcome

// Check calls f(ctx).
func (f CheckerFunc) Check(ctx context.Context) Outcome { return f(ctx) }

// None is the checker of a task with neither a health port nor a shell
// checker: every check passes.
type None struct{}

// Check always reports healthy.
func (None) Check(context.Context) Outcome { return Outcome{Healthy: true} }

// SnoozeFile is the name of the file that, while it exists in a task's
// sandbox, suspends the task's health checks (rule 8).
const SnoozeFile = ".healthchecksnooze"

// ReasonSnoozed is the reason of a snoozed outcome.
const ReasonSnoozed = "health checks snoozed"

// Snoozed reports whether sandboxDir holds the snooze file. Like Aurora, it
// wants a file: a directory of that name does not snooze. An empty
// sandboxDir never snoozes.
func Snoozed(sandboxDir string) bool {
	if sandboxDir == "" {
		return false
	}
	fi, err := os.Stat(filepath.Join(sandboxDir, SnoozeFile))
	return err == nil && !fi.IsDir()
}

// SnoozeChecker runs Checker unless the task's sandbox holds [SnoozeFile];
// then it skips the check and reports a snoozed success.
type SnoozeChecker struct {
	// Checker is the check to run when not snoozed.
	Checker Checker
	// SandboxDir is the task's sandbox directory as the caller sees it.
	SandboxDir string
}

// WithSnooze wraps c so that it is skipped while sandboxDir holds
// [SnoozeFile].
func WithSnooze(c Checker, sandboxDir string) *SnoozeChecker {
	return &SnoozeChecker{Checker: c, SandboxDir: sandboxDir}
}

// Check returns a snoozed success when the snooze file exists, and the
// wrapped checker's outcome otherwise.
func (s *SnoozeChecker) Check(ctx context.Context) Outcome {
	if Snoozed(s.SandboxDir) {
		return Outcome{Healthy: true, Snoozed: true, Reason: ReasonSnoozed}
	}
	return s.Checker.Check(ctx)
}

// CheckResult is one check as a status display shows it.
type CheckResult struct {
	// Time is when the check started.
	Time time.Time `json:"time"`
	// Latency is how long the check took.
	Latency time.Duration `json:"latency_ns"`
	// Healthy reports whether the check passed.
	Healthy bool `json:"healthy"`
	// Reason says why the check failed, or that it was snoozed.
	Reason string `json:"reason,omitempty"`
	// Snoozed reports that the check was skipped because of the snooze file.
	Snoozed bool `json:"snoozed,omitempty"`
}

// Outcome returns the result's verdict.
func (r CheckResult) Outcome() Outcome {
	return Outcome{Healthy: r.Healthy, Reason: r.Reason, Snoozed: r.Snoozed}
}

// Measure runs one check and records when it started and how long it took.
func Measure(ctx context.Context, c Checker) CheckResult {
	start := time.Now()
	o := c.Check(ctx)
	return CheckResult{
		Time:    start,
		Latency: time.Since(start),
		Healthy: o.Healthy,
		Reason:  o.Reason,
		Snoozed: o.Snoozed,
	}
}

// maxReasonText bounds how much of a body or of a command's output a
// reason quotes.
const maxReasonText = 512

// shorten returns s cut to at most limit bytes on a rune boundary, with
// "..." appended when something was cut.
func shorten(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// shortenTail returns the last limit bytes of s on a rune boundary, with
// "..." prepended when something was cut. The end of a command's output is
// usually what explains its failure.
func shortenTail(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := len(s) - limit
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return "..." + s[cut:]
}
