package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

// TestUpdateProgressNamesInstances: an update's progress names the
// instances in flight (from the query) and the failed ones with the reason
// their failure event gives, forward and back, and plain output prints
// them as they change.
func TestUpdateProgressNamesInstances(t *testing.T) {
	info := workflows.UpdateInfo{Status: workflows.UpdateRollingForward,
		Progress: workflows.UpdateProgress{Total: 6, Done: 2, InFlight: 3, Failed: 1, Batch: 2, InFlightIDs: []int{3, 4, 5}},
		InstanceEvents: []workflows.InstanceEvent{
			{InstanceID: 0, Action: workflows.InstanceUpdating},
			{InstanceID: 0, Action: workflows.InstanceUpdated},
			{InstanceID: 2, Action: workflows.InstanceUpdating, Message: "checking the job's SLA"},
			{InstanceID: 2, Action: workflows.InstanceUpdateFailed, Message: "Failed health check: HTTP 500 (task t2 ended FAILED)"},
			{InstanceID: 3, Action: workflows.InstanceUpdating},
		}}
	p := updateProgress(info)
	assert.Equal(t, []int{3, 4, 5}, p.InFlightIDs)
	assert.Equal(t, []progress.Failure{{Instance: 2, Reason: "Failed health check: HTTP 500 (task t2 ended FAILED)"}}, p.Failures)
	assert.Equal(t, []string{"in flight: 3 4 5", "failed: 2 (Failed health check: HTTP 500 (task t2 ended FAILED))"},
		progress.Details(p), "what a terminal shows below the bar")

	var out bytes.Buffer
	show := progressPrinter{w: &out}
	show.update(info)
	info.Status = workflows.UpdateRollingBack
	info.Progress = workflows.UpdateProgress{Total: 3, InFlight: 1, Batch: 1, InFlightIDs: []int{0}}
	info.InstanceEvents = append(info.InstanceEvents,
		workflows.InstanceEvent{InstanceID: 0, Action: workflows.InstanceRollingBack},
		workflows.InstanceEvent{InstanceID: 3, Action: workflows.InstanceRollbackFailed, Message: "Exited with status 1 (task t3 ended FAILED)"})
	show.update(info)
	show.done()
	assert.Equal(t, "ROLLING_FORWARD: 2 of 6 instances done, 3 in flight, 1 failed, batch 2\n"+
		"instance 2 failed: Failed health check: HTTP 500 (task t2 ended FAILED)\n"+
		"in flight: 3 4 5\n"+
		"ROLLING_BACK: 0 of 3 instances done, 1 in flight, 0 failed, batch 1\n"+
		"instance 3 failed to roll back: Exited with status 1 (task t3 ended FAILED)\n"+
		"in flight: 0\n", out.String())
}
