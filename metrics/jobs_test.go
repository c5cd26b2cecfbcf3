package metrics

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/jobkey"
)

// clock is a settable time for the collector and the tracker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var (
	jobWeb   = jobkey.Key{Cluster: "c", Role: "r", Environment: "prod", Name: "web"}
	jobBatch = jobkey.Key{Cluster: "c", Role: "r", Environment: "prod", Name: "batch"}
)

func startTask(t *testing.T, fake *dockerrun.Fake, job jobkey.Key, instance int, taskID string, ports ...string) {
	t.Helper()
	if _, err := fake.Start(context.Background(), dockerrun.TaskSpec{JobKey: job, Instance: instance, TaskID: taskID, PortNames: ports}); err != nil {
		t.Fatal(err)
	}
}

// jobSeries returns the job gauges' lines of the registry's output.
func jobSeries(t *testing.T, r *Registry) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(render(t, r), "\n") {
		if strings.HasPrefix(l, "borealis_job_") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

func newCollector(fake *dockerrun.Fake, clk *clock) (*Registry, *JobCollector, *Tasks) {
	tasks := newTasks(clk.now)
	c := &JobCollector{Runtime: fake, Host: "h1", Tasks: tasks, scrapeCache: scrapeCache{now: clk.now}}
	r := NewRegistry()
	r.Register(c)
	return r, c, tasks
}

func TestJobCollector(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	fake := dockerrun.NewFake()
	r, _, tasks := newCollector(fake, clk)

	// web: 0 has no health checks; 1 an HTTP check that passed, 2 one
	// still starting; 3 was replaced start_first: its old task is healthy,
	// its new one not yet; 4 ended.
	startTask(t, fake, jobWeb, 0, "web-0")
	tasks.Started("web-0", jobWeb.String(), false)
	for _, id := range []string{"web-1", "web-2", "web-3-old", "web-3-new", "web-4"} {
		inst := int(id[4] - '0')
		startTask(t, fake, jobWeb, inst, id, "health")
		tasks.Started(id, jobWeb.String(), true)
	}
	tasks.Health("web-1", true)
	tasks.Health("web-3-old", true)
	tasks.Health("web-3-new", false)
	if err := fake.Exit("web-4", 1, false); err != nil {
		t.Fatal(err)
	}
	// batch: its only task ended; the job still shows, with 0.
	startTask(t, fake, jobBatch, 0, "batch-0")
	tasks.Started("batch-0", jobBatch.String(), false)
	if err := fake.Exit("batch-0", 0, false); err != nil {
		t.Fatal(err)
	}

	want := strings.Join([]string{
		`borealis_job_instances_healthy{host="h1",job="c/r/prod/batch"} 0`,
		`borealis_job_instances_healthy{host="h1",job="c/r/prod/web"} 3`,
		`borealis_job_instances_running{host="h1",job="c/r/prod/batch"} 0`,
		`borealis_job_instances_running{host="h1",job="c/r/prod/web"} 4`,
		`borealis_job_listing_up{host="h1"} 1`,
	}, "\n")
	if got := jobSeries(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := tasks.Job("web-2"); got != jobWeb.String() {
		t.Errorf("Job(web-2) = %q", got)
	}
}

func TestJobCollectorCachesAndRefreshes(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	fake := dockerrun.NewFake()
	r, _, tasks := newCollector(fake, clk)
	startTask(t, fake, jobWeb, 0, "web-0")
	tasks.Started("web-0", jobWeb.String(), false)
	running := func() string {
		for _, l := range strings.Split(jobSeries(t, r), "\n") {
			if strings.HasPrefix(l, JobInstancesRunning) {
				return l[strings.LastIndexByte(l, ' ')+1:]
			}
		}
		return "absent"
	}
	if got := running(); got != "1" {
		t.Fatalf("running %s, want 1", got)
	}
	startTask(t, fake, jobWeb, 1, "web-1")
	if got := running(); got != "1" {
		t.Errorf("running %s within the TTL, want the cached 1", got)
	}
	clk.add(DefaultCacheTTL)
	if got := running(); got != "2" {
		t.Errorf("running %s after the TTL, want 2", got)
	}
	if err := fake.Remove(context.Background(), "web-0", dockerrun.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := fake.Remove(context.Background(), "web-1", dockerrun.RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	clk.add(DefaultCacheTTL)
	if got := running(); got != "absent" {
		t.Errorf("running %s once the job's containers are gone, want no series", got)
	}
}

func TestJobCollectorListingFails(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	fake := dockerrun.NewFake()
	r, _, _ := newCollector(fake, clk)
	startTask(t, fake, jobWeb, 0, "web-0")
	fake.FailNext("list", errors.New("docker is down"))
	if got, want := jobSeries(t, r), `borealis_job_listing_up{host="h1"} 0`; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	clk.add(DefaultCacheTTL)
	if got := jobSeries(t, r); !strings.Contains(got, `borealis_job_listing_up{host="h1"} 1`) ||
		!strings.Contains(got, `borealis_job_instances_running{host="h1",job="c/r/prod/web"} 1`) {
		t.Errorf("after Docker came back:\n%s", got)
	}
}

// blockingLister answers only when its context ends.
type blockingLister struct{}

func (blockingLister) List(ctx context.Context, _ jobkey.Key) ([]dockerrun.TaskState, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestJobCollectorTimeout(t *testing.T) {
	c := &JobCollector{Runtime: blockingLister{}, Host: "h1", Timeout: 50 * time.Millisecond}
	start := time.Now()
	got := c.Collect(context.Background())
	if len(got) != 1 || got[0].Name != JobListingUp || got[0].Value != 0 {
		t.Errorf("got %+v, want listing_up 0 alone", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Collect took %s with a 50ms timeout", d)
	}
}

// TestJobCollectorAfterRestart: a worker that did not start a task learns
// its health from its resumed health watch; until then a task with a
// health port is not healthy, and one without counts healthy once the
// grace for a shell check's watch to resume has passed.
func TestJobCollectorAfterRestart(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	fake := dockerrun.NewFake()
	startTask(t, fake, jobWeb, 0, "web-0")           // no checks
	startTask(t, fake, jobWeb, 1, "web-1", "health") // HTTP check
	startTask(t, fake, jobWeb, 2, "web-2")           // shell check
	r, _, tasks := newCollector(fake, clk)
	healthy := func() string {
		for _, l := range strings.Split(jobSeries(t, r), "\n") {
			if strings.HasPrefix(l, JobInstancesHealthy) {
				return l[strings.LastIndexByte(l, ' ')+1:]
			}
		}
		return "absent"
	}
	if got := healthy(); got != "0" {
		t.Errorf("healthy %s before anything is known, want 0", got)
	}
	tasks.Health("web-1", true)
	tasks.Health("web-2", false)
	clk.add(DefaultCacheTTL)
	if got := healthy(); got != "1" {
		t.Errorf("healthy %s once the watches resumed, want 1", got)
	}
	clk.add(DefaultHealthGrace)
	if got := healthy(); got != "2" {
		t.Errorf("healthy %s after the grace, want 2 (web-0 has no checks)", got)
	}
}

func TestTasksForgetsGoneTasks(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	fake := dockerrun.NewFake()
	r, _, tasks := newCollector(fake, clk)
	tasks.Started("gone", jobWeb.String(), false)
	startTask(t, fake, jobWeb, 0, "web-0")
	tasks.Started("web-0", jobWeb.String(), false)
	render(t, r)
	if tasks.Job("gone") == "" {
		t.Error("a task started just now was forgotten before its container is listed")
	}
	clk.add(DefaultHealthGrace + time.Second)
	render(t, r)
	if tasks.Job("gone") != "" {
		t.Error("a task without a container was kept after the grace")
	}
	if tasks.Job("web-0") == "" {
		t.Error("a listed task was forgotten")
	}

	var nilTasks *Tasks
	nilTasks.Started("t", "j", true)
	nilTasks.Health("t", true)
	nilTasks.SetJob("t", "j")
	if nilTasks.Job("t") != "" {
		t.Error("a nil tracker knows a job")
	}
}

// TestCollectorSamples: collector samples are sanitized, sorted among the
// recorded metrics, and never replace one.
func TestCollectorSamples(t *testing.T) {
	r := NewRegistry()
	r.Handler().Gauge("b").Update(1)
	r.Register(collectorFunc(func(context.Context) []Sample {
		return []Sample{
			{Name: "c.x", Labels: map[string]string{"k-1": `v"`}, Value: 2.5},
			{Name: "a", Value: 3},
			{Name: "b", Value: 9},
		}
	}))
	want := "# TYPE a gauge\na 3\n# TYPE b gauge\nb 1\n# TYPE c_x gauge\nc_x{k_1=\"v\\\"\"} 2.5\n"
	if got := render(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

type collectorFunc func(context.Context) []Sample

func (f collectorFunc) Collect(ctx context.Context) []Sample { return f(ctx) }
