package progress

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLinesNameInstances: off a terminal, the instances in flight are
// named when they or the state change, and each failure is printed once,
// with its reason, the first MaxListed one a line.
func TestLinesNameInstances(t *testing.T) {
	var out bytes.Buffer
	r := NewLines(&out)
	p := Progress{State: "ROLLING_FORWARD", Total: 4, InFlight: 2, Batch: 1, InFlightIDs: []int{0, 1}}
	r.Update(p)
	r.Update(p)
	p.Done, p.InFlight, p.Failed, p.Batch = 2, 2, 1, 2
	p.InFlightIDs = []int{2, 3}
	p.Failures = []Failure{{Instance: 1, Reason: "Failed health check: HTTP 500"}}
	r.Update(p)
	r.Update(p)
	p.State = "ROLLING_BACK"
	p.Done, p.InFlight, p.Failed, p.Batch = 0, 2, 0, 1
	r.Update(p) // the same instances, now rolling back
	p.State = "ROLLED_BACK"
	p.Done, p.InFlight, p.InFlightIDs = 4, 0, nil
	p.Failures = append(p.Failures, Failure{Instance: 3, Rollback: true, Reason: "Exited with status 1"})
	r.Update(p)
	r.Done()
	assert.Equal(t, "ROLLING_FORWARD: 0 of 4 instances done, 2 in flight, 0 failed, batch 1\n"+
		"in flight: 0 1\n"+
		"ROLLING_FORWARD: 2 of 4 instances done, 2 in flight, 1 failed, batch 2\n"+
		"instance 1 failed: Failed health check: HTTP 500\n"+
		"in flight: 2 3\n"+
		"ROLLING_BACK: 0 of 4 instances done, 2 in flight, 0 failed, batch 1\n"+
		"in flight: 2 3\n"+
		"ROLLED_BACK: 4 of 4 instances done, 0 in flight, 0 failed, batch 1\n"+
		"instance 3 failed to roll back: Exited with status 1\n", out.String())
}

func TestLinesBoundFailures(t *testing.T) {
	var out bytes.Buffer
	r := NewLines(&out)
	p := Progress{State: "ROLLING_FORWARD", Total: 30}
	for i := range MaxListed + 2 {
		p.Failures = append(p.Failures, Failure{Instance: i, Reason: "why"})
	}
	r.Update(p)
	p.Failures = append(p.Failures, Failure{Instance: 20}, Failure{Instance: 21})
	r.Update(p)
	want := "ROLLING_FORWARD: 0 of 30 instances done, 0 in flight, 0 failed\n"
	for i := range MaxListed {
		want += fmt.Sprintf("instance %d failed: why\n", i)
	}
	want += "also failed: 10 11\nalso failed: 20 21\n"
	assert.Equal(t, want, out.String())
}
