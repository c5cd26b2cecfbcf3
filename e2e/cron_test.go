package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// cronJob is the body of a cron job's YAML config running cmdline.
func cronJob(schedule, policy, cmdline string) string {
	return "    cron_schedule: '" + schedule + "'\n    cron_collision_policy: " + policy + `
    task:
      processes:
        - name: work
          cmdline: '` + cmdline + `'
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`
}

// TestCronJob schedules a cron job running every minute on real
// containers: job create refuses it, cron start runs it at once to
// FINISHED, a run still going at the next minute is killed for it
// (KILL_EXISTING, the one test that waits on a real minute), CANCEL_NEW
// skips a time while a run is active, killall kills the run and leaves the
// schedule, and deschedule ends the job with its run.
func TestCronJob(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("nightly")
	t.Cleanup(func() { cl.Run("cron", "deschedule", key) })
	path := cl.WriteJob(key, cronJob("* * * * *", "KILL_EXISTING", "echo working; sleep 1; echo done"))

	r := cl.Run("job", "create", key, path)
	if r.Code != harness.ExitCommandFailure || !strings.Contains(r.Stderr, `Cron jobs may only be scheduled with "borealis cron schedule" command.`) {
		t.Fatalf("job create of a cron job: want exit 4 and Aurora's hint: %s", r)
	}
	r = cl.MustRun("cron", "schedule", key, path)
	if !strings.Contains(r.Stdout, "Cron schedule succeeded: "+key+" (* * * * * UTC, KILL_EXISTING); schedule created") ||
		!strings.Contains(r.Stdout, "/schedules/cron%2F") {
		t.Errorf("cron schedule output: %s", r)
	}
	show, err := cl.CronShow(key)
	if err != nil {
		t.Fatal(err)
	}
	if show.CronSchedule != "* * * * *" || show.CollisionPolicy != "KILL_EXISTING" || len(show.NextRuns) != 5 || len(show.Runs) != 0 {
		t.Fatalf("cron show after schedule: %+v", show)
	}
	for i, next := range show.NextRuns {
		if next.Second() != 0 || (i > 0 && next.Sub(show.NextRuns[i-1]) != time.Minute) {
			t.Errorf("next runs are not one a minute: %v", show.NextRuns)
		}
	}

	// cron start: one run now, to FINISHED.
	r = cl.MustRun("cron", "start", key)
	if !strings.Contains(r.Stdout, "Cron start succeeded: a run of "+key+" starts now") {
		t.Errorf("cron start output: %s", r)
	}
	show = cl.WaitCron(key, 60*time.Second, "the run FINISHED", func(s harness.CronShow) bool {
		return len(s.Runs) > 0 && s.Runs[len(s.Runs)-1].Outcome == "FINISHED"
	})
	st, _ := cl.Consistent(key, 20*time.Second)
	if len(st.Active) != 0 || len(st.Inactive) == 0 || st.Inactive[len(st.Inactive)-1].Status != "FINISHED" {
		t.Errorf("job status after a finished run: want its FINISHED task:\n%s", st)
	}
	human := cl.MustRun("job", "status", key)
	if !strings.Contains(human.Stdout, "Cron schedule: * * * * * (UTC), KILL_EXISTING") || !strings.Contains(human.Stdout, "FINISHED") {
		t.Errorf("job status of a cron job: %s", human)
	}

	if r := cl.Run("job", "restart", key); r.Code != harness.ExitCommandFailure ||
		!strings.Contains(r.Stderr, "is a cron job: job restart is not supported") || strings.Contains(r.Stdout, "Restarting") {
		t.Errorf("job restart of a cron job: want exit 4 before anything starts: %s", r)
	}

	// A run that does not end: the next scheduled minute kills it.
	path = cl.WriteJob(key, cronJob("* * * * *", "KILL_EXISTING", "echo working; sleep 600"))
	r = cl.MustRun("cron", "schedule", key, path)
	if !strings.Contains(r.Stdout, "schedule replaced") {
		t.Errorf("cron schedule of a scheduled job: %s", r)
	}
	// Started by hand away from a minute, so that the run started by hand
	// is told from the scheduled ones (theirs are on the minute) and no
	// scheduled run kills it before the next minute.
	harness.Eventually(t, 70*time.Second, "a time away from the minute", func() (bool, string) {
		sec := time.Now().UTC().Second()
		return sec >= 2 && sec <= 40, fmt.Sprintf("second %d of the minute", sec)
	})
	cl.MustRun("cron", "start", key)
	started := cl.WaitCron(key, 60*time.Second, "the run started by hand active", func(s harness.CronShow) bool {
		return s.Active != nil && s.Active.Scheduled.Second() != 0
	}).Active
	cl.WaitStatus(key, 60*time.Second, "the run's task RUNNING", func(s harness.JobStatus) (bool, string) {
		return len(s.Active) == 1 && s.Active[0].Status == "RUNNING", "want one RUNNING task"
	})
	show = cl.WaitCron(key, 100*time.Second, "the next minute killed the run started by hand", func(s harness.CronShow) bool {
		return s.Active != nil && s.Active.RunID != started.RunID && s.Active.Scheduled.Second() == 0
	})
	killed := show.Runs[len(show.Runs)-1]
	if killed.RunID != started.RunID || killed.Outcome != "KILLED" || !strings.Contains(killed.Message, "KILL_EXISTING") {
		t.Errorf("the run started by hand: want KILLED by KILL_EXISTING:\n%s", show)
	}
	if late := show.Active.Started.Sub(show.Active.Scheduled); late > 15*time.Second {
		t.Errorf("the scheduled run started %s after its time:\n%s", late, show)
	}
	cl.WaitStatus(key, 60*time.Second, "the new run's task RUNNING, the old one KILLED", func(s harness.JobStatus) (bool, string) {
		ok := len(s.Active) == 1 && s.Active[0].Status == "RUNNING"
		return ok, "want one RUNNING task"
	})
	if _, cs := cl.Consistent(key, 20*time.Second); len(harness.Running(cs)) != 1 {
		t.Errorf("want exactly one running container:\n%s", harness.ListContainers(cs))
	}

	// CANCEL_NEW: a time while a run is active is skipped.
	path = cl.WriteJob(key, cronJob("* * * * *", "CANCEL_NEW", "echo working; sleep 600"))
	cl.MustRun("cron", "schedule", key, path)
	active := show.Active.RunID
	cl.MustRun("cron", "start", key)
	show = cl.WaitCron(key, 60*time.Second, "the run started by hand skipped", func(s harness.CronShow) bool {
		last := s.Runs[len(s.Runs)-1]
		return last.Outcome == "SKIPPED" && strings.Contains(last.Message, "run "+active+" is still active (cron_collision_policy CANCEL_NEW)")
	})
	if show.Active == nil || show.Active.RunID != active {
		t.Errorf("CANCEL_NEW: the active run must go on:\n%s", show)
	}

	// Deschedule while the run is active: it goes on, killall ends it and the job.
	r = cl.MustRun("cron", "deschedule", key)
	if !strings.Contains(r.Stdout, "Cron deschedule succeeded: "+key) || !strings.Contains(r.Stdout, "goes on") {
		t.Errorf("cron deschedule output: %s", r)
	}
	if r := cl.Run("cron", "show", key); r.Code != harness.ExitCommandFailure || !strings.Contains(r.Stderr, "has no cron schedule") {
		t.Errorf("cron show after deschedule: want exit 4: %s", r)
	}
	cl.MustRun("job", "killall", key)
	harness.Eventually(t, 60*time.Second, "no container running", func() (bool, string) {
		cs := harness.Containers(t, key)
		return len(harness.Running(cs)) == 0, harness.ListContainers(cs)
	})
	harness.Eventually(t, 30*time.Second, "the job ended", func() (bool, string) {
		r := cl.Run("job", "status", key)
		return strings.Contains(r.Stdout, "(descheduled)"), r.String()
	})
}
