package cron

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/workflows"
)

func TestGate(t *testing.T) {
	due := time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		window time.Duration
		now    time.Time
		late   string
	}{
		{"on time", 0, due.Add(time.Second), ""},
		{"at the default window", 0, due.Add(time.Minute), ""},
		{"past the default window", 0, due.Add(3 * time.Minute), "began 3m0s after its scheduled time, past the catch-up window of 1m0s (cron.catchup_window)"},
		{"within a longer window", time.Hour, due.Add(3 * time.Minute), ""},
		{"past a shorter window", 10 * time.Second, due.Add(11 * time.Second), "began 11s after its scheduled time, past the catch-up window of 10s (cron.catchup_window)"},
		{"early clock", 0, due.Add(-time.Second), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := &Gate{CatchupWindow: c.window, Now: func() time.Time { return c.now }}
			res, err := g.Admit(context.Background(), workflows.CronGateInput{JobKey: "a/b/c/d", Scheduled: due})
			require.NoError(t, err)
			assert.Equal(t, c.late, res.Late)
		})
	}
}
