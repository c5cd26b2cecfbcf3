package workflows

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/taskapi"
)

// A cron job's workflow is a JobWorkflow whose config has a cron_schedule:
// it is created by `cron schedule` and starts no instances by itself. Runs
// are asked for by run workflows (SignalCronRun), one at a time; each
// run's instances are the job's child workflows, and each tells the job
// when it ends (SignalCronInstanceEnded), so the job may continue as new
// while a run is active.
//
// None of this alters the history of a job that is not a cron job, so it
// needs no version: no recorded history has a cron job.

// ErrTypeNotCron: a cron operation on a job that is not a cron job, or an
// operation cron jobs do not take.
const ErrTypeNotCron = "NotCron"

// busyCronRun is the job's busy operation while a run is being started.
const busyCronRun = "cron run"

// startCron takes run requests, one at a time, and instance ends, in two
// coroutines: those carried over from the last run first, then those that
// arrive.
func (j *job) startCron(ctx workflow.Context) {
	j.cronRequests = workflow.GetSignalChannel(ctx, SignalCronRun)
	j.cronEnds = workflow.GetSignalChannel(ctx, SignalCronInstanceEnded)
	c := j.st.Cron
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if len(c.Pending) == 0 {
				var r CronRunRequest
				j.cronRequests.Receive(ctx, &r)
				c.Pending = append(c.Pending, r)
			}
			j.cronStep(ctx, true, func() { j.cronRun(ctx, c.Pending[0]) })
			c.Pending = c.Pending[1:]
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if len(c.Ended) == 0 {
				var e CronInstanceEnded
				j.cronEnds.Receive(ctx, &e)
				c.Ended = append(c.Ended, e)
			}
			j.cronStep(ctx, false, func() { j.cronInstanceEnded(ctx, c.Ended[0]) })
			c.Ended = c.Ended[1:]
		}
	})
}

// cronStep acts on one cron signal, and ends a descheduled job once no
// run is active. Once the workflow is closing it takes none: the signal
// stays pending, for the next run. Neither does it take a run request once
// the history is long enough to continue as new (full): requests may come
// faster than they are acted on, and the workflow would otherwise never
// find a moment without one under way. Instance ends are still taken then,
// as a run request under way (KILL_EXISTING) waits for them, and they stop
// coming once no run starts.
func (j *job) cronStep(ctx workflow.Context, stopWhenFull bool, act func()) {
	if j.closing || (stopWhenFull && historyFullAt(workflow.GetInfo(ctx).GetCurrentHistoryLength())) {
		_ = workflow.Await(ctx, func() bool { return false })
	}
	j.cronHandling++
	act()
	j.cronHandling--
	if j.st.Cron.Descheduled && j.st.Cron.Active == nil {
		j.ended = true
	}
}

// drainCron keeps the cron signals received but not taken, for the next
// run of the workflow.
func (j *job) drainCron() {
	if j.st.Cron == nil {
		return
	}
	for {
		var r CronRunRequest
		if !j.cronRequests.ReceiveAsync(&r) {
			break
		}
		j.st.Cron.Pending = append(j.st.Cron.Pending, r)
	}
	for {
		var e CronInstanceEnded
		if !j.cronEnds.ReceiveAsync(&e) {
			break
		}
		j.st.Cron.Ended = append(j.st.Cron.Ended, e)
	}
}

// cronRun acts on one run request: it answers one it knows, skips it when
// late, descheduled or (CANCEL_NEW) while a run is active, and otherwise
// kills the active run (KILL_EXISTING) and starts the new one.
func (j *job) cronRun(ctx workflow.Context, r CronRunRequest) {
	c := j.st.Cron
	if c.Active != nil && c.Active.RunID == r.RunID {
		return // answered when it ends
	}
	if i := slices.IndexFunc(c.Runs, func(run CronRun) bool { return run.RunID == r.RunID }); i >= 0 {
		j.cronReply(ctx, c.Runs[i])
		return
	}
	switch {
	case r.Late != "":
		j.cronSkip(ctx, r, r.Late)
		return
	case r.Resend:
		j.cronSkip(ctx, r, "the job's workflow does not know this run: it was created again since")
		return
	}
	if err := workflow.Await(ctx, func() bool { return j.busy == "" }); err != nil {
		return
	}
	switch {
	case c.Descheduled || j.ended:
		j.cronSkip(ctx, r, "the job is descheduled")
		return
	case r.Scheduled.Before(c.LastStarted):
		// Run workflows' requests may arrive out of order: an older time
		// never kills, nor runs after, a newer one.
		j.cronSkip(ctx, r, fmt.Sprintf("the run scheduled for %s has started already", c.LastStarted.Format(time.RFC3339)))
		return
	case c.Active != nil && j.in.Job.CronCollisionPolicy == config.CronCancelNew:
		j.cronSkip(ctx, r, fmt.Sprintf("run %s is still active (cron_collision_policy CANCEL_NEW)", c.Active.RunID))
		return
	}
	j.busy = busyCronRun
	defer func() { j.busy = "" }()
	if c.Active != nil {
		j.killRun(ctx, fmt.Sprintf("killed for run %s (cron_collision_policy KILL_EXISTING)", r.RunID))
	}
	j.startRun(ctx, r)
}

// cronSkip records run r as skipped, and why, and answers its workflow.
func (j *job) cronSkip(ctx workflow.Context, r CronRunRequest, why string) {
	run := CronRun{RunID: r.RunID, Scheduled: r.Scheduled, Outcome: CronSkipped, Message: why, Ended: workflow.Now(ctx)}
	j.keepRun(run)
	j.cronReply(ctx, run)
}

// keepRun adds an ended run to the latest runs.
func (j *job) keepRun(run CronRun) {
	c := j.st.Cron
	c.Runs = append(c.Runs, run)
	if len(c.Runs) > keepCronRuns {
		c.Runs = slices.Delete(c.Runs, 0, len(c.Runs)-keepCronRuns)
	}
}

// cronReply tells run's workflow how the run went; one that has ended
// (terminated by hand) is not waiting for it.
func (j *job) cronReply(ctx workflow.Context, run CronRun) {
	if _, err := send(ctx, viaActivity, Message{WorkflowID: run.RunID, CronDone: &run}); err != nil {
		j.logger.Warn("answer cron run", "run", run.RunID, "error", err)
	}
}

// killRun kills the active run's instances that have not ended, and waits
// until every one has.
func (j *job) killRun(ctx workflow.Context, why string) {
	run := j.st.Cron.Active
	if run.Kill == "" {
		run.Kill = why
	}
	if _, err := j.killRunInstances(ctx, run.Instances); err != nil {
		return
	}
	_ = workflow.Await(ctx, func() bool { return j.st.Cron.Active == nil || j.st.Cron.Active.RunID != run.RunID })
}

// killRunInstances sends a kill to each of ids of the active run that has
// not ended. An instance whose workflow has ended without telling (it was
// terminated by hand) counts as LOST, so the run can end.
func (j *job) killRunInstances(ctx workflow.Context, ids []int) ([]InstanceReply, error) {
	run := j.st.Cron.Active
	ids = slices.DeleteFunc(slices.Clone(ids), func(id int) bool {
		_, ended := run.Results[id]
		return ended || !slices.Contains(run.Instances, id)
	})
	replies, err := j.request(ctx, ids, RequestKill, 0)
	if err != nil {
		return nil, err
	}
	for _, rep := range replies {
		if rep.Message == instanceEndedMessage {
			j.cronInstanceEnded(ctx, CronInstanceEnded{RunID: run.RunID, Instance: rep.Instance, Status: StatusLost})
		}
	}
	return replies, nil
}

// startRun starts run r: an instance workflow per instance of the job's
// config, each of which tells the job when it ends.
func (j *job) startRun(ctx workflow.Context, r CronRunRequest) {
	ids := j.ids()
	run := &CronRun{RunID: r.RunID, Scheduled: r.Scheduled, Outcome: CronRunning, Started: workflow.Now(ctx),
		Instances: ids, Results: map[int]TaskStatus{}}
	j.st.Cron.Active = run
	j.st.Cron.LastStarted = r.Scheduled
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	for attempt := 1; len(ids) > 0; attempt++ {
		futures := make([]workflow.ChildWorkflowFuture, len(ids))
		for i, id := range ids {
			futures[i] = j.launch(ctx, id, nil, func(in *InstanceInput) { in.CronRun, in.NotifyEnded = r.RunID, me })
		}
		var again []int
		for i, f := range futures {
			err := f.GetChildWorkflowExecution().Get(ctx, nil)
			var running *temporal.ChildWorkflowExecutionAlreadyStartedError
			switch {
			case errors.As(err, &running) && attempt < cronStartAttempts:
				// The last run's instance has told its end and is closing.
				again = append(again, ids[i])
			case err != nil:
				j.logger.Error("start cron run instance", "run", r.RunID, "instance", ids[i], "error", err)
				j.cronInstanceEnded(ctx, CronInstanceEnded{RunID: r.RunID, Instance: ids[i], Status: StatusLost})
			}
		}
		if ids = again; len(ids) > 0 {
			_ = workflow.Sleep(ctx, cronStartRetry)
		}
	}
}

// How long startRun waits for the last run's instance workflows to close:
// each tells its end just before it does.
const (
	cronStartRetry    = 200 * time.Millisecond
	cronStartAttempts = 150
)

// cronInstanceEnded records how an instance of the active run ended; the
// last one ends the run, and its workflow is told.
func (j *job) cronInstanceEnded(ctx workflow.Context, e CronInstanceEnded) {
	run := j.st.Cron.Active
	if run == nil || run.RunID != e.RunID || !slices.Contains(run.Instances, e.Instance) {
		return
	}
	if _, seen := run.Results[e.Instance]; seen {
		return
	}
	if run.Results == nil {
		// An empty map does not survive continue-as-new.
		run.Results = map[int]TaskStatus{}
	}
	run.Results[e.Instance] = e.Status
	if len(run.Results) < len(run.Instances) {
		return
	}
	run.Outcome, run.Message = runOutcome(*run)
	run.Ended = workflow.Now(ctx)
	j.st.Cron.Active = nil
	j.keepRun(*run)
	j.cronReply(ctx, *run)
}

// runOutcome is how a run whose instances have all ended went.
func runOutcome(run CronRun) (CronOutcome, string) {
	if run.Kill != "" {
		return CronKilled, run.Kill
	}
	var failed []int
	for _, id := range run.Instances {
		if run.Results[id] != StatusFinished {
			failed = append(failed, id)
		}
	}
	if len(failed) > 0 {
		return CronFailed, fmt.Sprintf("instances %v did not finish", failed)
	}
	return CronFinished, ""
}

// cronSchedule replaces a cron job's config once the worker admitted it;
// the next run runs it. A descheduled job that has not ended yet is
// scheduled again.
func (j *job) cronSchedule(ctx workflow.Context, job config.Job) (taskapi.AdmitJobResult, error) {
	j.busy = "cron schedule"
	defer func() { j.busy = "" }()
	res, err := j.admitConfig(ctx, job, "admit cron job config")
	if err != nil {
		return res, err
	}
	j.in.Job = job
	j.st.Configs = map[string]config.Job{"": job}
	j.st.Instances = nil
	for i := 0; i < job.Instances; i++ {
		j.st.Instances = append(j.st.Instances, InstanceRef{ID: i})
	}
	j.st.Warnings = res.Warnings
	j.st.Cron.Descheduled = false
	return res, nil
}

// validateCronSchedule refuses a config that is not a cron job of this
// job, or a job that is not a cron job.
func (j *job) validateCronSchedule(job config.Job) error {
	if err := j.validateCron(); err != nil {
		return err
	}
	switch {
	case job.Key() != j.key():
		return fmt.Errorf("the config is of job %s, not %s", job.Key(), j.key())
	case !job.IsCron():
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("the config of %s has no cron_schedule", j.key()), ErrTypeNotCron, nil)
	}
	return j.validateFree()
}

// cronDeschedule ends the job once no run is active; a run in progress
// goes on.
func (j *job) cronDeschedule(ctx workflow.Context) (CronView, error) {
	j.st.Cron.Descheduled = true
	if j.st.Cron.Active == nil && j.cronHandling == 0 {
		j.ended = true
	}
	return *cronView(j.in.Job, j.st.Cron), nil
}

// validateCron refuses a cron operation on a job that is not a cron job.
func (j *job) validateCron() error {
	switch {
	case j.refused != "":
		return refusedError(j.refused)
	case j.st.Cron == nil:
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("job %s is not a cron job", j.key()), ErrTypeNotCron, nil)
	case j.ended:
		return errors.New("job has been descheduled")
	}
	return nil
}

// refuseForCron refuses op (restart, add) on a cron job: its instances
// exist only while a run is active.
func (j *job) refuseForCron(op string) error {
	if j.st.Cron == nil {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("job %s is a cron job: %s is not supported for it (cron start runs it now, cron schedule changes it)", j.key(), op),
		ErrTypeNotCron, nil)
}
