package metrics

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func render(t *testing.T, r *Registry) string {
	t.Helper()
	var b strings.Builder
	n, err := r.WriteTo(&b)
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != b.Len() {
		t.Errorf("WriteTo returned %d, wrote %d bytes", n, b.Len())
	}
	checkExposition(t, b.String())
	return b.String()
}

var (
	typeLine   = regexp.MustCompile(`^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram)$`)
	sampleLine = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? \S+$`)
)

// checkExposition checks every line of out is a TYPE line or a sample of
// the text exposition format, and that no family is declared twice.
func checkExposition(t *testing.T, out string) {
	t.Helper()
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("output does not end with a line feed: %q", out)
	}
	declared := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		switch {
		case l == "" && out == "":
		case typeLine.MatchString(l):
			name := strings.Fields(l)[2]
			if declared[name] {
				t.Errorf("family %s declared twice", name)
			}
			declared[name] = true
		case sampleLine.MatchString(l):
		default:
			t.Errorf("invalid line %q", l)
		}
	}
}

func TestFormat(t *testing.T) {
	r := NewRegistry()
	h := r.Handler()
	if got := render(t, r); got != "" {
		t.Errorf("empty registry rendered %q", got)
	}
	h.Counter("requests").Inc(2)
	h.WithTags(map[string]string{"b": "2", "a": "1"}).Counter("requests").Inc(3)
	h.Counter("requests").Inc(-5) // ignored: counters never decrease
	h.Counter("already_total").Inc(1)
	h.Gauge("slots").Update(1.5)
	h.Gauge("slots").Update(4)
	tm := h.WithTags(map[string]string{"op": "poll"}).Timer("latency")
	tm.Record(3 * time.Millisecond)
	tm.Record(2 * time.Second)
	tm.Record(2 * time.Minute)

	want := `# TYPE already_total counter
already_total 1
# TYPE latency histogram
latency_bucket{op="poll",le="0.001"} 0
latency_bucket{op="poll",le="0.005"} 1
latency_bucket{op="poll",le="0.01"} 1
latency_bucket{op="poll",le="0.05"} 1
latency_bucket{op="poll",le="0.1"} 1
latency_bucket{op="poll",le="0.5"} 1
latency_bucket{op="poll",le="1"} 1
latency_bucket{op="poll",le="5"} 2
latency_bucket{op="poll",le="10"} 2
latency_bucket{op="poll",le="60"} 2
latency_bucket{op="poll",le="+Inf"} 3
latency_sum{op="poll"} 122.003
latency_count{op="poll"} 3
# TYPE requests_total counter
requests_total 2
requests_total{a="1",b="2"} 3
# TYPE slots gauge
slots 4
`
	if got := render(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTimerBucketBounds(t *testing.T) {
	r := NewRegistry()
	tm := r.Handler().Timer("t")
	tm.Record(time.Millisecond) // exactly on a bound: le is inclusive
	tm.Record(0)
	out := render(t, r)
	for _, line := range []string{`t_bucket{le="0.001"} 2`, `t_bucket{le="+Inf"} 2`, "t_sum 0.001", "t_count 2"} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
}

func TestWithTags(t *testing.T) {
	r := NewRegistry()
	parent := r.Handler().WithTags(map[string]string{"ns": "default", "queue": "q1"})
	child := parent.WithTags(map[string]string{"queue": "q2", "state": "RUNNING"})
	parent.Counter("c").Inc(1)
	child.Counter("c").Inc(1)
	want := `# TYPE c_total counter
c_total{ns="default",queue="q1"} 1
c_total{ns="default",queue="q2",state="RUNNING"} 1
`
	if got := render(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestEscapingAndSanitizing(t *testing.T) {
	r := NewRegistry()
	h := r.Handler().WithTags(map[string]string{
		"task-queue": "a\\b\"c\nd",
		"9lives":     "ünïcode",
	})
	h.Counter("temporal.request-latency").Inc(1)
	h.Gauge("1st:gauge").Update(-2)
	r.Handler().Gauge("").Update(1)
	want := `# TYPE _ gauge
_ 1
# TYPE _1st:gauge gauge
_1st:gauge{_9lives="ünïcode",task_queue="a\\b\"c\nd"} -2
# TYPE temporal_request_latency_total counter
temporal_request_latency_total{_9lives="ünïcode",task_queue="a\\b\"c\nd"} 1
`
	if got := render(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTagsThatSanitizeAlikeResolveStably(t *testing.T) {
	for range 20 {
		r := NewRegistry()
		r.Handler().WithTags(map[string]string{"a-b": "dash", "a.b": "dot", "a_b": "underscore"}).Counter("c").Inc(1)
		// Sorted, the last of "a-b", "a.b", "a_b" is "a_b".
		if got, want := render(t, r), "# TYPE c_total counter\nc_total{a_b=\"underscore\"} 1\n"; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestKindConflict(t *testing.T) {
	r := NewRegistry()
	h := r.Handler()
	h.Gauge("x").Update(1)
	h.Timer("x").Record(time.Second)
	h.Gauge("y_total").Update(2)
	h.Counter("y").Inc(3)
	out := render(t, r)
	for _, line := range []string{"# TYPE x gauge", "# TYPE x_histogram histogram", "x_histogram_count 1",
		"# TYPE y_total gauge", "y_total 2", "# TYPE y_counter_total counter", "y_counter_total 3"} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	h.Timer("x").Record(time.Second) // the same conflicting series again
	if out := render(t, r); !strings.Contains(out, "x_histogram_count 2\n") {
		t.Errorf("second record not counted:\n%s", out)
	}
}

func TestConcurrent(t *testing.T) {
	r := NewRegistry()
	const goroutines, n = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			h := r.Handler().WithTags(map[string]string{"g": fmt.Sprint(g % 2)})
			for i := range n {
				h.Counter("c").Inc(1)
				h.Gauge("g").Update(float64(i))
				h.Timer("t").Record(time.Duration(i) * time.Millisecond)
				if i%50 == 0 {
					var b strings.Builder
					r.WriteTo(&b)
				}
			}
		})
	}
	wg.Wait()
	out := render(t, r)
	for _, g := range []string{"0", "1"} {
		total := goroutines / 2 * n
		for _, line := range []string{
			fmt.Sprintf(`c_total{g=%q} %d`, g, total),
			fmt.Sprintf(`t_count{g=%q} %d`, g, total),
			fmt.Sprintf(`t_bucket{g=%q,le="+Inf"} %d`, g, total),
			fmt.Sprintf(`g{g=%q} %d`, g, n-1),
		} {
			if !strings.Contains(out, line+"\n") {
				t.Errorf("output lacks %q:\n%s", line, out)
			}
		}
	}
}
