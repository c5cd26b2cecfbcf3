package metrics

// Names of the metrics of jobs and their updates as Temporal knows them,
// the same on every worker of a deployment: the gauges computed at scrape
// time by a [VisibilityCollector], and the histograms the workflows record
// through their (replay-safe) metrics handler.
const (
	// JobInstancesDesired (gauge {job}): the instances the job has, each
	// with a running instance workflow: what it should run, next to
	// [JobInstancesRunning] and [JobInstancesHealthy]. A non-service
	// job's instance leaves it once its task finished for good.
	JobInstancesDesired = "borealis_job_instances_desired"
	// UpdatesActive (gauge {job,status}): the job's updates not finished
	// yet, by state (ROLLING_FORWARD, ROLL_FORWARD_PAUSED, ...); a job
	// has at most one, and no series when it has none.
	UpdatesActive = "borealis_updates_active"
	// VisibilityUp (gauge): 1 when the worker listed the workflows for
	// the two gauges above, 0 when Temporal's visibility failed or did
	// not answer in time (they are then left out).
	VisibilityUp = "borealis_visibility_up"

	// UpdateDuration (histogram {job,status}): seconds from an update's
	// start to its final state, the status label (ROLLED_FORWARD,
	// ROLLED_BACK, ABORTED, FAILED, ERROR); pauses included.
	UpdateDuration = "borealis_update_duration_seconds"
	// InstanceReplacementDuration (histogram {job}): seconds an update
	// (or its rollback) took to replace one instance's task: from the
	// moment the old task had stopped (with update_order start_first,
	// when the update asked for the new one) until the new task was
	// RUNNING, its health checks passed. Added instances count from
	// their first task's creation.
	InstanceReplacementDuration = "borealis_instance_replacement_duration_seconds"
)
