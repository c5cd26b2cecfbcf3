package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/internal/tupdate"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// admissionWait bounds how long `job create` waits for the worker's verdict
// on a new job when --timeout does not say: admission is one quick activity.
const admissionWait = time.Minute

// admissionUpdateID is the id of the wait for a job's verdict: every wait
// on one run is the same Temporal update, answered once.
const admissionUpdateID = "admission"

// errNoWorkerToAdmit says no worker polls to give a new job its verdict;
// the job is admitted, or refused, once one does.
var errNoWorkerToAdmit = errors.New("no worker to admit the job")

// refusal is the message of a worker's refusal (taskapi.ErrTypeRefused) in
// err, if err is one.
func refusal(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == taskapi.ErrTypeRefused {
		return appErr.Message(), true
	}
	return "", false
}

// refusedError is the error a command ends with when the worker refused
// the config of what: exit 3, as an invalid config (docs/semantics.md §6.2).
func refusedError(what, msg string) error {
	return errorf(ExitInvalidConfig, "%s refused by the worker: %s", what, msg)
}

// printWarnings prints the worker's warnings about an admitted config.
func printWarnings(w io.Writer, warnings []string) {
	for _, s := range warnings {
		fmt.Fprintln(w, "Warning:", s)
	}
}

// awaitAdmission waits for the worker's verdict on run runID of a new job
// (workflows.UpdateAdmission) for at most timeout (admissionWait when 0).
// It returns the verdict; a refusal exits 3, no verdict in time 9, and no
// worker polling is errNoWorkerToAdmit.
func (tc *temporalConn) awaitAdmission(ctx context.Context, key, runID string, timeout time.Duration) (taskapi.AdmitJobResult, error) {
	var res taskapi.AdmitJobResult
	if err := tc.checkWorker(ctx); err != nil {
		if exitCode(err) == ExitCommandFailure {
			return res, errNoWorkerToAdmit
		}
		return res, err
	}
	if timeout <= 0 {
		timeout = admissionWait
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	id := workflows.JobWorkflowID(key)
	err := tupdate.Send(actx, tc, client.UpdateWorkflowOptions{
		WorkflowID: id,
		RunID:      runID,
		UpdateID:   admissionUpdateID,
		UpdateName: workflows.UpdateAdmission,
	}, &res)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return res, nil
	case strings.Contains(err.Error(), "unknown update "+workflows.UpdateAdmission):
		// A worker from before admission: it starts jobs unchecked.
		return res, nil
	case errors.As(err, &notFound):
		// The run ended before the wait reached it: a refused job's
		// workflow fails as soon as the worker refused it.
		if msg, ok := tc.refusedRun(ctx, key, runID); ok {
			return res, refusedError("job "+key, msg)
		}
	case actx.Err() != nil && ctx.Err() == nil:
		return res, errorf(ExitTimeout, "job %s was created, but no worker admitted it within %s; borealis job status %s shows the verdict",
			key, timeout, key)
	}
	if msg, ok := refusal(err); ok {
		return res, refusedError("job "+key, msg)
	}
	return res, tc.temporalError(err, "wait for the admission of job "+key)
}

// refusedRun reports whether run runID of the job's workflow ("" for the
// latest) failed because the worker refused the job, and why. It reads
// only the run's close event, so it needs no worker.
func (tc *temporalConn) refusedRun(ctx context.Context, key, runID string) (string, bool) {
	desc, err := tc.DescribeWorkflow(ctx, workflows.JobWorkflowID(key), runID)
	if err != nil || desc.Status != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		return "", false
	}
	if runID == "" {
		runID = desc.WorkflowExecution.RunID
	}
	rctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	return refusal(tc.GetWorkflow(rctx, workflows.JobWorkflowID(key), runID).Get(rctx, nil))
}
