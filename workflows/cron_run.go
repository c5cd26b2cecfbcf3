package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// CronGateName is the registered name of the local activity that tells a
// run workflow whether it began within the worker's catch-up window
// (package cron).
const CronGateName = "CronGate"

// scheduledStartAttribute is the search attribute Temporal sets on a
// workflow a schedule started: the time it was scheduled for.
var scheduledStartAttribute = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// Bounds on how long a run workflow waits for its job's answer before it
// asks again, to find out whether the job's workflow is still there.
const (
	cronResendFirst = time.Minute
	cronResendMax   = time.Hour
)

// cronGateActivity runs CronGate: a clock read, retried while no worker can.
var cronGateActivity = workflow.LocalActivityOptions{
	StartToCloseTimeout: 10 * time.Second,
	RetryPolicy:         retryForever,
}

// CronRunWorkflow is one scheduled time of a cron job: its schedule starts
// it. It asks the worker whether it began within the catch-up window, asks
// the job's workflow for the run (the job skips it or starts it, as its
// collision policy says) and returns the run as the job recorded it, once
// over. Temporal starts one per scheduled time, even while no worker runs.
func CronRunWorkflow(ctx workflow.Context, in CronRunInput) (CronRun, error) {
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	req := CronRunRequest{RunID: me, Scheduled: scheduledTime(ctx)}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("run of cron job **%s** scheduled for %s", in.JobKey, req.Scheduled.Format(time.RFC3339)))

	var gate CronGateResult
	lctx := workflow.WithLocalActivityOptions(ctx, cronGateActivity)
	if err := workflow.ExecuteLocalActivity(lctx, CronGateName, CronGateInput{JobKey: in.JobKey, Scheduled: req.Scheduled}).Get(ctx, &gate); err != nil {
		return CronRun{}, fmt.Errorf("check the catch-up window: %w", err)
	}
	req.Late = gate.Late

	var result CronRun
	answered := false
	done := workflow.GetSignalChannel(ctx, SignalCronDone)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for !answered {
			var r CronRun
			done.Receive(ctx, &r)
			if r.RunID == me {
				result, answered = r, true
			}
		}
	})
	wait := cronResendFirst
	for {
		delivered, err := send(ctx, viaActivity, Message{WorkflowID: JobWorkflowID(in.JobKey), CronRun: &req})
		if err != nil {
			return CronRun{}, err
		}
		if !delivered[0] && !answered {
			return CronRun{RunID: me, Scheduled: req.Scheduled, Outcome: CronSkipped,
				Message: fmt.Sprintf("job %s is not scheduled (its workflow has ended)", in.JobKey)}, nil
		}
		ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return answered })
		if err != nil {
			return CronRun{}, err
		}
		if ok {
			break
		}
		req.Resend = true
		wait = min(2*wait, cronResendMax)
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("run of cron job **%s** scheduled for %s: **%s** %s",
		in.JobKey, req.Scheduled.Format(time.RFC3339), result.Outcome, result.Message))
	return result, nil
}

// scheduledTime is when the schedule started the run for; a run started by
// hand (no schedule) is scheduled when it started.
func scheduledTime(ctx workflow.Context) time.Time {
	if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(scheduledStartAttribute); ok {
		return t.UTC()
	}
	return workflow.GetInfo(ctx).WorkflowStartTime.UTC()
}
