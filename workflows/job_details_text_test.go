package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestJobDetailsText checks the parts of the job's details that the
// workflow tests do not reach: the config line and a cron job's runs.
func TestJobDetailsText(t *testing.T) {
	assert.Empty(t, configDetails([]InstanceRef{{ID: 0, ConfigVersion: "u"}, {ID: 1, ConfigVersion: "u"}}), "one config: no line")
	assert.Equal(t, "configs: first 0,3, update `u` 1-2",
		configDetails([]InstanceRef{{ID: 0}, {ID: 1, ConfigVersion: "u"}, {ID: 2, ConfigVersion: "u"}, {ID: 3}}))

	at := time.Date(2026, 12, 5, 7, 25, 0, 0, time.UTC)
	c := &CronView{Schedule: "*/5 * * * *", CollisionPolicy: "KILL_EXISTING",
		Active: &CronRun{Scheduled: at, Outcome: CronRunning, Instances: []int{0, 1}},
		Runs:   []CronRun{{Scheduled: at.Add(-5 * time.Minute), Outcome: CronSkipped, Message: "past the catch-up window"}}}
	assert.Equal(t, []string{
		"**cron job**",
		"schedule `*/5 * * * *` (UTC), collision policy KILL_EXISTING",
		"run scheduled for 2026-12-05T07:25:00Z **RUNNING**: instances 0-1",
		"last run, scheduled for 2026-12-05T07:20:00Z: **SKIPPED** (past the catch-up window)",
	}, cronDetails(c, false))
	c.Active, c.Runs, c.Descheduled = nil, nil, true
	assert.Equal(t, []string{
		"**descheduled**: the job ends once its active run has",
		"schedule `*/5 * * * *` (UTC), collision policy KILL_EXISTING",
		"no run active",
	}, cronDetails(c, false))
	assert.Equal(t, "**ended**: descheduled", cronDetails(c, true)[0])
	assert.Equal(t, "0-2,5,7-8", idRanges([]int{8, 0, 1, 2, 5, 7}))
	assert.Empty(t, idRanges(nil))
	assert.Equal(t, "1 instance", countOf(1, "instance"))
	assert.Equal(t, "0 instances", countOf(0, "instance"))
}
