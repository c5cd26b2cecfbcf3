package workflows

import "fmt"

// endedReason is what an instance answers the request watching a task
// that ended: why, as the task's last event says, then which task and how
// it ended ("Failed health check: ... (task T ended FAILED)"), so that the
// update that asked can say why the instance failed.
func endedReason(t *TaskInfo) string {
	ended := fmt.Sprintf("task %s ended %s", t.TaskID, t.Status)
	if n := len(t.TaskEvents); n > 0 && t.TaskEvents[n-1].Message != "" {
		return t.TaskEvents[n-1].Message + " (" + ended + ")"
	}
	return ended
}
