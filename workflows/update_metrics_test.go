package workflows_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/workflows"
)

// metricSum sums the samples of name in a rendering of reg whose labels
// include every one of want.
func metricSum(t *testing.T, reg *metrics.Registry, name string, want ...string) float64 {
	t.Helper()
	var b strings.Builder
	_, err := reg.WriteTo(&b)
	require.NoError(t, err)
	var sum float64
	for _, l := range strings.Split(b.String(), "\n") {
		rest, ok := strings.CutPrefix(l, name+"{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		matches := true
		for _, w := range want {
			matches = matches && strings.Contains(","+labels+",", ","+w+",")
		}
		if v, err := strconv.ParseFloat(value, 64); matches && err == nil {
			sum += v
		}
	}
	return sum
}

// TestUpdateMetrics: an update records its duration, by final state, and
// the replacement time of each instance it changed or added, through the
// workflows' metrics handler; a worker that replays the histories later
// records none of them again.
func TestUpdateMetrics(t *testing.T) {
	reg := metrics.NewRegistry()
	e := newWorkerlessEnv(t)
	c, err := client.NewClientFromExisting(e.c, client.Options{MetricsHandler: reg.Handler()})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	e.c = c
	w := e.startWorker()

	v1 := e.versioned("timed", 3, 1, nil)
	e.create(v1)
	key := v1.Key()
	e.runningAll(key, 3)
	v2 := e.versioned("timed", 4, 2, nil)
	v2.UpdateConfig.BatchSize = 2
	_, err = e.startUpdate(v2, "u1")
	require.NoError(t, err)
	require.Equal(t, workflows.UpdateRolledForward, e.waitUpdate(key, "u1").Status)

	job := `job="` + key + `"`
	counts := func() (updates, rolledForward, replacements float64) {
		return metricSum(t, reg, metrics.UpdateDuration+"_count", job),
			metricSum(t, reg, metrics.UpdateDuration+"_count", job, `status="ROLLED_FORWARD"`),
			metricSum(t, reg, metrics.InstanceReplacementDuration+"_count", job)
	}
	updates, rolledForward, replacements := counts()
	assert.Equal(t, 1.0, updates, "one update timed")
	assert.Equal(t, 1.0, rolledForward, "timed as ROLLED_FORWARD")
	assert.Equal(t, 4.0, replacements, "three instances replaced and one added")
	assert.Positive(t, metricSum(t, reg, metrics.UpdateDuration+"_sum", job))

	// A new worker replays the update's and the instances' histories.
	w.Stop()
	w = e.startWorker()
	t.Cleanup(w.Stop)
	assert.Equal(t, workflows.UpdateRolledForward, e.updateInfo(key, "u1").Status)
	e.runningAll(key, 4)
	u, f, r := counts()
	assert.Equal(t, []float64{1, 1, 4}, []float64{u, f, r}, "replays record nothing")
}
