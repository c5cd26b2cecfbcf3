package metrics

import (
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Buckets are the upper bounds, in seconds, of a timer's histogram buckets
// (+Inf is implied) unless [Registry.SetBuckets] chose others. They span a
// fast gRPC call to a long poll: the SDK's latencies. Read only: timers
// size their counts by it.
var Buckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60}

// DurationBuckets are the bucket bounds, in seconds, of Borealis's own
// durations ([UpdateDuration], [InstanceReplacementDuration]): from half a
// second (a task without health checks replaced on a fast machine) to four
// hours (an update of many batches, or one paused for a while). Read only.
var DurationBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400}

// durations are the timers [NewRegistry] gives [DurationBuckets].
var durations = []string{UpdateDuration, InstanceReplacementDuration}

// SetBuckets makes the timers named name (as recorded; a name sanitizes as
// the handler's do) histograms with the upper bounds bounds, in seconds
// (+Inf implied), instead of [Buckets]. bounds are copied, sorted, and
// rid of duplicates, NaN and +Inf. Series recorded before keep their buckets.
func (r *Registry) SetBuckets(name string, bounds []float64) {
	b := slices.DeleteFunc(slices.Clone(bounds), func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 1) })
	slices.Sort(b)
	b = slices.Compact(b)
	r.mu.Lock()
	r.buckets[sanitize(name, true)] = b
	r.mu.Unlock()
}

// bucketsOf returns the bucket bounds of the timers named name; r.mu is
// held.
func (r *Registry) bucketsOf(name string) []float64 {
	if b, ok := r.buckets[name]; ok {
		return b
	}
	return Buckets
}

// timer is one histogram series.
type timer struct {
	bounds []float64 // upper bounds, sorted; +Inf is implied
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    time.Duration
}

func newTimer(bounds []float64) *timer {
	return &timer{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

// Record adds one observation of d.
func (t *timer) Record(d time.Duration) {
	s := d.Seconds()
	i := sort.SearchFloat64s(t.bounds, s) // first bound >= s
	t.mu.Lock()
	t.counts[i]++
	t.sum += d
	t.mu.Unlock()
}
