package workflows_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/workflows"
)

// TestUpdateNamesInFlightAndFailed: the info query names the instances in
// flight, and an instance that failed for good has its reason (the health
// check's, from its last attempt) on its INSTANCE_UPDATE_FAILED event.
func TestUpdateNamesInFlightAndFailed(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("named", 3, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 3)

	// Instance 1 of version 2 never gets healthy: with retries to spare it
	// stays in flight, attempt after attempt.
	v2 := e.versioned("named", 3, 2, map[string]bool{"2/1": true})
	v2.UpdateConfig.RollbackOnFailure = false
	v2.UpdateConfig.MaxPerShardFailures = 1000
	_, err := e.startUpdate(v2, "u")
	require.NoError(t, err)
	poll.Until(t, e.timeout, "instance 1 in flight, by name", func() (bool, string) {
		p := e.updateInfo(key, "u").Progress
		return slices.Equal(p.InFlightIDs, []int{1}) && p.InFlight == 1, fmt.Sprintf("%+v", p)
	})
	// Aborted while instance 1 retries: the abort races the instance's
	// replies, and a workflow task the race fails is sent again
	// (internal/tupdate), never refused.
	_, err = e.op(key, "u", workflows.UpdateAbort)
	require.NoError(t, err)
	assert.Equal(t, workflows.UpdateAborted, e.waitUpdate(key, "u").Status)

	// With no retry, instance 1 fails at its first attempt and says why.
	w1 := e.versioned("failing", 3, 1, nil)
	e.create(w1)
	key = w1.Key()
	e.runningAll(key, 3)
	w3 := e.versioned("failing", 3, 3, map[string]bool{"3/1": true})
	w3.UpdateConfig.RollbackOnFailure = false
	_, err = e.startUpdate(w3, "v")
	require.NoError(t, err)
	info := e.waitUpdate(key, "v")
	assert.Equal(t, workflows.UpdateFailed, info.Status)
	var failed []workflows.InstanceEvent
	for _, ev := range info.InstanceEvents {
		if ev.Action == workflows.InstanceUpdateFailed {
			failed = append(failed, ev)
		}
	}
	require.Len(t, failed, 1, "%+v", info.InstanceEvents)
	assert.Equal(t, 1, failed[0].InstanceID)
	assert.Regexp(t, `^Failed health check: .*unhealthy 3/1.* \(task \S+-1-\d+-\S+ ended FAILED\)$`, failed[0].Message)
	assert.Empty(t, e.updateInfo(key, "v").Progress.InFlightIDs, "nothing in flight once it ended")
}
