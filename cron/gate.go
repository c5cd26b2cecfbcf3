// Package cron is the worker's part of cron jobs (docs/semantics.md §9)
// that reads its clock: whether a run began within the catch-up window.
package cron

import (
	"context"
	"fmt"
	"time"

	"github.com/borealis-dev/borealis/workflows"
)

// DefaultCatchupWindow is the cron.catchup_window setting's default.
const DefaultCatchupWindow = time.Minute

// Gate runs the CronGate local activity (registered as
// workflows.CronGateName): a run that begins more than CatchupWindow after
// its scheduled time is skipped. Temporal starts a schedule's runs while no
// worker runs; when one is back, only the times within the window run.
type Gate struct {
	// CatchupWindow is the cron.catchup_window setting (0: the default).
	CatchupWindow time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Admit answers whether a run scheduled for in.Scheduled may start now.
func (g *Gate) Admit(_ context.Context, in workflows.CronGateInput) (workflows.CronGateResult, error) {
	window := g.CatchupWindow
	if window <= 0 {
		window = DefaultCatchupWindow
	}
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	late := now().Sub(in.Scheduled)
	if late <= window {
		return workflows.CronGateResult{}, nil
	}
	return workflows.CronGateResult{Late: fmt.Sprintf("began %s after its scheduled time, past the catch-up window of %s (cron.catchup_window)",
		late.Round(time.Second), window)}, nil
}
