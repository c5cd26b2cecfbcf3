package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/connect"
	"github.com/borealis-dev/borealis/internal/tupdate"
	"github.com/borealis-dev/borealis/workflows"
)

// Bounds on how long the CLI waits for Temporal and the worker.
const (
	dialTimeout = 10 * time.Second
	// queryTimeout bounds one query: a query needs a worker to answer it.
	queryTimeout = 15 * time.Second
	// queryParallelism bounds the instance queries in flight at once.
	queryParallelism = 8
)

// temporalConn is a dialed Temporal client with the settings it came from.
type temporalConn struct {
	client.Client
	st *settings.Settings
	// versions warns when a polling worker's version differs.
	versions *workerVersions
}

// dial connects to Temporal from the settings. Nothing listening at the
// address exits 7 with what to do about it.
func (a *app) dial(ctx context.Context) (*temporalConn, error) {
	st, err := a.loadSettings()
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	c, err := connect.Temporal(dctx, st, nil)
	if errors.Is(err, connect.ErrTemporalUnreachable) {
		return nil, errorf(ExitNetworkError, "no Temporal server at %s: start it with make dev-server (or set %s)",
			st.Temporal.Address, settings.EnvName(settings.KeyTemporalAddress))
	}
	if err != nil {
		return nil, withCode(ExitInvalidParameter, err)
	}
	return &temporalConn{Client: c, st: st, versions: newWorkerVersions(a.err)}, nil
}

// webUI is the Temporal Web UI address of a workflow (docs/semantics.md §6).
func webUI(st *settings.Settings, workflowID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", st.Temporal.WebUI,
		url.PathEscape(st.Temporal.Namespace), url.PathEscape(workflowID))
}

// webUIQuery is the Temporal Web UI address of the workflows a visibility
// query lists.
func webUIQuery(st *settings.Settings, query string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows?query=%s", st.Temporal.WebUI,
		url.PathEscape(st.Temporal.Namespace), url.QueryEscape(query))
}

// printWebUI prints the Web UI address of a workflow: on stderr when stdout
// carries JSON, else on stdout.
func (a *app) printWebUI(st *settings.Settings, workflowID string, jsonOut bool) {
	a.printWebUIAddress(webUI(st, workflowID), jsonOut)
}

// printWebUIAddress prints a Web UI address (of a workflow or a list of
// them), on stderr when toStderr, and opens it with --open-browser.
func (a *app) printWebUIAddress(addr string, toStderr bool) {
	w := a.out
	if toStderr {
		w = a.err
	}
	fmt.Fprintf(w, "Web UI: %s\n", addr)
	a.openWebUI(addr)
}

// checkWorker returns an error naming the task queue when no worker polls
// it, so a request that only a worker can answer fails at once with a hint
// instead of hanging.
func (tc *temporalConn) checkWorker(ctx context.Context) error {
	queue := tc.st.Temporal.TaskQueue
	resp, err := tc.DescribeTaskQueue(ctx, queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
	if err != nil {
		return tc.temporalError(err, "describe task queue "+queue)
	}
	if len(resp.GetPollers()) == 0 {
		return errorf(ExitCommandFailure, "no worker polls task queue %q on %s: start one with make worker",
			queue, tc.st.Temporal.Address)
	}
	tc.versions.check(queue, resp.GetPollers())
	return nil
}

// warnNoWorker prints checkWorker's hint as a warning, for requests that a
// worker will act on whenever it starts.
func (a *app) warnNoWorker(ctx context.Context, tc *temporalConn, w io.Writer) {
	if err := tc.checkWorker(ctx); err != nil && exitCode(err) == ExitCommandFailure {
		fmt.Fprintln(w, "Warning:", err)
	}
}

// temporalError gives a Temporal failure its exit code: unreachable 7,
// timed out 9, anything else 4.
func (tc *temporalConn) temporalError(err error, what string) error {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case errors.As(err, &unavailable):
		return errorf(ExitNetworkError, "%s: Temporal at %s is unreachable: %w", what, tc.st.Temporal.Address, err)
	case errors.As(err, &deadline), errors.Is(err, context.DeadlineExceeded):
		return errorf(ExitTimeout, "%s: no answer in time; is a worker polling task queue %q? (%w)", what, tc.st.Temporal.TaskQueue, err)
	}
	return errorf(ExitCommandFailure, "%s: %w", what, err)
}

// jobError is temporalError for requests to a job's workflow: an unknown
// job (or one whose workflow has ended, for updates) exits 4.
func (tc *temporalConn) jobError(key string, err error, what string) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return errorf(ExitCommandFailure, "job %s not found (borealis job list shows the running jobs)", key)
	}
	return tc.temporalError(err, what)
}

// queryJob returns the job's record from its workflow. It first checks,
// without a worker, that the job exists, then that a worker polls to
// answer the query, so neither case waits for the query to time out. A
// job the worker refused (its workflow failed with the refusal) is a
// record with only JobKey and Refused, read without a worker.
func (tc *temporalConn) queryJob(ctx context.Context, key string) (workflows.JobView, error) {
	var view workflows.JobView
	desc, err := tc.DescribeWorkflow(ctx, workflows.JobWorkflowID(key), "")
	if err != nil {
		return view, tc.jobError(key, err, "describe job "+key)
	}
	if desc.Status == enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		if msg, ok := tc.refusedRun(ctx, key, desc.WorkflowExecution.RunID); ok {
			return workflows.JobView{JobKey: key, Refused: msg}, nil
		}
	}
	if err := tc.checkWorker(ctx); err != nil {
		return view, err
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	v, err := tc.QueryWorkflow(qctx, workflows.JobWorkflowID(key), "", workflows.QueryJob)
	if err == nil {
		err = v.Get(&view)
	}
	if err != nil {
		return view, tc.jobError(key, err, "query job "+key)
	}
	return view, nil
}

// queryInstances asks each instance's workflow for its status, a few at a
// time, and returns the answers in the order of ids. With lenient, an
// instance whose workflow is gone (past retention) is left out instead of
// failing the whole query.
func (tc *temporalConn) queryInstances(ctx context.Context, key string, ids []int, lenient bool) ([]workflows.InstanceStatus, error) {
	out := make([]workflows.InstanceStatus, len(ids))
	found := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(queryParallelism)
	for i, id := range ids {
		g.Go(func() error {
			qctx, cancel := context.WithTimeout(gctx, queryTimeout)
			defer cancel()
			v, err := tc.QueryWorkflow(qctx, workflows.InstanceWorkflowID(key, id), "", workflows.QueryInstanceStatus)
			if err == nil {
				err = v.Get(&out[i])
			}
			var notFound *serviceerror.NotFound
			if lenient && errors.As(err, &notFound) {
				return nil
			}
			if err != nil {
				return tc.temporalError(err, fmt.Sprintf("query instance %d of %s", id, key))
			}
			found[i] = true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for i, s := range out {
		if found[i] {
			kept = append(kept, s)
		}
	}
	return kept, nil
}

// instanceIDsEver lists the instances of key that ever had a workflow,
// killed ones included, from visibility (eventually consistent).
func (tc *temporalConn) instanceIDsEver(ctx context.Context, key string) ([]int, error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND %s = '%s' AND ExecutionStatus != 'ContinuedAsNew'",
		workflows.InstanceWorkflowName, workflows.JobKeyAttribute.GetName(), escapeQuery(key))
	seen := map[int]bool{}
	var ids []int
	err := tc.listWorkflows(ctx, query, func(id string) {
		k, n, err := workflows.ParseInstanceWorkflowID(id)
		if err == nil && k == key && !seen[n] {
			seen[n] = true
			ids = append(ids, n)
		}
	})
	return ids, err
}

// listWorkflows calls fn with the id of every workflow query matches.
func (tc *temporalConn) listWorkflows(ctx context.Context, query string, fn func(workflowID string)) error {
	return tc.listExecutions(ctx, query, func(e *workflowpb.WorkflowExecutionInfo) {
		fn(e.GetExecution().GetWorkflowId())
	})
}

// listExecutions calls fn with every workflow execution query matches, page
// by page.
func (tc *temporalConn) listExecutions(ctx context.Context, query string, fn func(*workflowpb.WorkflowExecutionInfo)) error {
	var token []byte
	for {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: tc.st.Temporal.Namespace, Query: query, NextPageToken: token,
		})
		if err != nil {
			return tc.temporalError(err, "list workflows")
		}
		for _, e := range resp.GetExecutions() {
			fn(e)
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return nil
		}
	}
}

// escapeQuery quotes s for a single-quoted visibility query string.
func escapeQuery(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// updateJob runs an update of the job's workflow and waits for its result.
// It fails at once when no worker polls (an update waits for one), and
// gives the validator's rejections their exit codes: an unknown instance 6,
// a busy or updating job 4.
func (tc *temporalConn) updateJob(ctx context.Context, key, name string, result any, args ...any) error {
	err := tc.sendUpdate(ctx, workflows.JobWorkflowID(key), name, "", result, args...)
	if err == nil {
		return nil
	}
	if exitCode(err) != ExitUnknown {
		return err
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		if msg, ok := tc.refusedRun(ctx, key, ""); ok {
			return errorf(ExitCommandFailure, "job %s was refused by the worker and has no instances: %s", key, msg)
		}
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		if appErr.Type() == workflows.ErrTypeUnknownInstance {
			return withCode(ExitInvalidParameter, errors.New(appErr.Message()))
		}
		return withCode(ExitCommandFailure, fmt.Errorf("%s %s: %s", name, key, appErr.Message()))
	}
	return tc.jobError(key, err, name+" "+key)
}

// sendUpdate runs the Temporal update name of a workflow and waits for its
// result. It fails at once when no worker polls (an update waits for one);
// an update a failed workflow task did not take is sent again
// (internal/tupdate); other errors come back as the SDK gives them, for the
// caller to classify. A non-empty updateID makes a repeated command the same
// update.
func (tc *temporalConn) sendUpdate(ctx context.Context, workflowID, name, updateID string, result any, args ...any) error {
	if err := tc.checkWorker(ctx); err != nil {
		return err
	}
	return tupdate.Send(ctx, tc, client.UpdateWorkflowOptions{
		WorkflowID: workflowID,
		UpdateID:   updateID,
		UpdateName: name,
		Args:       args,
	}, result)
}
