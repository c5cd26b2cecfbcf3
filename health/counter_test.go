package health

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shorthands for the statuses in the tables below.
const (
	st = StatusStarting
	ru = StatusRunning
	fa = StatusFailed
)

// outcomes turns "FFS" (F = failure, S = success, Z = snoozed) into outcomes.
// Failures carry their attempt number in the reason.
func outcomes(t *testing.T, checks string) []Outcome {
	t.Helper()
	var out []Outcome
	for _, c := range strings.ReplaceAll(checks, " ", "") {
		switch c {
		case 'S':
			out = append(out, Outcome{Healthy: true})
		case 'F':
			out = append(out, Outcome{Reason: "check " + string(rune('0'+len(out)%10)) + " failed"})
		case 'Z':
			out = append(out, Outcome{Healthy: true, Snoozed: true, Reason: ReasonSnoozed})
		default:
			t.Fatalf("bad check %q in %q", c, checks)
		}
	}
	return out
}

// times repeats a status k times.
func times(k int, s Status) []Status {
	out := make([]Status, k)
	for i := range out {
		out[i] = s
	}
	return out
}

// seq concatenates status lists.
func seq(parts ...[]Status) []Status {
	var out []Status
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// record feeds checks to a fresh counter and returns the status after each.
func record(t *testing.T, p Params, checks string) (*Counter, []Status) {
	t.Helper()
	c := NewCounter(p)
	var got []Status
	for _, o := range outcomes(t, checks) {
		got = append(got, c.Record(o))
	}
	return c, got
}

// TestSpecExamples checks every row of docs/semantics.md §3's example table, status by
// status.
func TestSpecExamples(t *testing.T) {
	tests := []struct {
		name              string
		interval, initial float64
		mcf, mcs          int
		wantM, wantN      int
		checks            string
		want              []Status
		wantReason        string
	}{
		{"S", 10, 20, 0, 1, 2, 3, "S", seq(times(1, ru)), ""},
		{"F,S", 10, 20, 0, 1, 2, 3, "FS", seq(times(1, st), times(1, ru)), ""},
		{"S,F inside grace", 10, 20, 0, 1, 2, 3, "SF", seq(times(2, ru)), ""},
		{"S,F,F", 10, 20, 0, 1, 2, 3, "SFF", seq(times(2, ru), times(1, fa)), "check 2 failed"},
		{"F,F,F", 10, 20, 0, 1, 2, 3, "FFF", seq(times(2, st), times(1, fa)), "check 2 failed"},
		{"F×6,S,F×4,F", 10, 20, 4, 1, 2, 7, "FFFFFF S FFFF F",
			seq(times(6, st), times(5, ru), times(1, fa)), "check 1 failed"},
		{"no grace F", 10, 0, 0, 1, 0, 1, "F", seq(times(1, fa)), "check 0 failed"},
		{"S,S,F,F,F", 10, 15, 2, 2, 2, 6, "SSFFF", seq(times(1, st), times(3, ru), times(1, fa)), "check 4 failed"},
		{"F×5", 10, 15, 2, 4, 2, 8, "FFFFF", seq(times(4, st), times(1, fa)), "check 4 failed"},
		{"F,S,F,F", 10, 15, 1, 2, 2, 5, "FSFF", seq(times(3, st), times(1, fa)), "check 3 failed"},
		{"S,S,F,F", 10, 15, 1, 2, 2, 5, "SSFF", seq(times(1, st), times(2, ru), times(1, fa)), "check 3 failed"},
		{"S,F,F mcs 1", 10, 15, 0, 1, 2, 3, "SFF", seq(times(2, ru), times(1, fa)), "check 2 failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Params{InitialIntervalSecs: tt.initial, IntervalSecs: tt.interval,
				MaxConsecutiveFailures: tt.mcf, MinConsecutiveSuccesses: tt.mcs}
			require.Equal(t, tt.wantM, p.GraceAttempts(), "m")
			require.Equal(t, tt.wantN, p.MaxAttemptsToRunning(), "n")
			c, got := record(t, p, tt.checks)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantReason, c.Reason())
		})
	}
}

func TestGraceAttempts(t *testing.T) {
	tests := []struct {
		initial, interval float64
		want              int
	}{
		{15, 10, 2},
		{20, 10, 2},
		{25, 10, 3},
		{0, 10, 0},
		{1, 10, 1},
		{10, 0, 0},          // guard: interval 0
		{10, -1, 0},         // guard: negative interval
		{-5, 10, 0},         // guard: negative initial
		{math.NaN(), 10, 0}, // guard: NaN
		{10, math.NaN(), 0},
		{math.Inf(1), 10, maxGraceAttempts},
		{1e300, 1e-300, maxGraceAttempts},
	}
	for _, tt := range tests {
		p := Params{InitialIntervalSecs: tt.initial, IntervalSecs: tt.interval}
		assert.Equal(t, tt.want, p.GraceAttempts(), "initial %v interval %v", tt.initial, tt.interval)
	}
	d := DefaultParams()
	assert.Equal(t, 2, d.GraceAttempts())
	assert.Equal(t, 3, d.MaxAttemptsToRunning())
}

func TestParamsOutOfRange(t *testing.T) {
	// min_consecutive_successes below 1 reads as 1, negative failures as 0.
	p := Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: -3, MinConsecutiveSuccesses: 0}
	assert.Equal(t, 1, p.MaxAttemptsToRunning())
	_, got := record(t, p, "S")
	assert.Equal(t, []Status{ru}, got)
	_, got = record(t, p, "F")
	assert.Equal(t, []Status{fa}, got)
}

// The rules of docs/semantics.md §3, one by one.

func TestRule1FailureResetsSuccessesEvenWhenIgnored(t *testing.T) {
	// m = 3, mcs = 2: S, F (ignored), S is only one success in a row.
	p := Params{InitialIntervalSecs: 30, IntervalSecs: 10, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 2}
	c, got := record(t, p, "SFS")
	assert.Equal(t, []Status{st, st, st}, got)
	assert.Equal(t, 1, c.State().ConsecutiveSuccesses)
	assert.Equal(t, 0, c.State().ConsecutiveFailures, "the failure was ignored")
	assert.Equal(t, ru, c.Record(Outcome{Healthy: true}))
	assert.Equal(t, 4, c.State().RunningSince)
}

func TestRule2FailuresInGraceAreIgnored(t *testing.T) {
	p := Params{InitialIntervalSecs: 30, IntervalSecs: 10, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 1}
	// Before RUNNING.
	c, got := record(t, p, "FFFS")
	assert.Equal(t, []Status{st, st, st, ru}, got)
	assert.Equal(t, 0, c.State().ConsecutiveFailures)
	// After RUNNING too.
	c, got = record(t, p, "SFFF")
	assert.Equal(t, []Status{ru, ru, ru, fa}, got)
	assert.Equal(t, 4, c.State().FailedAt)
}

func TestRule3ConsecutiveFailureLimit(t *testing.T) {
	p := Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 2, MinConsecutiveSuccesses: 1}
	c, got := record(t, p, "S FF S FF F")
	assert.Equal(t, seq(times(6, ru), times(1, fa)), got)
	assert.Equal(t, "check 6 failed", c.Reason(), "the failing check's reason")
	assert.Equal(t, 3, c.State().ConsecutiveFailures)

	// A failure without a reason still fails with one.
	c = NewCounter(Params{IntervalSecs: 10, MinConsecutiveSuccesses: 1})
	assert.Equal(t, fa, c.Record(Outcome{}))
	assert.Equal(t, ReasonUnknownFailure, c.Reason())
}

func TestRule4FailFast(t *testing.T) {
	// m = 0, mcf = 1, mcs = 3 → n = 4. After S, F at 2: 3 successes needed,
	// 2 attempts remain (3 and 4), and more than one remains: fail fast,
	// although the failure limit (1) is not exceeded.
	p := Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 1, MinConsecutiveSuccesses: 3}
	c, got := record(t, p, "SF")
	assert.Equal(t, []Status{st, fa}, got)
	assert.Equal(t, ReasonFailFastPrefix+"check 1 failed", c.Reason())
	assert.Equal(t, 2, c.State().FailedAt)

	// Needed equal to remaining is not enough to fail fast:
	// m = 0, mcf = 2, mcs = 3 → n = 5; F at 1: needed 3, remaining 4;
	// S at 2, F at 3: needed 3, remaining 2 → fail fast.
	p = Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 2, MinConsecutiveSuccesses: 3}
	c, got = record(t, p, "FSF")
	assert.Equal(t, []Status{st, st, fa}, got)
	assert.True(t, strings.HasPrefix(c.Reason(), ReasonFailFastPrefix), c.Reason())

	// Only one attempt remains: no fail fast; rule 6 fails the task at n.
	// m = 1, mcf = 1, mcs = 2 → n = 4. F (ignored), S, F at 3 (needed 2,
	// remaining 1), S at 4 → not RUNNING after n attempts.
	p = Params{InitialIntervalSecs: 10, IntervalSecs: 10, MaxConsecutiveFailures: 1, MinConsecutiveSuccesses: 2}
	c, got = record(t, p, "FSFS")
	assert.Equal(t, []Status{st, st, st, fa}, got)
	assert.Equal(t, ReasonNotEnoughSuccesses, c.Reason())

	// Not while RUNNING: m = 0, mcf = 1, mcs = 2 → n = 3; RUNNING at 2,
	// F at 3 is within the failure limit.
	p = Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 1, MinConsecutiveSuccesses: 2}
	_, got = record(t, p, "SSF")
	assert.Equal(t, []Status{st, ru, ru}, got)

	// When rules 3 and 4 both hold, the check's own reason is reported.
	p = Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 3}
	c, got = record(t, p, "F")
	assert.Equal(t, []Status{fa}, got)
	assert.Equal(t, "check 0 failed", c.Reason())
}

func TestRule5SuccessClearsFailures(t *testing.T) {
	p := Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 1, MinConsecutiveSuccesses: 1}
	c, got := record(t, p, "FSFSFSF")
	assert.Equal(t, seq(times(1, st), times(6, ru)), got)
	assert.Equal(t, 1, c.State().ConsecutiveFailures)
	assert.Equal(t, 2, c.State().RunningSince)
	assert.Equal(t, fa, c.Record(Outcome{Reason: "down"}))
	assert.Equal(t, "down", c.Reason())
}

func TestRule6NotRunningAfterNAttempts(t *testing.T) {
	// m = 2, mcf = 0, mcs = 2 → n = 4: F, F (ignored), S at 3, S at 4 is
	// RUNNING at the last possible attempt.
	p := Params{InitialIntervalSecs: 20, IntervalSecs: 10, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 2}
	_, got := record(t, p, "FFSS")
	assert.Equal(t, []Status{st, st, st, ru}, got)

	// m = 3, mcf = 0, mcs = 1 → n = 4: all ignored failures, then S at 4.
	p = Params{InitialIntervalSecs: 30, IntervalSecs: 10, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 1}
	_, got = record(t, p, "FFFS")
	assert.Equal(t, []Status{st, st, st, ru}, got)

	// The same with snoozes ending the grace: still RUNNING.
	_, got = record(t, p, "FFFZ")
	assert.Equal(t, []Status{st, st, st, ru}, got)
}

func TestRule7FailedIsFinal(t *testing.T) {
	p := Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 1}
	c, got := record(t, p, "F SSSS")
	assert.Equal(t, times(5, fa), got)
	assert.Equal(t, 1, c.Attempts(), "attempts stop at the failure")
	assert.Equal(t, "check 0 failed", c.Reason())
	assert.Equal(t, fa, c.Status())
}

func TestRule8SnoozedCountsAsSuccess(t *testing.T) {
	p := Params{InitialIntervalSecs: 0, IntervalSecs: 10, MaxConsecutiveFailures: 0, MinConsecutiveSuccesses: 2}
	c, got := record(t, p, "ZZ")
	assert.Equal(t, []Status{st, ru}, got)
	assert.Empty(t, c.Reason())
	// A snoozed outcome is a success even if Healthy was left false.
	c = NewCounter(Params{IntervalSecs: 10, MinConsecutiveSuccesses: 1})
	assert.Equal(t, ru, c.Record(Outcome{Snoozed: true}))
}

func TestStateRoundTrip(t *testing.T) {
	p := Params{InitialIntervalSecs: 15, IntervalSecs: 10, MaxConsecutiveFailures: 4, MinConsecutiveSuccesses: 1}
	checks := outcomes(t, "FFFFFF S FFFF F")
	want := NewCounter(p)
	for i, o := range checks {
		// Each step goes through JSON, as an activity's heartbeat does.
		b, err := json.Marshal(want.State())
		require.NoError(t, err)
		var s State
		require.NoError(t, json.Unmarshal(b, &s))
		resumed := Restore(p, s)
		require.Equal(t, want.State(), resumed.State(), "step %d", i)
		assert.Equal(t, want.Record(o), resumed.Record(o), "step %d", i)
		want = resumed
	}
	assert.Equal(t, State{Attempts: 12, ConsecutiveFailures: 5, Status: fa, Reason: "check 1 failed",
		RunningSince: 7, FailedAt: 12}, want.State())

	b, err := json.Marshal(want.State())
	require.NoError(t, err)
	assert.JSONEq(t, `{"attempts":12,"consecutive_successes":0,"consecutive_failures":5,
		"status":"FAILED","reason":"check 1 failed","running_since":7,"failed_at":12}`, string(b))
}

func TestRestoreUnknownStatus(t *testing.T) {
	c := Restore(DefaultParams(), State{})
	assert.Equal(t, st, c.Status())
	c = Restore(DefaultParams(), State{Status: "bogus", Attempts: 1})
	assert.Equal(t, st, c.Status())
	assert.Equal(t, ru, c.Record(Outcome{Healthy: true}))
	assert.Equal(t, DefaultParams(), c.Params())
}
