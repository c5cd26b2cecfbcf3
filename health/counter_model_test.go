package health

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// refStep is the reference model's view after one check: the status, and
// which rule failed the task (3, 4 or 6; 0 while it has not failed).
type refStep struct {
	status Status
	rule   int
}

// refModel replays checks (true = passed or snoozed) following docs/semantics.md §3's
// wording. Unlike Counter it keeps no counters: every count is recomputed
// from the whole prefix of checks, so a bookkeeping slip in one is not
// repeated in the other.
func refModel(initial, interval float64, mcf, mcs int, ok []bool) []refStep {
	// m = ceil(initial_interval_secs / interval_secs), 0 when either is not
	// positive; mcf below 0 reads as 0, mcs below 1 as 1 (see Params).
	m := 0
	if interval > 0 && initial > 0 {
		m = int(math.Ceil(initial / interval))
	}
	mcf = max(mcf, 0)
	mcs = max(mcs, 1)
	n := m + mcf + mcs

	status, rule := StatusStarting, 0
	var out []refStep
	for i := range ok {
		a := i + 1 // attempts count from 1
		if status == StatusFailed {
			out = append(out, refStep{status, rule}) // rule 7: final
			continue
		}
		// Rules 1 and 5: consecutive successes are the passing checks since
		// the latest failure, ignored or not.
		successes := 0
		for j := i; j >= 0 && ok[j]; j-- {
			successes++
		}
		// Rules 2, 3 and 5: consecutive failures are the failures since the
		// latest success that came after attempt m.
		failures := 0
		for j := i; j >= 0 && !ok[j]; j-- {
			if j+1 > m {
				failures++
			}
		}
		counted := !ok[i] && a > m // rule 2
		switch {
		case counted && failures > mcf: // rule 3
			status, rule = StatusFailed, 3
		case ok[i] && status == StatusStarting && successes >= mcs: // rule 5
			status = StatusRunning
		}
		// Rule 4: while not RUNNING, more successes needed than attempts
		// remain before n, and more than one attempt remains.
		if status == StatusStarting && mcs-successes > n-a && n-a > 1 {
			status, rule = StatusFailed, 4
		}
		// Rule 6: not RUNNING after n attempts.
		if status == StatusStarting && a == n {
			status, rule = StatusFailed, 6
		}
		out = append(out, refStep{status, rule})
	}
	return out
}

// wantReason is the reason a counter should give when rule failed the task
// at check o.
func wantReason(rule int, o Outcome) string {
	switch rule {
	case 3:
		return o.failureReason()
	case 4:
		return ReasonFailFastPrefix + o.failureReason()
	case 6:
		return ReasonNotEnoughSuccesses
	}
	return ""
}

// checkAgainstModel runs the counter over outs (resuming through JSON
// before check resumeAt, when that is in range) and compares every step with
// the reference model.
func checkAgainstModel(t *testing.T, p Params, outs []Outcome, resumeAt int) {
	t.Helper()
	ok := make([]bool, len(outs))
	for i, o := range outs {
		ok[i] = o.Healthy || o.Snoozed
	}
	ref := refModel(p.InitialIntervalSecs, p.IntervalSecs, p.MaxConsecutiveFailures, p.MinConsecutiveSuccesses, ok)
	m := p.GraceAttempts()

	var want, got []Status
	var wantReasons, gotReasons []string
	c := NewCounter(p)
	reason := ""
	for i, o := range outs {
		if i == resumeAt {
			b, err := json.Marshal(c.State())
			require.NoError(t, err)
			var s State
			require.NoError(t, json.Unmarshal(b, &s))
			c = Restore(p, s)
		}
		got = append(got, c.Record(o))
		gotReasons = append(gotReasons, c.Reason())
		want = append(want, ref[i].status)
		if ref[i].status == StatusFailed && reason == "" {
			reason = wantReason(ref[i].rule, o)
			// Fail fast can only newly hold after a counted failure.
			if ref[i].rule == 4 && (ok[i] || i+1 <= m) {
				t.Fatalf("params %+v, checks %v: fail fast at check %d", p, ok, i+1)
			}
		}
		wantReasons = append(wantReasons, reason)
	}
	// Compared once per sequence: testify's messages are costly.
	if !slices.Equal(want, got) || !slices.Equal(wantReasons, gotReasons) {
		require.Equal(t, want, got, "params %+v, checks %v", p, ok)
		require.Equal(t, wantReasons, gotReasons, "params %+v, checks %v", p, ok)
	}
}

// randomParams draws parameters around the interesting values, including
// out-of-range ones.
func randomParams(r *rand.Rand) Params {
	intervals := []float64{0, 0.5, 1, 3, 7.5, 10, 10, 10}
	initials := []float64{0, 0, 1, 5, 10, 15, 20, 25, 30, 45.5}
	return Params{
		InitialIntervalSecs:     initials[r.Intn(len(initials))],
		IntervalSecs:            intervals[r.Intn(len(intervals))],
		MaxConsecutiveFailures:  r.Intn(8) - 1,
		MinConsecutiveSuccesses: r.Intn(8) - 1,
	}
}

// randomOutcomes draws a sequence of checks that pass with probability pass,
// some of them snoozed.
func randomOutcomes(r *rand.Rand, length int, pass float64) []Outcome {
	outs := make([]Outcome, length)
	for i := range outs {
		switch x := r.Float64(); {
		case x < 0.05:
			outs[i] = Outcome{Healthy: r.Intn(2) == 0, Snoozed: true, Reason: ReasonSnoozed}
		case x < pass:
			outs[i] = Outcome{Healthy: true}
		default:
			outs[i] = Outcome{Reason: fmt.Sprintf("failure %d", i+1)}
		}
	}
	return outs
}

func TestCounterMatchesReferenceModel(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewSource(seed))
		for iter := 0; iter < 1000; iter++ {
			p := randomParams(r)
			outs := randomOutcomes(r, r.Intn(40), 0.1+0.8*r.Float64())
			checkAgainstModel(t, p, outs, r.Intn(len(outs)+1))
		}
	}
}

// TestCounterExhaustiveSmall compares the counter with the model on every
// sequence of up to 10 checks for a grid of small parameters.
func TestCounterExhaustiveSmall(t *testing.T) {
	for _, initial := range []float64{0, 10, 20, 30} {
		for mcf := 0; mcf <= 3; mcf++ {
			for mcs := 1; mcs <= 4; mcs++ {
				p := Params{InitialIntervalSecs: initial, IntervalSecs: 10,
					MaxConsecutiveFailures: mcf, MinConsecutiveSuccesses: mcs}
				for length := 0; length <= 10; length++ {
					for bits := 0; bits < 1<<length; bits++ {
						outs := make([]Outcome, length)
						for i := range outs {
							if bits&(1<<i) != 0 {
								outs[i] = Outcome{Healthy: true}
							} else {
								outs[i] = Outcome{Reason: fmt.Sprintf("failure %d", i+1)}
							}
						}
						checkAgainstModel(t, p, outs, -1)
					}
				}
			}
		}
	}
}

func FuzzCounter(f *testing.F) {
	f.Add(15.0, 10.0, int8(2), int8(4), []byte{0, 0, 0, 0, 0})
	f.Add(20.0, 10.0, int8(4), int8(1), []byte{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0})
	f.Add(0.0, 10.0, int8(0), int8(1), []byte{0})
	f.Add(15.0, 0.0, int8(1), int8(3), []byte{1, 0, 2, 1})
	f.Fuzz(func(t *testing.T, initial, interval float64, mcf, mcs int8, checks []byte) {
		if len(checks) > 100 {
			checks = checks[:100]
		}
		p := Params{InitialIntervalSecs: initial, IntervalSecs: interval,
			MaxConsecutiveFailures: int(mcf), MinConsecutiveSuccesses: int(mcs)}
		outs := make([]Outcome, len(checks))
		for i, b := range checks {
			switch b % 3 {
			case 0:
				outs[i] = Outcome{Reason: fmt.Sprintf("failure %d", i+1)}
			case 1:
				outs[i] = Outcome{Healthy: true}
			case 2:
				outs[i] = Outcome{Healthy: true, Snoozed: true}
			}
		}
		// Invariants for any parameters: STARTING*, RUNNING*, FAILED*, and
		// FAILED only ever with a reason.
		c := NewCounter(p)
		prev := StatusStarting
		for _, o := range outs {
			got := c.Record(o)
			switch prev {
			case StatusRunning:
				require.NotEqual(t, StatusStarting, got)
			case StatusFailed:
				require.Equal(t, StatusFailed, got)
			}
			require.Equal(t, got == StatusFailed, c.Reason() != "")
			prev = got
		}
		// The model's arithmetic is only exact for a sane grace period.
		if m := p.GraceAttempts(); m < 1000 {
			checkAgainstModel(t, p, outs, len(outs)/2)
		}
	})
}
