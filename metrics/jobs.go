package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/jobkey"
)

// Names of the per-job metrics. The gauges are computed at scrape time by a
// [JobCollector]; the counters are recorded by the activities (the
// exposition adds _total).
const (
	// JobInstancesRunning (gauge {job,host}): instances of the job with a
	// running task container on this worker's host.
	JobInstancesRunning = "borealis_job_instances_running"
	// JobInstancesHealthy (gauge {job,host}): of those, the instances
	// whose task passed its health checks (Aurora's RUNNING), as this
	// worker knows; a task without health checks counts once it runs.
	JobInstancesHealthy = "borealis_job_instances_healthy"
	// JobListingUp (gauge {host}): 1 when the worker listed its task
	// containers for the scrape, 0 when Docker failed or did not answer in
	// time (the job gauges are then left out).
	JobListingUp = "borealis_job_listing_up"
	// JobTaskRestarts (counter {job,host}): task containers started to
	// replace an earlier task of the same instance (after a failure, a
	// restart or an update), not adoptions.
	JobTaskRestarts = "borealis_job_task_restarts"
	// JobHealthCheckFailures (counter {job,host}): health checks that
	// failed (snoozed checks are not failures).
	JobHealthCheckFailures = "borealis_job_health_check_failures"
)

// Default settings of a [JobCollector].
const (
	DefaultListTimeout = 5 * time.Second
	DefaultCacheTTL    = 5 * time.Second
	// DefaultHealthGrace is how long after a worker starts its tasks
	// without a health port still wait for a resumed health watch to say
	// whether they have a shell check: longer than the health activity's
	// heartbeat timeout plus its longest retry back-off.
	DefaultHealthGrace = time.Minute
)

// Tasks is what this worker learned about its tasks' health from the
// activities: which job a task belongs to, whether it has health checks,
// and what its last check said. It lives in memory; after a restart, a task
// becomes known again when its health watch resumes. Safe for concurrent
// use; a nil *Tasks records nothing.
type Tasks struct {
	mu    sync.Mutex
	now   func() time.Time
	since time.Time
	m     map[string]*taskEntry
}

type taskEntry struct {
	job string
	// known says healthy is the task's health (from its start or a check);
	// unknown tasks' health is guessed from their container.
	known, healthy bool
	updated        time.Time
}

// NewTasks returns an empty tracker, started now.
func NewTasks() *Tasks { return newTasks(time.Now) }

func newTasks(now func() time.Time) *Tasks {
	return &Tasks{now: now, since: now(), m: make(map[string]*taskEntry)}
}

// entry returns taskID's entry, made when missing; t.mu is held.
func (t *Tasks) entry(taskID string) *taskEntry {
	e := t.m[taskID]
	if e == nil {
		e = &taskEntry{}
		t.m[taskID] = e
	}
	e.updated = t.now()
	return e
}

// Started records that this worker started (or adopted) the task of job;
// checked says whether it has health checks. A task without them is
// healthy as soon as it runs; one with them once a check says so.
func (t *Tasks) Started(taskID, job string, checked bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(taskID)
	e.job = job
	if !e.known || !checked {
		e.known, e.healthy = true, !checked
	}
}

// Health records the task's health status after a check (or as a resumed
// watch restored it): healthy when RUNNING.
func (t *Tasks) Health(taskID string, healthy bool) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.entry(taskID)
	e.known, e.healthy = true, healthy
}

// SetJob records the job of a task.
func (t *Tasks) SetJob(taskID, job string) {
	if t == nil || job == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.entry(taskID).job = job
}

// Job returns the job of a task, "" when unknown.
func (t *Tasks) Job(taskID string) string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := t.m[taskID]; e != nil {
		return e.job
	}
	return ""
}

// JobCollector computes the per-job gauges from the task containers the
// worker's runtime lists, at most once per [JobCollector.TTL]: running
// instances from the containers, healthy ones from what [Tasks] learned.
// An instance with several running containers (start_first, a task
// replaced while its predecessor still stops) counts once, healthy when
// any of them is. A job counts on the host while it has any container,
// running or kept after it ended, so an instance that fails shows as 0
// rather than vanishing.
type JobCollector struct {
	// Runtime lists the task containers (a dockerrun.Runtime).
	Runtime interface {
		List(ctx context.Context, job jobkey.Key) ([]dockerrun.TaskState, error)
	}
	// Host is the host label's value (the worker's host.name).
	Host string
	// Tasks is what the activities learned; nil: none, so tasks count
	// healthy only when they have no health port, after HealthGrace.
	Tasks *Tasks
	// Timeout bounds a listing (default [DefaultListTimeout]); TTL is how
	// long its result serves scrapes (default [DefaultCacheTTL]);
	// HealthGrace is [DefaultHealthGrace] by default.
	Timeout, TTL, HealthGrace time.Duration

	scrapeCache
}

// Collect implements [Collector].
func (c *JobCollector) Collect(ctx context.Context) []Sample {
	down := []Sample{{Name: JobListingUp, Labels: map[string]string{"host": c.Host}, Value: 0}}
	return c.get(ctx, cmpOr(c.TTL, DefaultCacheTTL), cmpOr(c.Timeout, DefaultListTimeout), down,
		func(ctx context.Context, now time.Time) ([]Sample, error) {
			list, err := c.Runtime.List(ctx, jobkey.Key{})
			if err != nil {
				return nil, err
			}
			return c.samples(list, now), nil
		})
}

// samples computes the gauges from a listing.
func (c *JobCollector) samples(list []dockerrun.TaskState, now time.Time) []Sample {
	type inst struct{ running, healthy bool }
	jobs := map[string]map[int]*inst{}
	grace := c.HealthGrace
	if grace <= 0 {
		grace = DefaultHealthGrace
	}
	t := c.Tasks
	if t != nil {
		t.mu.Lock()
		defer t.mu.Unlock()
	}
	// Without a tracker the guess is allowed at once: nothing would
	// ever be learned.
	graceOver := t == nil || now.Sub(t.since) >= grace
	listed := make(map[string]bool, len(list))
	for _, st := range list {
		if st.JobKey == (jobkey.Key{}) {
			continue
		}
		job := st.JobKey.String()
		listed[st.TaskID] = true
		var e *taskEntry
		if t != nil {
			e = t.m[st.TaskID]
			if e == nil {
				e = &taskEntry{updated: now}
				t.m[st.TaskID] = e
			}
			e.job = job
		}
		if jobs[job] == nil {
			jobs[job] = map[int]*inst{}
		}
		in := jobs[job][st.Instance]
		if in == nil {
			in = &inst{}
			jobs[job][st.Instance] = in
		}
		if !st.Running {
			continue
		}
		in.running = true
		_, healthPort := st.Ports[config.HealthPortName]
		switch {
		case e != nil && e.known:
			in.healthy = in.healthy || e.healthy
		case !healthPort && graceOver:
			// No HTTP check; a shell check would have resumed its
			// watch by now.
			in.healthy = true
		}
	}
	if t != nil {
		// Forget the tasks whose containers are gone; keep those the
		// activities touched lately (a listing may predate their start).
		for id, e := range t.m {
			if !listed[id] && now.Sub(e.updated) > grace {
				delete(t.m, id)
			}
		}
	}
	out := []Sample{{Name: JobListingUp, Labels: map[string]string{"host": c.Host}, Value: 1}}
	for job, insts := range jobs {
		var running, healthy int
		for _, in := range insts {
			if in.running {
				running++
			}
			if in.healthy {
				healthy++
			}
		}
		labels := map[string]string{"job": job, "host": c.Host}
		out = append(out,
			Sample{Name: JobInstancesRunning, Labels: labels, Value: float64(running)},
			Sample{Name: JobInstancesHealthy, Labels: labels, Value: float64(healthy)})
	}
	return out
}
