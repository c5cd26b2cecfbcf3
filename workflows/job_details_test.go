package workflows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/workflows"
)

// queryWorkflowMetadata is the built-in query the Temporal Web UI asks a
// running workflow for its current details.
const queryWorkflowMetadata = "__temporal_workflow_metadata"

// currentDetails asks a workflow (its latest run) for its current details.
func (e *env) currentDetails(workflowID string) (string, error) {
	v, err := e.c.QueryWorkflow(context.Background(), workflowID, "", queryWorkflowMetadata)
	if err != nil {
		return "", err
	}
	var md sdkpb.WorkflowMetadata
	if err := v.Get(&md); err != nil {
		return "", err
	}
	return md.GetCurrentDetails(), nil
}

// waitDetails waits until the job workflow's current details hold every
// one of want, and returns them.
func (e *env) waitDetails(key string, want ...string) string {
	e.t.Helper()
	var details string
	poll.Until(e.t, e.timeout, "job details with "+strings.Join(want, " and "), func() (bool, string) {
		d, err := e.currentDetails(workflows.JobWorkflowID(key))
		if err != nil {
			return false, err.Error()
		}
		details = d
		for _, w := range want {
			if !strings.Contains(d, w) {
				return false, d
			}
		}
		return true, d
	})
	return details
}

// TestJobDetailsFollowTheRecord checks the job workflow's details in the
// Web UI follow its record: the instances after a job add, the update while
// it is active and the config each instance runs once it is over, the
// instances killed.
func TestJobDetailsFollowTheRecord(t *testing.T) {
	e := newEnv(t)
	v1 := e.versioned("details", 2, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 2)
	d := e.waitDetails(key, "**2 instances**: 0-1")
	assert.NotContains(t, d, "update `")

	var res workflows.OpResult
	require.NoError(t, e.update(key, workflows.UpdateAdd, workflows.AddRequest{From: 0, Count: 1}, &res))
	assert.Equal(t, []int{2}, res.Instances)
	e.running(key, 2)
	e.waitDetails(key, "**3 instances**: 0-2")

	// The update pauses after its first batch, so it is seen active.
	v2 := e.versioned("details", 3, 2, nil)
	v2.UpdateConfig.UpdateStrategy = &config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: 1, AutopauseAfterBatch: true}}
	_, err := e.startUpdate(v2, "u1")
	require.NoError(t, err)
	e.waitDetails(key, "**3 instances**: 0-2", "update `u1` in progress", workflows.UpdateWorkflowID(key, "u1"),
		"configs: update `u1` 0, first 1-2")

	// Aborted once paused.
	poll.Until(t, e.timeout, "update u1 paused", func() (bool, string) {
		s := e.updateInfo(key, "u1").Status
		return s == workflows.UpdateRollForwardPaused, string(s)
	})
	_, err = e.op(key, "u1", workflows.UpdateAbort)
	require.NoError(t, err)
	e.waitUpdate(key, "u1")
	d = e.waitDetails(key, "configs: update `u1` 0, first 1-2")
	assert.NotContains(t, d, "in progress", "the update is over")

	require.NoError(t, e.update(key, workflows.UpdateKill, workflows.KillRequest{Instances: []int{1}}, nil))
	e.waitDetails(key, "**2 instances**: 0,2", "killed: 1")
}
