// Package activities holds Borealis's Temporal activities: the only side
// effects of the job, instance and update workflows. Each is a method of
// [Activities], which holds their dependencies (the container runtime, a
// logger, an HTTP client); the worker registers an *Activities and
// workflows name the methods through a nil pointer:
//
//	var a *activities.Activities
//	workflow.ExecuteActivity(ctx, a.StartTask, in)
//
// Every activity is idempotent on the ids the workflow made (the task id
// names the container), so a retried attempt adopts what an earlier one
// did. Long waits (a task's end, health checks, a graceful stop) happen
// inside one activity that heartbeats, so a workflow's history grows by a
// constant per task, not per check. Errors are Temporal application errors:
// those retrying cannot fix are non-retryable with a type from the Err*
// constants; an unreachable Docker daemon is always retryable.
//
// The pure functions [TaskSpecFor] and [taskapi.HealthCheckFor] are deterministic
// and may be called from workflow code.
package activities
