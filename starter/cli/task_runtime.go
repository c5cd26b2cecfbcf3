package cli

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/taskio"
	"github.com/borealis-dev/borealis/workflows"
)

// taskIO sends task requests (run, logs, locate) to the workers, which
// answer them on the machine where the task runs: the CLI needs neither the
// task's Docker Engine nor its sandbox. It fails at once when no worker polls.
func (tc *temporalConn) taskIO(ctx context.Context) (taskio.Client, error) {
	if err := tc.checkWorker(ctx); err != nil {
		return taskio.Client{}, err
	}
	return taskio.Client{Temporal: tc.Client, TaskQueue: tc.st.Temporal.TaskQueue}, nil
}

// taskIOError gives a failed task request its exit code: no worker
// answering in time 9, Temporal unreachable 7, anything else 4.
func taskIOError(err error) error {
	var unavailable *serviceerror.Unavailable
	switch {
	case errors.Is(err, taskio.ErrNoAnswer), errors.Is(err, context.DeadlineExceeded):
		return withCode(ExitTimeout, err)
	case errors.As(err, &unavailable):
		return withCode(ExitNetworkError, err)
	case taskio.ErrorType(err) == taskapi.ErrTypeDockerUnavailable:
		return withCode(ExitNetworkError, err)
	}
	return withCode(ExitCommandFailure, err)
}

// openInstance is openJob for the commands on one instance (KEY/INSTANCE):
// it returns the job's key and the instance's id.
func (a *app) openInstance(ctx context.Context, verb, spec string) (*temporalConn, jobkey.Key, int, error) {
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Before: func(_ jobkey.Key, ids []int) error {
		if len(ids) != 1 {
			return errorf(ExitInvalidParameter, "%s %s: name exactly one instance (KEY/INSTANCE)", verb, spec)
		}
		return nil
	}})
	if err != nil {
		return nil, jobkey.Key{}, 0, err
	}
	return tc, job.Key, job.IDs[0], nil
}

// instanceStatus returns the status of one instance of a job, a killed
// one included (its workflow answers until the retention period ends).
func (tc *temporalConn) instanceStatus(ctx context.Context, key string, id int) (workflows.InstanceStatus, error) {
	if _, err := tc.queryJob(ctx, key); err != nil {
		return workflows.InstanceStatus{}, err
	}
	statuses, err := tc.queryInstances(ctx, key, []int{id}, false)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return workflows.InstanceStatus{}, errorf(ExitInvalidParameter, "job %s has no instance %d", key, id)
	}
	if err != nil {
		return workflows.InstanceStatus{}, err
	}
	return statuses[0], nil
}
