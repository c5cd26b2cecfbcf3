package workflows

import (
	"time"

	"github.com/borealis-dev/borealis/config"
)

// Cron jobs (docs/semantics.md §9). A cron job's workflow (JobWorkflow)
// keeps its config and its runs; it starts no instances by itself. Its
// Temporal Schedule (CronScheduleID) starts a CronRunWorkflow at each
// scheduled time; that run workflow asks the job for one run
// (CronRunRequest), and the job applies the collision policy, starts the
// run's instances as its children, each of which tells it when it ends
// (CronInstanceEnded), and answers the run workflow once every instance
// has ended (CronRun).

// CronOutcome is how a run of a cron job went.
type CronOutcome string

// The outcomes of a run.
const (
	// CronRunning: the run's instances are running.
	CronRunning CronOutcome = "RUNNING"
	// CronFinished: every instance finished.
	CronFinished CronOutcome = "FINISHED"
	// CronFailed: an instance failed (after max_task_failures) or was lost.
	CronFailed CronOutcome = "FAILED"
	// CronKilled: the run was killed (KILL_EXISTING, or job killall).
	CronKilled CronOutcome = "KILLED"
	// CronSkipped: the run did not start (CANCEL_NEW, past the catch-up
	// window, or the job was descheduled).
	CronSkipped CronOutcome = "SKIPPED"
)

// CronRunRequest asks a cron job's workflow for one run; the run workflow
// the job's schedule started sends it.
type CronRunRequest struct {
	// RunID is the run workflow's id; it names the run.
	RunID string `json:"run_id"`
	// Scheduled is the time the schedule started the run for.
	Scheduled time.Time `json:"scheduled"`
	// Late, when set, is why the run is skipped: it began past the
	// worker's catch-up window.
	Late string `json:"late,omitempty"`
	// Resend marks a request sent again because no answer came; a job
	// that does not know the run (its workflow was recreated) skips it.
	Resend bool `json:"resend,omitempty"`
}

// CronInstanceEnded is what an instance of a cron run tells its job when it
// ends: how its last task ended.
type CronInstanceEnded struct {
	RunID    string     `json:"run_id"`
	Instance int        `json:"instance"`
	Status   TaskStatus `json:"status"`
}

// CronRun is one run of a cron job as its job records it, and what the run
// workflow returns.
type CronRun struct {
	RunID     string      `json:"run_id"`
	Scheduled time.Time   `json:"scheduled"`
	Outcome   CronOutcome `json:"outcome"`
	// Message says why a run was skipped, killed or failed.
	Message string `json:"message,omitempty"`
	// Started and Ended are when the run's instances were started and
	// when the last one ended (zero: not yet, or skipped).
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	// Instances are the run's instance ids.
	Instances []int `json:"instances,omitempty"`
	// Results is the state each ended instance's last task ended in.
	Results map[int]TaskStatus `json:"results,omitempty"`
	// Kill is why the run's instances were being killed ("" when not).
	Kill string `json:"kill,omitempty"`
}

// CronState is the cron part of a job's record, carried across
// continue-as-new.
type CronState struct {
	// Active is the run whose instances are running (nil: none).
	Active *CronRun `json:"active,omitempty"`
	// Runs are the latest ended or skipped runs, oldest first.
	Runs []CronRun `json:"runs,omitempty"`
	// Pending are run requests received and not yet acted on.
	Pending []CronRunRequest `json:"pending,omitempty"`
	// Ended are instance ends received and not yet acted on.
	Ended []CronInstanceEnded `json:"ended,omitempty"`
	// LastStarted is the scheduled time of the latest run started.
	LastStarted time.Time `json:"last_started,omitzero"`
	// Descheduled is set by cron deschedule: the job ends once no run is
	// active.
	Descheduled bool `json:"descheduled,omitempty"`
}

// CronView is the cron part of the job query's answer.
type CronView struct {
	Schedule        string    `json:"schedule"`
	CollisionPolicy string    `json:"collision_policy"`
	Active          *CronRun  `json:"active,omitempty"`
	Runs            []CronRun `json:"runs,omitempty"`
	Descheduled     bool      `json:"descheduled,omitempty"`
}

// CronRunInput is what a cron job's schedule starts each run workflow with.
type CronRunInput struct {
	JobKey string `json:"job_key"`
}

// CronGateInput asks the worker whether a run may start: the run workflow
// began at the worker's now, Scheduled is when it was due.
type CronGateInput struct {
	JobKey    string    `json:"job_key"`
	Scheduled time.Time `json:"scheduled"`
}

// CronGateResult is the worker's answer: Late is why the run is skipped
// ("" when it may start).
type CronGateResult struct {
	Late string `json:"late,omitempty"`
}

// keepCronRuns is how many ended or skipped runs a cron job remembers.
const keepCronRuns = 10

// cronView is the job's cron view, nil for a job that is not a cron job.
func cronView(job config.Job, st *CronState) *CronView {
	if st == nil {
		return nil
	}
	v := &CronView{Schedule: job.CronSchedule, CollisionPolicy: job.CronCollisionPolicy,
		Runs: append([]CronRun(nil), st.Runs...), Descheduled: st.Descheduled}
	if st.Active != nil {
		a := *st.Active
		v.Active = &a
	}
	return v
}
