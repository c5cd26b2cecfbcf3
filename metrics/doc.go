// Package metrics exposes the worker's metrics in the Prometheus text
// exposition format without a metrics library: a [Registry] holds counters,
// gauges and timers; [Registry.Handler] is the
// [go.temporal.io/sdk/client.MetricsHandler] the Temporal client and worker
// (and, through them, workflow.GetMetricsHandler and
// activity.GetMetricsHandler) record into; and the Registry is the
// [net/http.Handler] that renders them, which [Serve] serves at GET /metrics.
//
// Names are sanitized to [a-zA-Z_:][a-zA-Z0-9_:]* and tag names to
// [a-zA-Z_][a-zA-Z0-9_]*. A counter named x is exposed as x_total; a gauge as
// x; a timer as the histogram x (x_bucket, x_sum, x_count) in seconds, with
// the buckets [Buckets], or those [Registry.SetBuckets] chose for its name
// ([DurationBuckets] for Borealis's durations). Output is sorted by name,
// then by label set.
//
// Besides the SDK's own temporal_* metrics, Borealis records:
//
//   - [TaskTransitions] (borealis_task_transitions_total{state}): every task
//     state change an instance workflow records, by the new state;
//     state="RESTARTING" counts restarts and state="THROTTLED" flapping
//     back-offs. Recorded through the workflow's metrics handler, which skips
//     replays.
//   - [HealthChecks] (borealis_health_checks_total{result}): health checks
//     run, result healthy, unhealthy or snoozed.
//   - [ContainerStarts] (borealis_container_starts_total{adopted}): task
//     containers started (adopted="false") or adopted from an earlier
//     attempt (adopted="true").
//   - [ContainerExits] (borealis_container_exits_total{outcome}): task
//     containers that stopped, outcome exited, oom (killed for memory) or
//     lost (the container vanished).
//
// Per job (label job, the job key, and host, the worker's host.name; never a
// task id), see jobs.go: the gauges [JobInstancesRunning],
// [JobInstancesHealthy] and [JobListingUp] are computed at each scrape by a
// [JobCollector] (a [Collector] given to [Registry.Register]) from the task
// containers the worker's runtime lists and what [Tasks] learned from the
// activities; the counters [JobTaskRestarts] and [JobHealthCheckFailures]
// are recorded by the activities.
//
// Per job across the deployment, see updates.go: the gauges
// [JobInstancesDesired], [UpdatesActive] and [VisibilityUp] are computed at
// each scrape by a [VisibilityCollector] from Temporal's visibility (the
// running instance and update workflows of the task queue); the histograms
// [UpdateDuration] and [InstanceReplacementDuration] are recorded by the
// update and instance workflows through their metrics handler, which skips
// replays, so they add nothing to any history.
//
// The activities' counters count what each attempt saw: a retried
// WaitTask that finds the same exit counts it again.
//
// The SDK's own temporal_* metrics are exported as it names them,
// unfiltered (their tags bound them; a workflow id is never one). It adds
// its own tags to Borealis's counters and histograms too: namespace,
// task_queue, workflow_type, activity_type ("none" in workflows),
// worker_type and client_name.
package metrics

// Names of Borealis's own counters, as recorded (the exposition adds _total).
const (
	TaskTransitions = "borealis_task_transitions"
	HealthChecks    = "borealis_health_checks"
	ContainerStarts = "borealis_container_starts"
	ContainerExits  = "borealis_container_exits"
)
