package progress

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNames(t *testing.T) {
	assert.Equal(t, "", Names(nil))
	assert.Equal(t, "3 4 5", Names([]int{3, 4, 5}))
	ids := make([]int, 15)
	for i := range ids {
		ids[i] = i
	}
	assert.Equal(t, "0 1 2 3 4 5 6 7 8 9 and 5 more", Names(ids), "at most MaxListed named")
}

func TestFailureLine(t *testing.T) {
	assert.Equal(t, "instance 2 failed: Failed health check: HTTP 500",
		FailureLine(Failure{Instance: 2, Reason: "Failed health check: HTTP 500"}))
	assert.Equal(t, "instance 2 failed to roll back: Exited with status 1",
		FailureLine(Failure{Instance: 2, Rollback: true, Reason: "Exited with status 1"}))
	assert.Equal(t, "instance 7 failed", FailureLine(Failure{Instance: 7}), "no reason, no colon")
	assert.Equal(t, "instance 1 failed: line one line two",
		FailureLine(Failure{Instance: 1, Reason: "line one\n  line two\n"}), "one line whatever the reason holds")
}

func TestDetails(t *testing.T) {
	assert.Empty(t, Details(Progress{State: "ROLLING_FORWARD", Total: 3}))
	p := Progress{State: "ROLLING_FORWARD", InFlightIDs: []int{3, 4, 5}, Failures: []Failure{
		{Instance: 2, Reason: "Failed health check: HTTP 500"},
		{Instance: 6, Rollback: true},
	}}
	assert.Equal(t, []string{
		"in flight: 3 4 5",
		"failed: 2 (Failed health check: HTTP 500)",
		"failed to roll back: 6",
	}, Details(p))

	p = Progress{}
	for i := range 8 {
		p.Failures = append(p.Failures, Failure{Instance: i, Reason: "why"})
	}
	assert.Equal(t, []string{
		"failed: 0 (why)", "failed: 1 (why)", "failed: 2 (why)", "failed: 3 (why)", "failed: 4 (why)",
		"also failed: 5 6 7",
	}, Details(p), "the first failures with their reasons, the others by id")
}
