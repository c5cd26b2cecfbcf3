package taskapi

import "time"

// RestartPolicy is the flapping back-off of docs/semantics.md §4: a
// task that ran less than FlappingThreshold is flapping, and its successor
// waits Delay(n) after the n-th flap in a row. It is the cluster's policy:
// workers hold it and report it with each task's end.
type RestartPolicy struct {
	FlappingThreshold time.Duration `json:"flapping_threshold"`
	InitialDelay      time.Duration `json:"initial_delay"`
	MaxDelay          time.Duration `json:"max_delay"`
}

// DefaultRestartPolicy is Aurora's: 5 min threshold, 30 s first delay, 5 min cap.
func DefaultRestartPolicy() RestartPolicy {
	return RestartPolicy{FlappingThreshold: 5 * time.Minute, InitialDelay: 30 * time.Second, MaxDelay: 5 * time.Minute}
}

// Delay is the THROTTLED wait after the n-th consecutive flap (n ≥ 1).
func (p RestartPolicy) Delay(n int) time.Duration {
	d := p.InitialDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	return d
}
