package activities

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/taskapi"
)

// AdmitJob checks a job config before a job is created or updated to it
// (activity [taskapi.AdmitJob]): the model's rules (config's Job.Validate),
// a job key that parses and matches the job, instances at most
// jobs.max_instances, and the worker's [Policy] on Docker parameters. It
// reads nothing but the config, the settings, the host paths of volumes
// and whether secrets exist, and changes nothing.
//
// An admitted config's result holds the worker's instance cap and warnings
// (a {{secret[NAME]}} the worker cannot find now, a secret reference where
// none is filled). A refused one fails with a non-retryable
// [taskapi.ErrTypeRefused] error whose message is every problem, one per
// line, each with its field's path under "job." and, for the worker's
// policy, the setting that decides it.
func (a *Activities) AdmitJob(ctx context.Context, in taskapi.AdmitJobInput) (taskapi.AdmitJobResult, error) {
	pol := policyOf(a)
	problems := jobProblems(in.JobKey, in.Job, pol)
	if n, limit := in.Job.Instances, pol.maxInstances(); n > limit {
		problems = append(problems, fmt.Sprintf("job.instances: %d is more than %s allows on this worker (%d)",
			n, settings.KeyJobsMaxInstances, limit))
	}
	if len(problems) > 0 {
		loggerOf(a).Info("job config refused", "job", in.JobKey, "problems", len(problems))
		return taskapi.AdmitJobResult{}, temporal.NewNonRetryableApplicationError(
			strings.Join(problems, "\n"), taskapi.ErrTypeRefused, nil)
	}
	return taskapi.AdmitJobResult{
		Warnings:     secretWarnings(in.Job, a.SecretsDir),
		MaxInstances: pol.maxInstances(),
	}, nil
}
