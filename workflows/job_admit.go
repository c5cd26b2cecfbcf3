package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/taskapi"
)

// Admission: the worker does not trust the configs it is given. A new job's
// workflow runs taskapi.AdmitJob on its config before any instance starts,
// and a job's start-update handler runs it on the update's config before
// the update starts. A refusal is a non-retryable taskapi.ErrTypeRefused
// error whose message names every problem: a refused job's workflow records
// it (the job query's Refused) and fails with it, a refused update is
// answered with it and starts nothing.

// admitJobVersionID gates admitting a new job's config (workflow versioning:
// job workflows from before it started their instances at once).
const admitJobVersionID = "admit-job"

// admitUpdateVersionID gates admitting an update's config in the
// start-update handler (workflow versioning: handlers from before it
// started the update at once).
const admitUpdateVersionID = "admit-update"

// busyAdmission is the job's busy operation while its config is admitted.
const busyAdmission = "admission"

// admitActivity runs AdmitJob: a quick check, retried while the worker
// cannot answer (a crash, a timeout), never when it refused.
var admitActivity = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        30 * time.Second,
		NonRetryableErrorTypes: []string{taskapi.ErrTypeRefused, taskapi.ErrTypeInvalidTask},
	},
}

// refusedError is the error a refused job fails with and a refused update
// is answered with: taskapi.ErrTypeRefused, not retryable, msg as its message.
func refusedError(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, taskapi.ErrTypeRefused, nil)
}

// admitConfig runs AdmitJob on job. It returns the worker's verdict, or a
// refusedError when the worker refused the config (any other final error
// of the activity counts as a refusal too, its cause the message), or the
// cancellation of ctx.
func (j *job) admitConfig(ctx workflow.Context, job config.Job, what string) (taskapi.AdmitJobResult, error) {
	opts := admitActivity
	opts.Summary = what
	var res taskapi.AdmitJobResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), taskapi.AdmitJob,
		taskapi.AdmitJobInput{JobKey: job.Key(), Job: job}).Get(ctx, &res)
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
		return res, nil
	case temporal.IsCanceledError(err):
		return res, err
	case errors.As(err, &appErr) && appErr.Type() == taskapi.ErrTypeRefused:
		return res, refusedError(appErr.Message())
	}
	return res, refusedError(fmt.Sprintf("admission failed: %s", rootCause(err)))
}

// admit admits a new job's config before its instances start (runs from
// before admitJobVersionID skip it). A refused job is left without
// instances, its refusal in the record.
func (j *job) admit(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, admitJobVersionID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		j.admitted = true
		return nil
	}
	j.busy = busyAdmission
	res, err := j.admitConfig(ctx, j.in.Job, "admit job "+j.key())
	j.busy = ""
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == taskapi.ErrTypeRefused {
		j.refused = appErr.Message()
		j.st.Instances = nil
		j.logger.Warn("job refused", "job", j.key(), "reason", j.refused)
		return err
	}
	if err != nil {
		return err
	}
	j.st.MaxInstances, j.st.Warnings = res.MaxInstances, res.Warnings
	j.admitted = true
	return nil
}

// refusedEnd ends a run whose job was not admitted, with err: a refusal
// once the handlers under way (the CLI's wait for the verdict) have
// answered it, anything else (a cancellation) at once.
func (j *job) refusedEnd(ctx workflow.Context, err error) (JobView, error) {
	if j.refused == "" {
		return j.view(), err
	}
	if werr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); werr != nil {
		return j.view(), werr
	}
	return j.view(), err
}

// queryView is the job query's answer: the view, without instances while
// the job's config is being admitted (their workflows do not exist yet).
func (j *job) queryView() JobView {
	v := j.view()
	if !j.admitted {
		v.Instances = nil
	}
	return v
}

// admission answers the CLI's wait for a new job's verdict (UpdateAdmission)
// once the worker has given it: the warnings, or the refusal.
func (j *job) admission(ctx workflow.Context) (taskapi.AdmitJobResult, error) {
	if err := workflow.Await(ctx, func() bool { return j.admitted || j.refused != "" }); err != nil {
		return taskapi.AdmitJobResult{}, err
	}
	if j.refused != "" {
		return taskapi.AdmitJobResult{}, refusedError(j.refused)
	}
	return taskapi.AdmitJobResult{Warnings: j.st.Warnings, MaxInstances: j.st.MaxInstances}, nil
}

// admitUpdate admits an update's config in the start-update handler (runs
// from before admitUpdateVersionID skip it), then checks the request
// again: the job may have changed while the worker looked. It returns the
// worker's warnings.
func (j *job) admitUpdate(ctx workflow.Context, r StartUpdateRequest) ([]string, error) {
	if workflow.GetVersion(ctx, admitUpdateVersionID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil, nil
	}
	j.busy = busyAdmission
	res, err := j.admitConfig(ctx, r.Job, fmt.Sprintf("admit update %s of %s", r.UpdateID, j.key()))
	j.busy = ""
	if err != nil {
		return nil, err
	}
	if res.MaxInstances > 0 {
		j.st.MaxInstances = res.MaxInstances
	}
	return res.Warnings, j.validateUpdate(r)
}

// validateAdd refuses a job add that would take the job past the worker's
// jobs.max_instances (known once the job was admitted).
func (j *job) validateAdd(r AddRequest) error {
	if j.st.MaxInstances > 0 && len(j.st.Instances)+r.Count > j.st.MaxInstances {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("job %s has %d instances; adding %d would pass jobs.max_instances %d",
				j.key(), len(j.st.Instances), r.Count, j.st.MaxInstances),
			taskapi.ErrTypeRefused, nil)
	}
	return nil
}
