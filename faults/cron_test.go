package faults

import (
	"fmt"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestCronWorkerKilledAcrossScheduledTime kills the worker with SIGKILL
// around a cron job's scheduled minute and starts a new one within the
// catch-up window: half a second after the minute, while the run is being
// started (long: also 2 s before it, while no worker runs at the minute).
// Each such minute runs exactly once: one run scheduled for it, FINISHED,
// and one task for its instance, no duplicate and none lost.
func TestCronWorkerKilledAcrossScheduledTime(t *testing.T) {
	t.Parallel()
	offsets := pick([]time.Duration{500 * time.Millisecond}, []time.Duration{500 * time.Millisecond, -2 * time.Second})
	r := scenario(t, "worker kill -9 across a cron job's scheduled time")
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("cronkill")
	t.Cleanup(func() { cl.Run("cron", "deschedule", key) })
	path := cl.WriteJob(key, `    cron_schedule: '* * * * *'
    task:
      processes:
        - name: work
          cmdline: 'echo run; sleep 1'
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`)
	cl.MustRun("cron", "schedule", key, path)

	for _, offset := range offsets {
		// The next minute far enough ahead to kill the worker before it.
		minute := time.Now().Truncate(time.Minute).Add(time.Minute)
		if time.Until(minute.Add(offset)) < 3*time.Second {
			minute = minute.Add(time.Minute)
		}
		untilClock(t, minute.Add(offset))
		cl.KillWorker()
		untilClock(t, minute.Add(5*time.Second))
		cl.StartWorker()

		show := cl.WaitCron(key, recovery, fmt.Sprintf("the run of %s over", minute.Format(time.TimeOnly)), func(s harness.CronShow) bool {
			runs := s.RunsScheduled(minute)
			return len(runs) > 0 && runs[0].Outcome != "RUNNING"
		})
		lost, dups := 0, 0
		runs := show.RunsScheduled(minute)
		switch {
		case len(runs) > 1:
			dups += len(runs) - 1
			t.Errorf("kill at %s of the minute: %d runs for one scheduled time:\n%s", offset, len(runs), show)
		case runs[0].Outcome != "FINISHED":
			lost++
			t.Errorf("kill at %s of the minute: the run ended %s, want FINISHED:\n%s", offset, runs[0].Outcome, show)
		}
		// The run's one instance ran one task, to FINISHED.
		st, _ := cl.Consistent(key, 20*time.Second)
		if len(st.Active) != 0 || len(st.Inactive) != 1 || st.Inactive[0].Status != "FINISHED" {
			dups++
			t.Errorf("kill at %s of the minute: want one FINISHED task for the run:\n%s", offset, st)
		}
		r.add(1, lost, dups)
	}
}

// untilClock waits until the wall clock reaches at.
func untilClock(t *testing.T, at time.Time) {
	t.Helper()
	harness.Eventually(t, time.Until(at)+5*time.Second, "the clock at "+at.Format(time.TimeOnly), func() (bool, string) {
		return !time.Now().Before(at), ""
	})
}
