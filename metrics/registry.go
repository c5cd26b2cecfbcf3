package metrics

import (
	"bufio"
	"context"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.temporal.io/sdk/client"
)

// Registry holds metrics and renders them in the Prometheus text exposition
// format. It is safe for concurrent use; the zero value is not: use
// [NewRegistry].
type Registry struct {
	mu sync.RWMutex
	// families by exposed name; each family's series are guarded by mu too.
	families map[string]*family
	// collectors report gauges computed at each scrape.
	collectors []Collector
	// buckets are the bucket bounds of the timers named so, when not
	// [Buckets] (see [Registry.SetBuckets]).
	buckets map[string][]float64
}

// A Collector reports gauges computed when the registry is rendered, so
// that they show what is true at scrape time rather than what was recorded.
type Collector interface {
	// Collect returns the current samples. ctx is the scrape's: Collect
	// must return soon after it ends (and should bound its own work).
	Collect(ctx context.Context) []Sample
}

// Sample is one gauge series a [Collector] reports. Names and label names
// are sanitized as the handler's are. A sample whose name is taken by a
// metric recorded through [Registry.Handler] is dropped; of two samples with
// the same name and labels, the later wins.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Register adds a collector whose samples every rendering includes.
func (r *Registry) Register(c Collector) {
	r.mu.Lock()
	r.collectors = append(r.collectors, c)
	r.mu.Unlock()
}

// NewRegistry returns an empty registry. Its timers' buckets are [Buckets],
// but for Borealis's durations: [DurationBuckets].
func NewRegistry() *Registry {
	r := &Registry{families: make(map[string]*family), buckets: make(map[string][]float64)}
	for _, name := range durations {
		r.buckets[name] = DurationBuckets
	}
	return r
}

// Handler returns the registry's root metrics handler, without tags.
func (r *Registry) Handler() client.MetricsHandler {
	return &handler{reg: r}
}

type kind int

const (
	kindCounter kind = iota
	kindGauge
	kindTimer
)

func (k kind) String() string {
	return [...]string{"counter", "gauge", "histogram"}[k]
}

type family struct {
	kind   kind
	series map[string]any // *counter, *gauge or *timer by rendered label set
}

type counter struct{ v atomic.Int64 }

// Inc adds d; a negative d is ignored, as a counter never decreases.
func (c *counter) Inc(d int64) {
	if d > 0 {
		c.v.Add(d)
	}
}

type gauge struct{ bits atomic.Uint64 }

func (g *gauge) Update(v float64) { g.bits.Store(math.Float64bits(v)) }

// handler is a client.MetricsHandler whose metrics carry labels.
type handler struct {
	reg    *Registry
	tags   map[string]string // sanitized name -> value
	labels string            // rendered: `{a="x",b="y"}`, or "" without tags
}

// WithTags returns a handler whose metrics also carry tags; a tag already
// set is overwritten.
func (h *handler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	// Sorted, so that tags whose names sanitize alike resolve the same way
	// every time.
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		merged[sanitize(k, false)] = tags[k]
	}
	return &handler{reg: h.reg, tags: merged, labels: renderLabels(merged)}
}

// sanitizedLabels renders tags, their names sanitized as WithTags does.
func sanitizedLabels(tags map[string]string) string {
	return (&handler{}).WithTags(tags).(*handler).labels
}

func (h *handler) Counter(name string) client.MetricsCounter {
	name = sanitize(name, true)
	if !strings.HasSuffix(name, "_total") {
		name += "_total"
	}
	return h.reg.get(kindCounter, name, h.labels).(*counter)
}

func (h *handler) Gauge(name string) client.MetricsGauge {
	return h.reg.get(kindGauge, sanitize(name, true), h.labels).(*gauge)
}

func (h *handler) Timer(name string) client.MetricsTimer {
	return h.reg.get(kindTimer, sanitize(name, true), h.labels).(*timer)
}

// get returns the series of the named family with labels, making both when
// needed. A name already taken by another kind gets the kind as a suffix
// (x_gauge), so that the output stays valid.
func (r *Registry) get(k kind, name, labels string) any {
	r.mu.RLock()
	if f := r.families[name]; f != nil && f.kind == k {
		if s := f.series[labels]; s != nil {
			r.mu.RUnlock()
			return s
		}
	}
	r.mu.RUnlock()

	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.families[name]
	for f != nil && f.kind != k {
		name = suffixed(name, k)
		f = r.families[name]
	}
	if f == nil {
		f = &family{kind: k, series: make(map[string]any)}
		r.families[name] = f
	}
	s := f.series[labels]
	if s == nil {
		switch k {
		case kindCounter:
			s = &counter{}
		case kindGauge:
			s = &gauge{}
		default:
			s = newTimer(r.bucketsOf(name))
		}
		f.series[labels] = s
	}
	return s
}

// suffixed is name with k's name appended, before _total for a counter.
func suffixed(name string, k kind) string {
	if k == kindCounter {
		return strings.TrimSuffix(name, "_total") + "_counter_total"
	}
	return name + "_" + k.String()
}

// WriteTo writes every metric in the Prometheus text exposition format
// (version 0.0.4), families sorted by name and series by label set. The
// registered collectors are asked for their samples first.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	return r.write(context.Background(), w)
}

// collected asks every collector for its samples, all at once: gauge
// series by sanitized name, then rendered label set; of two collectors'
// samples of one series, the later registered wins.
func (r *Registry) collected(ctx context.Context) map[string]map[string]any {
	r.mu.RLock()
	cs := append([]Collector(nil), r.collectors...)
	r.mu.RUnlock()
	if len(cs) == 0 {
		return nil
	}
	// Concurrently, so that a scrape waits for the slowest collector
	// rather than for all of them in turn.
	got := make([][]Sample, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() { got[i] = c.Collect(ctx) })
	}
	wg.Wait()
	out := make(map[string]map[string]any)
	for _, samples := range got {
		for _, s := range samples {
			name := sanitize(s.Name, true)
			if out[name] == nil {
				out[name] = make(map[string]any)
			}
			g := &gauge{}
			g.Update(s.Value)
			out[name][sanitizedLabels(s.Labels)] = g
		}
	}
	return out
}

func (r *Registry) write(ctx context.Context, w io.Writer) (int64, error) {
	extra := r.collected(ctx)
	cw := &countingWriter{w: w}
	bw := bufio.NewWriter(cw)
	r.mu.RLock()
	families := make(map[string]*family, len(r.families)+len(extra))
	for n, f := range r.families {
		families[n] = f
	}
	for n, series := range extra {
		if families[n] == nil {
			families[n] = &family{kind: kindGauge, series: series}
		}
	}
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := families[name]
		labelSets := make([]string, 0, len(f.series))
		for l := range f.series {
			labelSets = append(labelSets, l)
		}
		sort.Strings(labelSets)
		bw.WriteString("# TYPE " + name + " " + f.kind.String() + "\n")
		for _, l := range labelSets {
			writeSeries(bw, name, l, f.series[l])
		}
	}
	r.mu.RUnlock()
	err := bw.Flush()
	return cw.n, err
}

func writeSeries(w *bufio.Writer, name, labels string, s any) {
	switch s := s.(type) {
	case *counter:
		w.WriteString(name + labels + " " + strconv.FormatInt(s.v.Load(), 10) + "\n")
	case *gauge:
		w.WriteString(name + labels + " " + formatFloat(math.Float64frombits(s.bits.Load())) + "\n")
	case *timer:
		s.mu.Lock()
		counts := append([]uint64(nil), s.counts...)
		sum := s.sum
		s.mu.Unlock()
		var cum uint64
		for i, c := range counts {
			cum += c
			le := math.Inf(1)
			if i < len(s.bounds) {
				le = s.bounds[i]
			}
			w.WriteString(name + "_bucket" + withLabel(labels, "le", formatFloat(le)) + " " + strconv.FormatUint(cum, 10) + "\n")
		}
		w.WriteString(name + "_sum" + labels + " " + formatFloat(sum.Seconds()) + "\n")
		w.WriteString(name + "_count" + labels + " " + strconv.FormatUint(cum, 10) + "\n")
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// sanitize replaces every character of name not allowed in a metric name
// (or, without colons, a label name) with _, and prefixes a leading digit.
func sanitize(name string, colons bool) string {
	if valid(name, colons) {
		return name
	}
	if name == "" {
		return "_"
	}
	var b strings.Builder
	for i, c := range name {
		ok := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (colons && c == ':')
		if !ok && c >= '0' && c <= '9' {
			if i == 0 {
				b.WriteByte('_')
			}
			ok = true
		}
		if ok {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func valid(name string, colons bool) bool {
	for i, c := range name {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (colons && c == ':') || (i > 0 && c >= '0' && c <= '9')) {
			return false
		}
	}
	return name != ""
}

// renderLabels renders tags as a label set, sorted by name.
func renderLabels(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	names := make([]string, 0, len(tags))
	for n := range tags {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n + `="` + escape(tags[n]) + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

// withLabel adds name="value" (value already escaped) to a rendered label set.
func withLabel(labels, name, value string) string {
	if labels == "" {
		return "{" + name + `="` + value + `"}`
	}
	return labels[:len(labels)-1] + "," + name + `="` + value + `"}`
}

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// escape escapes a label value: backslash, double quote and line feed.
func escape(v string) string { return escaper.Replace(v) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
