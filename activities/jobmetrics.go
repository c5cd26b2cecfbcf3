package activities

import (
	"context"
	"strconv"
	"strings"

	"go.temporal.io/sdk/activity"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/taskapi"
)

// Per-job metrics (package metrics names them): the counters are recorded
// in the activity's metrics handler with the labels job and host, and what
// the activities learn of a task's health goes to [Activities.Tasks] for the
// worker's scrape-time gauges.

// countJob adds one to the counter name of job on this worker's host; with
// a plain context, or no job, it does nothing.
func countJob(ctx context.Context, a *Activities, name, job string) {
	if job != "" && activity.IsActivity(ctx) {
		activity.GetMetricsHandler(ctx).WithTags(map[string]string{"job": job, "host": taskHostName(a)}).Counter(name).Inc(1)
	}
}

// trackStart records a started (or adopted) task: its job and whether it
// has health checks, and counts a restart when a new container replaces an
// earlier task of the instance.
func trackStart(ctx context.Context, a *Activities, in taskapi.StartTaskInput, adopted bool) {
	a.Tasks.Started(in.TaskID, in.JobKey, in.Job.HealthChecker() != config.HealthCheckerNone)
	if !adopted && taskSeq(in.TaskID, in.Instance) > 1 {
		countJob(ctx, a, metrics.JobTaskRestarts, in.JobKey)
	}
}

// trackHealth records the task's health status, and counts a failed check
// r (nil: no check ran, the status was restored or is "none"'s).
func trackHealth(ctx context.Context, a *Activities, taskID string, status health.Status, r *health.CheckResult) {
	a.Tasks.Health(taskID, status == health.StatusRunning)
	if r != nil && !r.Healthy && !r.Snoozed {
		countJob(ctx, a, metrics.JobHealthCheckFailures, jobOf(ctx, a, taskID))
	}
}

// jobOf is the job key of a task: as the tracker knows it, else from its
// container's labels (then remembered); "" when neither says.
func jobOf(ctx context.Context, a *Activities, taskID string) string {
	if job := a.Tasks.Job(taskID); job != "" {
		return job
	}
	st, err := a.Runtime.Inspect(ctx, taskID)
	if err != nil || st == nil || st.JobKey.Name == "" {
		return ""
	}
	job := st.JobKey.String()
	a.Tasks.SetJob(taskID, job)
	return job
}

// taskSeq is the seq of a task id <role>-<env>-<name>-<instance>-<seq>-<run>
// (docs/semantics.md §7.4), counting the instance's tasks from 1; 0 when
// the id is not of that form for instance.
func taskSeq(taskID string, instance int) int {
	parts := strings.Split(taskID, "-")
	if len(parts) < 6 || parts[len(parts)-3] != strconv.Itoa(instance) {
		return 0
	}
	seq, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil || seq < 0 {
		return 0
	}
	return seq
}
