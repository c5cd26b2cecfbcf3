package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/workflows"
)

const cronKey = "devcluster/www-data/prod/cron_hello"

// TestCronRefusals: each command refuses the other kind of job before it
// dials Temporal (none runs here).
func TestCronRefusals(t *testing.T) {
	_, stderr, code := run(t, "job", "create", cronKey, example("cron_hello.aurora"))
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, `Cron jobs may only be scheduled with "borealis cron schedule" command.`)

	_, stderr, code = run(t, "cron", "schedule", helloKey, example("hello_world.aurora"))
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, `Non-cron jobs may only be created with "borealis job create" command.`)

	_, stderr, code = run(t, "cron", "start", "not/a/key")
	assert.Equal(t, ExitInvalidParameter, code, stderr)
}

func TestPrintCronShow(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	var b bytes.Buffer
	printCronShow(&b, cronShowJSON{
		Job: cronKey, CronSchedule: "*/5 * * * *", CollisionPolicy: "CANCEL_NEW",
		NextRuns: []time.Time{at("2026-12-05T08:05:00Z"), at("2026-12-05T08:10:00Z")},
		Active:   &workflows.CronRun{Scheduled: at("2026-12-05T08:00:00Z"), Started: at("2026-12-05T08:00:01Z"), Instances: []int{0, 1}},
		Runs: []workflows.CronRun{
			{Scheduled: at("2026-12-05T07:50:00Z"), Outcome: workflows.CronFinished, Started: at("2026-12-05T07:50:01Z"), Ended: at("2026-12-05T07:51:00Z")},
			{Scheduled: at("2026-12-05T07:55:00Z"), Outcome: workflows.CronSkipped, Ended: at("2026-12-05T07:55:00Z"), Message: "run x is still active (cron_collision_policy CANCEL_NEW)"},
		},
	})
	assert.Equal(t, `Job: devcluster/www-data/prod/cron_hello
Cron schedule: */5 * * * * (UTC)
Collision policy: CANCEL_NEW
Next runs:
  2026-12-05T08:05:00Z
  2026-12-05T08:10:00Z
Active run: scheduled 2026-12-05T08:00:00Z, started 2026-12-05T08:00:01Z, instances [0 1]
Latest runs (newest first):
  SCHEDULED             OUTCOME   STARTED               ENDED                 MESSAGE
  2026-12-05T07:55:00Z  SKIPPED   -                     2026-12-05T07:55:00Z  run x is still active (cron_collision_policy CANCEL_NEW)
  2026-12-05T07:50:00Z  FINISHED  2026-12-05T07:50:01Z  2026-12-05T07:51:00Z  
`, b.String())
}

func TestCronStatus(t *testing.T) {
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	finished := workflows.CronRun{RunID: "a", Scheduled: at, Started: at, Ended: at.Add(90 * time.Second), Outcome: workflows.CronFinished, Instances: []int{0}}
	skipped := workflows.CronRun{RunID: "b", Scheduled: at.Add(time.Minute), Ended: at.Add(time.Minute), Outcome: workflows.CronSkipped, Message: "late"}
	cases := []struct {
		name string
		view workflows.CronView
		want string
		ids  []int
	}{
		{"no run yet", workflows.CronView{Schedule: "* * * * *", CollisionPolicy: "KILL_EXISTING"},
			"Cron schedule: * * * * * (UTC), KILL_EXISTING\nNo run yet: borealis cron start runs one now\n", nil},
		{"latest run, then a skip", workflows.CronView{Schedule: "* * * * *", CollisionPolicy: "KILL_EXISTING", Runs: []workflows.CronRun{finished, skipped}, Descheduled: true},
			"Cron schedule: * * * * * (UTC), KILL_EXISTING, descheduled\nLatest run: scheduled 2026-12-05T08:00:00Z, FINISHED\nSkipped since: 1 runs (borealis cron show says why)\n", []int{0}},
		{"active run, skips before it not counted", workflows.CronView{Schedule: "* * * * *", CollisionPolicy: "CANCEL_NEW", Runs: []workflows.CronRun{skipped},
			Active: &workflows.CronRun{Scheduled: at.Add(2 * time.Minute), Started: at.Add(2 * time.Minute), Outcome: workflows.CronRunning, Instances: []int{0, 1}}},
			"Cron schedule: * * * * * (UTC), CANCEL_NEW\nActive run: scheduled 2026-12-05T08:02:00Z, started 2026-12-05T08:02:00Z\n", []int{0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			cronStatus(&b, &c.view)
			assert.Equal(t, c.want, b.String())
			assert.Equal(t, c.ids, cronInstanceIDs(&c.view))
		})
	}
}
