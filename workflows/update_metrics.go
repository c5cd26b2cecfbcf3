package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// Names of the histograms the workflows record (package metrics documents
// them as UpdateDuration and InstanceReplacementDuration; a test checks
// they match). They go through the workflow's metrics handler, which
// records nothing while a run replays, so they add nothing to a history
// and count each live moment once.
const (
	updateDurationMetric      = "borealis_update_duration_seconds"
	replacementDurationMetric = "borealis_instance_replacement_duration_seconds"
)

// timeUpdate records how long the update took, from its start to its final
// state s.
func (u *update) timeUpdate(ctx workflow.Context, s UpdateStatus) {
	took := time.Duration(u.now(ctx)-u.info.Started) * time.Millisecond
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"job": u.in.JobKey, "status": string(s)}).
		Timer(updateDurationMetric).Record(took)
}
