// Package poll waits in tests for a condition that becomes true on its own
// (a container starting, a workflow reaching a state), checking it again
// and again until a deadline instead of sleeping a fixed time and hoping.
package poll

import (
	"testing"
	"time"
)

// Interval is how often Until checks its condition by default.
const Interval = 100 * time.Millisecond

// Until checks cond every Interval until it reports true, and fails the
// test after timeout with what, and what cond last reported about itself.
func Until(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	UntilEvery(t, timeout, Interval, what, cond)
}

// UntilEvery is Until checking every interval.
func UntilEvery(t testing.TB, timeout, interval time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	if last, ok := Wait(timeout, interval, cond); !ok {
		t.Fatalf("%s: not within %s; last seen: %s", what, timeout, last)
	}
}

// Wait checks cond every interval until it reports true (ok) or timeout
// passes (not ok), and returns what cond last reported. It always checks
// at least once, and once more at the deadline.
func Wait(timeout, interval time.Duration, cond func() (bool, string)) (last string, ok bool) {
	deadline := time.Now().Add(timeout)
	for {
		ok, last = cond()
		if ok {
			return last, true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return last, false
		}
		time.Sleep(min(interval, left))
	}
}
