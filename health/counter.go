package health

import (
	"math"
)

// Params are the counting parameters of a task's health checks, the numeric
// fields of Aurora's HealthCheckConfig (docs/semantics.md §3).
//
// Out-of-range values are not errors here (the config package validates
// them); a [Counter] reads them as follows:
//   - IntervalSecs ≤ 0 (or NaN) or InitialIntervalSecs ≤ 0 (or NaN) gives a
//     grace of zero attempts (m = 0);
//   - MaxConsecutiveFailures < 0 reads as 0;
//   - MinConsecutiveSuccesses < 1 reads as 1: a task needs at least one
//     passing check to be RUNNING.
type Params struct {
	// InitialIntervalSecs is the grace period, converted to attempts.
	InitialIntervalSecs float64 `json:"initial_interval_secs"`
	// IntervalSecs is the time between two checks.
	IntervalSecs float64 `json:"interval_secs"`
	// MaxConsecutiveFailures is how many counted failures in a row are
	// tolerated; one more fails the task.
	MaxConsecutiveFailures int `json:"max_consecutive_failures"`
	// MinConsecutiveSuccesses is how many passing checks in a row make the
	// task RUNNING.
	MinConsecutiveSuccesses int `json:"min_consecutive_successes"`
}

// DefaultParams returns Aurora's defaults: initial_interval_secs 15,
// interval_secs 10, max_consecutive_failures 0, min_consecutive_successes 1.
func DefaultParams() Params {
	return Params{
		InitialIntervalSecs:     15,
		IntervalSecs:            10,
		MaxConsecutiveFailures:  0,
		MinConsecutiveSuccesses: 1,
	}
}

// maxGraceAttempts bounds m so that n cannot overflow, whatever the floats.
const maxGraceAttempts = 1 << 30

// GraceAttempts returns m = ceil(InitialIntervalSecs / IntervalSecs): the
// number of first attempts whose failures are ignored. It is 0 when either
// interval is not positive.
func (p Params) GraceAttempts() int {
	initial, interval := p.InitialIntervalSecs, p.IntervalSecs
	// The negated comparisons also catch NaN.
	if !(initial > 0) || !(interval > 0) {
		return 0
	}
	m := math.Ceil(initial / interval)
	if !(m < maxGraceAttempts) { // also +Inf
		return maxGraceAttempts
	}
	return int(m)
}

// maxFailures returns MaxConsecutiveFailures as the counter reads it.
func (p Params) maxFailures() int {
	return min(max(p.MaxConsecutiveFailures, 0), maxGraceAttempts)
}

// minSuccesses returns MinConsecutiveSuccesses as the counter reads it.
func (p Params) minSuccesses() int {
	return min(max(p.MinConsecutiveSuccesses, 1), maxGraceAttempts)
}

// MaxAttemptsToRunning returns n = m + max_consecutive_failures +
// min_consecutive_successes: a task that is not RUNNING after n attempts
// fails.
func (p Params) MaxAttemptsToRunning() int {
	return p.GraceAttempts() + p.maxFailures() + p.minSuccesses()
}

// Status is a task's health as the counting rules see it.
type Status string

const (
	// StatusStarting: not yet enough consecutive passing checks.
	StatusStarting Status = "STARTING"
	// StatusRunning: min_consecutive_successes checks passed in a row.
	// Checks go on; a task that then fails them becomes StatusFailed.
	StatusRunning Status = "RUNNING"
	// StatusFailed is final.
	StatusFailed Status = "FAILED"
)

// Reasons a [Counter] gives for StatusFailed when the failing check's own
// reason is not the cause.
const (
	// ReasonNotEnoughSuccesses is rule 6: not RUNNING after n attempts.
	ReasonNotEnoughSuccesses = "Not enough successful health checks in time."
	// ReasonFailFastPrefix starts the reason of rule 4 (fail fast); the
	// failing check's reason follows it.
	ReasonFailFastPrefix = "Not enough attempts left to prove health, failing fast. Last failure: "
	// ReasonUnknownFailure stands in for a failed check that gave no reason.
	ReasonUnknownFailure = "Health check failed."
)

// Outcome is the verdict of one health check.
type Outcome struct {
	// Healthy reports whether the check passed.
	Healthy bool `json:"healthy"`
	// Reason says why the check failed (or that it was snoozed).
	Reason string `json:"reason,omitempty"`
	// Snoozed reports that the check was skipped because of the snooze
	// file. A snoozed check counts as a success whatever Healthy says.
	Snoozed bool `json:"snoozed,omitempty"`
}

// passed reports whether the outcome counts as a success.
func (o Outcome) passed() bool { return o.Healthy || o.Snoozed }

// failureReason returns the outcome's reason, or a stand-in when it has none.
func (o Outcome) failureReason() string {
	if o.Reason == "" {
		return ReasonUnknownFailure
	}
	return o.Reason
}

// State is everything a [Counter] remembers, in a form that survives JSON
// (an activity heartbeats it and resumes from it after a retry).
type State struct {
	// Attempts is the number of checks recorded so far; the next check is
	// attempt Attempts+1. It stops growing once the task has failed.
	Attempts int `json:"attempts"`
	// ConsecutiveSuccesses counts passing checks since the last failure,
	// ignored failures included (rule 1).
	ConsecutiveSuccesses int `json:"consecutive_successes"`
	// ConsecutiveFailures counts counted (not ignored) failures since the
	// last passing check.
	ConsecutiveFailures int `json:"consecutive_failures"`
	// Status is the task's health status; empty reads as StatusStarting.
	Status Status `json:"status"`
	// Reason says why the task failed; empty unless Status is StatusFailed.
	Reason string `json:"reason,omitempty"`
	// RunningSince is the attempt at which the task became RUNNING, or 0.
	RunningSince int `json:"running_since,omitempty"`
	// FailedAt is the attempt at which the task failed, or 0.
	FailedAt int `json:"failed_at,omitempty"`
}

// Counter applies the counting rules of docs/semantics.md §3 to a task's health-check
// outcomes, one [Counter.Record] per check. It is deterministic, does no I/O
// and is not safe for concurrent use.
//
// For check number a (from 1), with m = [Params.GraceAttempts] and n =
// [Params.MaxAttemptsToRunning]:
//
//  1. A failure resets the consecutive successes, even when ignored.
//  2. A failure at a ≤ m is ignored, before and after RUNNING alike.
//  3. A counted failure adds 1 to the consecutive failures; above
//     max_consecutive_failures the task fails with the check's reason.
//  4. Fail fast: while not RUNNING, if successes still needed
//     (min_consecutive_successes − consecutive successes) exceed the
//     attempts remaining (n − a), and n − a > 1, the task fails.
//  5. A success adds 1 to the consecutive successes and clears the
//     consecutive failures; the task is RUNNING once the successes reach
//     min_consecutive_successes.
//  6. A task that is not RUNNING after attempt n fails with
//     [ReasonNotEnoughSuccesses].
//  7. FAILED is final: later outcomes are not recorded.
//  8. A snoozed outcome is a success.
//
// When rules 3 and 4 both hold, the check's reason (rule 3) is reported.
type Counter struct {
	params Params
	m, n   int
	s      State
}

// NewCounter returns a counter for a task that has not been checked yet.
func NewCounter(p Params) *Counter {
	return Restore(p, State{Status: StatusStarting})
}

// Restore returns a counter that resumes from s, a value returned by
// [Counter.State] for the same params (typically from an activity's last
// heartbeat). An empty or unknown status reads as StatusStarting.
func Restore(p Params, s State) *Counter {
	switch s.Status {
	case StatusStarting, StatusRunning, StatusFailed:
	default:
		s.Status = StatusStarting
	}
	return &Counter{params: p, m: p.GraceAttempts(), n: p.MaxAttemptsToRunning(), s: s}
}

// Params returns the parameters the counter was made with.
func (c *Counter) Params() Params { return c.params }

// State returns a copy of the counter's state, for [Restore].
func (c *Counter) State() State { return c.s }

// Status returns the task's current health status.
func (c *Counter) Status() Status { return c.s.Status }

// Reason returns why the task failed, or "" when it has not.
func (c *Counter) Reason() string { return c.s.Reason }

// Attempts returns how many checks have been recorded.
func (c *Counter) Attempts() int { return c.s.Attempts }

// Record counts the outcome of the next check and returns the resulting
// status. Once the status is StatusFailed, Record changes nothing.
func (c *Counter) Record(o Outcome) Status {
	s := &c.s
	if s.Status == StatusFailed {
		return StatusFailed // rule 7
	}
	s.Attempts++
	a := s.Attempts
	if o.passed() { // rule 8
		s.ConsecutiveSuccesses++ // rule 5
		s.ConsecutiveFailures = 0
		if s.Status != StatusRunning && s.ConsecutiveSuccesses >= c.params.minSuccesses() {
			s.Status = StatusRunning
			s.RunningSince = a
		}
	} else {
		s.ConsecutiveSuccesses = 0 // rule 1
		if a > c.m {               // rule 2
			s.ConsecutiveFailures++ // rule 3
			if s.ConsecutiveFailures > c.params.maxFailures() {
				c.fail(o.failureReason())
			}
		}
	}
	if s.Status == StatusStarting && c.shouldFailFast() { // rule 4
		c.fail(ReasonFailFastPrefix + o.failureReason())
	}
	if s.Status == StatusStarting && a >= c.n { // rule 6
		c.fail(ReasonNotEnoughSuccesses)
	}
	return s.Status
}

// shouldFailFast reports rule 4's condition after the current attempt: more
// successes are still needed than attempts remain up to and including
// attempt n, and more than one attempt remains. (It can only newly hold
// after a counted failure: a success lowers both sides by one, and an
// ignored failure at a ≤ m leaves n − a ≥ mcf + mcs ≥ the successes needed.)
func (c *Counter) shouldFailFast() bool {
	needed := c.params.minSuccesses() - c.s.ConsecutiveSuccesses
	remaining := c.n - c.s.Attempts
	return needed > remaining && remaining > 1
}

// fail makes the task FAILED at the current attempt.
func (c *Counter) fail(reason string) {
	c.s.Status = StatusFailed
	c.s.Reason = reason
	c.s.FailedAt = c.s.Attempts
}
