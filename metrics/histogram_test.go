package metrics

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDurationBuckets: Borealis's durations are histograms with
// DurationBuckets, seconds to hours, whatever tags they carry; other
// timers keep Buckets.
func TestDurationBuckets(t *testing.T) {
	r := NewRegistry()
	h := r.Handler().WithTags(map[string]string{"job": "c/r/e/web", "status": "ROLLED_FORWARD"})
	h.Timer(UpdateDuration).Record(90 * time.Second)
	h.Timer(UpdateDuration).Record(5 * time.Hour)
	r.Handler().WithTags(map[string]string{"job": "c/r/e/web"}).Timer(InstanceReplacementDuration).Record(3 * time.Second)
	r.Handler().Timer("other").Record(90 * time.Second)
	out := render(t, r)
	labels := `{job="c/r/e/web",status="ROLLED_FORWARD"`
	for _, line := range []string{
		"# TYPE borealis_update_duration_seconds histogram",
		`borealis_update_duration_seconds_bucket` + labels + `,le="60"} 0`,
		`borealis_update_duration_seconds_bucket` + labels + `,le="120"} 1`,
		`borealis_update_duration_seconds_bucket` + labels + `,le="14400"} 1`,
		`borealis_update_duration_seconds_bucket` + labels + `,le="+Inf"} 2`,
		`borealis_update_duration_seconds_sum` + labels + `} 18090`,
		`borealis_update_duration_seconds_count` + labels + `} 2`,
		`borealis_instance_replacement_duration_seconds_bucket{job="c/r/e/web",le="2"} 0`,
		`borealis_instance_replacement_duration_seconds_bucket{job="c/r/e/web",le="5"} 1`,
		`borealis_instance_replacement_duration_seconds_count{job="c/r/e/web"} 1`,
		`other_bucket{le="60"} 0`,
		`other_bucket{le="+Inf"} 1`,
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	if n := strings.Count(out, "borealis_update_duration_seconds_bucket"); n != len(DurationBuckets)+1 {
		t.Errorf("%d update duration buckets, want %d:\n%s", n, len(DurationBuckets)+1, out)
	}
}

// TestSetBuckets: bounds are sorted, deduplicated and rid of +Inf and NaN;
// the name is matched as sanitized; a series made before keeps its buckets.
func TestSetBuckets(t *testing.T) {
	r := NewRegistry()
	r.Handler().Timer("before").Record(time.Second)
	r.SetBuckets("before", []float64{3})
	r.SetBuckets("my.timer", []float64{10, 1, 10, math.Inf(1), math.NaN()})
	r.Handler().Timer("my.timer").Record(2 * time.Second)
	r.Handler().Timer("before").Record(time.Second)
	want := `# TYPE before histogram
before_bucket{le="0.001"} 0
before_bucket{le="0.005"} 0
before_bucket{le="0.01"} 0
before_bucket{le="0.05"} 0
before_bucket{le="0.1"} 0
before_bucket{le="0.5"} 0
before_bucket{le="1"} 2
before_bucket{le="5"} 2
before_bucket{le="10"} 2
before_bucket{le="60"} 2
before_bucket{le="+Inf"} 2
before_sum 2
before_count 2
# TYPE my_timer histogram
my_timer_bucket{le="1"} 0
my_timer_bucket{le="10"} 1
my_timer_bucket{le="+Inf"} 1
my_timer_sum 2
my_timer_count 1
`
	if got := render(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// meetingCollector reports one gauge once every collector of its group
// is collecting too, or after a second without them.
type meetingCollector struct {
	name  string
	group *sync.WaitGroup
	met   atomic.Bool
}

func (c *meetingCollector) Collect(ctx context.Context) []Sample {
	c.group.Done()
	met := make(chan struct{})
	go func() { c.group.Wait(); close(met) }()
	select {
	case <-met:
		c.met.Store(true)
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	return []Sample{{Name: c.name, Value: 1}}
}

// TestCollectorsRunAtOnce: the collectors are asked all at once, so a
// scrape waits for the slowest, not for the sum of them.
func TestCollectorsRunAtOnce(t *testing.T) {
	r := NewRegistry()
	var group sync.WaitGroup
	group.Add(2)
	a := &meetingCollector{name: "a", group: &group}
	b := &meetingCollector{name: "b", group: &group}
	r.Register(a)
	r.Register(b)
	if out := render(t, r); out != "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n" {
		t.Errorf("got %q", out)
	}
	if !a.met.Load() || !b.met.Load() {
		t.Error("the collectors were not collecting at the same time")
	}
}
