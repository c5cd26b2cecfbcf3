package health

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNone(t *testing.T) {
	var c Checker = None{}
	assert.Equal(t, Outcome{Healthy: true}, c.Check(context.Background()))
}

func TestSnooze(t *testing.T) {
	dir := t.TempDir()
	calls := 0
	inner := CheckerFunc(func(context.Context) Outcome {
		calls++
		return Outcome{Reason: "down"}
	})
	c := WithSnooze(inner, dir)

	assert.False(t, Snoozed(dir))
	assert.Equal(t, Outcome{Reason: "down"}, c.Check(context.Background()))
	assert.Equal(t, 1, calls)

	snooze := filepath.Join(dir, SnoozeFile)
	require.NoError(t, os.WriteFile(snooze, nil, 0o644))
	assert.True(t, Snoozed(dir))
	assert.Equal(t, Outcome{Healthy: true, Snoozed: true, Reason: ReasonSnoozed}, c.Check(context.Background()))
	assert.Equal(t, 1, calls, "a snoozed check does not run")

	require.NoError(t, os.Remove(snooze))
	assert.Equal(t, Outcome{Reason: "down"}, c.Check(context.Background()))
	assert.Equal(t, 2, calls)

	// A directory of that name is not the snooze file; no sandbox never snoozes.
	require.NoError(t, os.Mkdir(snooze, 0o755))
	assert.False(t, Snoozed(dir))
	assert.False(t, Snoozed(""))
}

func TestMeasure(t *testing.T) {
	before := time.Now()
	r := Measure(context.Background(), CheckerFunc(func(context.Context) Outcome {
		return Outcome{Healthy: true, Snoozed: true, Reason: ReasonSnoozed}
	}))
	assert.False(t, r.Time.Before(before))
	assert.GreaterOrEqual(t, r.Latency, time.Duration(0))
	assert.Equal(t, Outcome{Healthy: true, Snoozed: true, Reason: ReasonSnoozed}, r.Outcome())
}

func TestHistory(t *testing.T) {
	h := NewHistory(3)
	_, ok := h.Last()
	assert.False(t, ok)
	assert.False(t, h.Snoozed())

	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	add := func(i int, o Outcome) {
		h.Add(CheckResult{Time: t0.Add(time.Duration(i) * 10 * time.Second), Latency: time.Millisecond,
			Healthy: o.Healthy, Reason: o.Reason, Snoozed: o.Snoozed})
	}
	add(0, Outcome{Reason: "refused"})
	add(1, Outcome{Reason: "refused"})
	assert.Equal(t, 2, h.ConsecutiveFailures)
	add(2, Outcome{Healthy: true})
	add(3, Outcome{Healthy: true, Snoozed: true, Reason: ReasonSnoozed})
	add(4, Outcome{Healthy: true})

	assert.Equal(t, 5, h.Total)
	assert.Equal(t, 2, h.TotalFailures)
	assert.Equal(t, 3, h.ConsecutiveSuccesses)
	assert.Equal(t, 0, h.ConsecutiveFailures)
	require.Len(t, h.Results, 3, "only the last Limit results are kept")
	assert.Equal(t, t0.Add(20*time.Second), h.Results[0].Time, "oldest first")
	last, ok := h.Last()
	require.True(t, ok)
	assert.Equal(t, t0.Add(40*time.Second), last.Time)
	assert.False(t, h.Snoozed())

	add(5, Outcome{Reason: "500"})
	assert.Equal(t, 0, h.ConsecutiveSuccesses)
	assert.Equal(t, 1, h.ConsecutiveFailures)

	// It survives JSON, as heartbeat details do.
	b, err := json.Marshal(h)
	require.NoError(t, err)
	var back History
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *h, back)
	back.Add(CheckResult{Healthy: true, Snoozed: true, Reason: ReasonSnoozed})
	assert.True(t, back.Snoozed())
	assert.Len(t, back.Results, 3)

	// A zero History and a bad limit use the default limit.
	assert.Equal(t, DefaultHistoryLimit, NewHistory(0).Limit)
	var zero History
	for range DefaultHistoryLimit + 5 {
		zero.Add(CheckResult{Healthy: true})
	}
	assert.Len(t, zero.Results, DefaultHistoryLimit)
	assert.Equal(t, DefaultHistoryLimit+5, zero.Total)
}

func TestShorten(t *testing.T) {
	assert.Equal(t, "abc", shorten("abc", 3))
	assert.Equal(t, "ab...", shorten("abcd", 2))
	assert.Equal(t, "a...", shorten("aéb", 2), "never cuts a rune in two")
	assert.Equal(t, "abc", shortenTail("abc", 3))
	assert.Equal(t, "...cd", shortenTail("abcd", 2))
	assert.Equal(t, "...b", shortenTail("aéb", 2), "never cuts a rune in two")
}
