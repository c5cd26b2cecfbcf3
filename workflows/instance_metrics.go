package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// timeReplacement records, when the active task has just become RUNNING
// (status) under an update's watch (a replace: a changed or added
// instance, forward or back), how long its instance took to get there:
// since the task was made, which is once the old task had stopped, or,
// with update_order start_first, once the update asked.
func (w *instance) timeReplacement(ctx workflow.Context, status TaskStatus) {
	t, watch := w.st.Active, w.st.Watch
	if status != StatusRunning || t == nil || watch == nil || watch.Kind != RequestReplace || w.st.WatchTask != t.TaskID || len(t.TaskEvents) == 0 {
		return
	}
	took := time.Duration(w.now(ctx)-t.TaskEvents[0].Timestamp) * time.Millisecond
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"job": w.in.JobKey}).
		Timer(replacementDurationMetric).Record(took)
}
