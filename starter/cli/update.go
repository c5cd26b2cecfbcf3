package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

// What the update verbs (update_*.go) share: update ids, reading an
// update's record, following it and the exit code its end gives.

// newUpdateCommand is the `update` group.
func newUpdateCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "update", Short: "Start, follow and control rolling job updates"}
	cmd.AddCommand(
		newUpdateStartCommand(a),
		newUpdateWaitCommand(a),
		newUpdateControlCommand(a, workflows.UpdatePause, "Pause the job's active update"),
		newUpdateControlCommand(a, workflows.UpdateResume, "Resume the job's paused update"),
		newUpdateControlCommand(a, workflows.UpdateAbort, "Abort the job's active update, leaving the job partly updated"),
		newUpdateControlCommand(a, workflows.UpdateRollback, "Roll the job's active update back"),
		newUpdatePulseCommand(a),
		newUpdateInfoCommand(a),
		newUpdateListCommand(a),
	)
	return cmd
}

// allUpdateStatuses lists every update state, active ones first (docs/semantics.md §5).
var allUpdateStatuses = []workflows.UpdateStatus{
	workflows.UpdateRollingForward, workflows.UpdateRollingBack,
	workflows.UpdateRollForwardPaused, workflows.UpdateRollBackPaused,
	workflows.UpdateRollForwardAwaitingPulse, workflows.UpdateRollBackAwaitingPulse,
	workflows.UpdateRolledForward, workflows.UpdateRolledBack,
	workflows.UpdateAborted, workflows.UpdateError, workflows.UpdateFailed,
}

// parseUpdateStatus reads a state name in any case; unknown names exit 6.
func parseUpdateStatus(s string) (workflows.UpdateStatus, error) {
	st := workflows.UpdateStatus(strings.ToUpper(strings.TrimSpace(s)))
	if slices.Contains(allUpdateStatuses, st) {
		return st, nil
	}
	names := make([]string, len(allUpdateStatuses))
	for i, u := range allUpdateStatuses {
		names[i] = string(u)
	}
	return "", errorf(ExitInvalidParameter, "unknown update status %q: want one of %s", s, strings.Join(names, ", "))
}

// notesOut is where a command prints its lines for people: stdout, or
// stderr when stdout carries JSON (--write-json), so that stdout holds one
// JSON value and nothing else (docs/semantics.md §6.4).
func (a *app) notesOut(writeJSON bool) io.Writer {
	if writeJSON {
		return a.err
	}
	return a.out
}

// printJSON prints v as indented JSON, as every --write-json does.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newUpdateID makes a random update id shaped like Aurora's, a UUID
// (version 4). The CLI makes it, not the workflow, so that a retried start
// is the same update.
func newUpdateID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// errNoActiveUpdate is Aurora's answer to an operation on a job without an
// active update (docs/semantics.md §5).
func errNoActiveUpdate() error {
	return errorf(ExitInvalidParameter, "No active update found for this job.")
}

// unknownUpdate is the error for an update id the job never had.
func unknownUpdate(key, id string) error {
	return errorf(ExitInvalidParameter, "update %s of job %s not found (borealis update list %s shows its updates)", id, key, key)
}

// jobExists fails with exit 4 when key has no job workflow; it needs no worker.
func (tc *temporalConn) jobExists(ctx context.Context, key string) error {
	if _, err := tc.DescribeWorkflow(ctx, workflows.JobWorkflowID(key), ""); err != nil {
		return tc.jobError(key, err, "describe job "+key)
	}
	return nil
}

// updateInfo reads an update's record: from its workflow's query while it
// runs, and once it has closed from the query when a worker can replay it
// (its progress counts are exact) or else from the workflow's result. An
// unknown update exits 6.
func (tc *temporalConn) updateInfo(ctx context.Context, key, id string) (workflows.UpdateInfo, error) {
	var info workflows.UpdateInfo
	wid := workflows.UpdateWorkflowID(key, id)
	desc, err := tc.DescribeWorkflow(ctx, wid, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return info, unknownUpdate(key, id)
	}
	if err != nil {
		return info, tc.temporalError(err, "describe update "+id)
	}
	running := desc.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	workerErr := tc.checkWorker(ctx)
	if running && workerErr != nil {
		return info, workerErr
	}
	if workerErr == nil {
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		v, err := tc.QueryWorkflow(qctx, wid, "", workflows.QueryUpdateInfo)
		if err == nil {
			err = v.Get(&info)
		}
		cancel()
		if err == nil {
			return info, nil
		}
		if running {
			return info, tc.temporalError(err, "query update "+id)
		}
	}
	if err := tc.GetWorkflow(ctx, wid, "").Get(ctx, &info); err != nil {
		return info, tc.temporalError(err, "read the result of update "+id)
	}
	return info, nil
}

// updateSummary is one update as visibility lists it.
type updateSummary struct {
	ID      string
	Status  workflows.UpdateStatus
	Started time.Time
}

// listUpdates lists the job's updates, newest first, those in one of
// statuses when any are given. Visibility is eventually consistent: an
// update started or changed a moment ago may show late.
func (tc *temporalConn) listUpdates(ctx context.Context, key string, statuses []workflows.UpdateStatus) ([]updateSummary, error) {
	query := updatesQuery(key, statuses)
	prefix := workflows.UpdateWorkflowID(key, "")
	dc := converter.GetDefaultDataConverter()
	var out []updateSummary
	err := tc.listExecutions(ctx, query, func(e *workflowpb.WorkflowExecutionInfo) {
		id, ok := strings.CutPrefix(e.GetExecution().GetWorkflowId(), prefix)
		if !ok {
			return
		}
		s := updateSummary{ID: id, Started: e.GetStartTime().AsTime()}
		if p := e.GetSearchAttributes().GetIndexedFields()[workflows.UpdateStatusAttribute.GetName()]; p != nil {
			_ = dc.FromPayload(p, &s.Status)
		}
		out = append(out, s)
	})
	// The dev server's SQL visibility orders open workflows first, then by
	// close time; an update's age is its start.
	slices.SortStableFunc(out, func(a, b updateSummary) int { return b.Started.Compare(a.Started) })
	return out, err
}

// updatesQuery is the visibility query of the job's updates, those in one
// of statuses when any are given.
func updatesQuery(key string, statuses []workflows.UpdateStatus) string {
	query := fmt.Sprintf("WorkflowType = '%s' AND %s = '%s'",
		workflows.UpdateWorkflowName, workflows.JobKeyAttribute.GetName(), escapeQuery(key))
	if len(statuses) > 0 {
		quoted := make([]string, len(statuses))
		for i, s := range statuses {
			quoted[i] = "'" + escapeQuery(string(s)) + "'"
		}
		query += fmt.Sprintf(" AND %s IN (%s)", workflows.UpdateStatusAttribute.GetName(), strings.Join(quoted, ", "))
	}
	return query
}

// followUpdate polls the update until it finishes or timeout (0: never)
// passes, showing its progress on w as it changes, and returns its final
// record. Failures to read it are shown and retried, but an unknown update
// exits 6.
func followUpdate(ctx context.Context, a *app, tc *temporalConn, key, id string, timeout time.Duration, w io.Writer) (workflows.UpdateInfo, error) {
	// The timeout ends the wait, not a read in flight: each read has its
	// own bound (queryTimeout), so that a wait that times out has shown
	// the update's state at least once, however slow Temporal answers.
	start := time.Now()
	var deadline <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		deadline = timer.C
	}
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	show := progressPrinter{r: progress.New(w)}
	defer show.done()
	var info workflows.UpdateInfo
	lastErr := ""
	timedOut := func() error {
		status := string(info.Status)
		if status == "" {
			status = "unknown"
		}
		return errorf(ExitTimeout, "timed out after %s waiting for update %s of %s (last seen %s)", timeout, id, key, status)
	}
	for {
		rctx, cancel := context.WithTimeout(ctx, queryTimeout)
		got, err := tc.updateInfo(rctx, key, id)
		cancel()
		switch {
		case err == nil:
			info = got
			show.update(info)
			if !info.Status.Active() {
				return info, nil
			}
		case exitCode(err) == ExitInvalidParameter:
			return info, err
		case ctx.Err() == nil && err.Error() != lastErr:
			lastErr = err.Error()
			fmt.Fprintln(a.err, "Warning:", err)
		}
		if timeout > 0 && time.Since(start) >= timeout {
			return info, timedOut()
		}
		select {
		case <-ctx.Done():
			return info, withCode(ExitUnknown, ctx.Err())
		case <-deadline:
			return info, timedOut()
		case <-ticker.C:
		}
	}
}

// reportEnd prints how an update ended and gives the exit code docs/semantics.md §6
// asks of --wait: 0 rolled forward, 4 rolled back, 20 otherwise.
func reportEnd(w io.Writer, info workflows.UpdateInfo, key, id string) error {
	msg := ""
	if n := len(info.UpdateEvents); n > 0 && info.UpdateEvents[n-1].Message != "" {
		msg = ": " + info.UpdateEvents[n-1].Message
	}
	fmt.Fprintf(w, "Update %s of %s finished %s%s\n", id, key, info.Status, msg)
	switch info.Status {
	case workflows.UpdateRolledForward:
		return nil
	case workflows.UpdateRolledBack:
		return errorf(ExitCommandFailure, "update %s of %s rolled back", id, key)
	}
	return errorf(ExitUnknown, "update %s of %s ended %s", id, key, info.Status)
}

// updateOpError classifies the failure of an operation on an update's
// workflow: an update that has finished meanwhile (its workflow completed,
// or its validator says it is no longer active) is no active update, exit
// 6; any other rejection exits 4 with the validator's message.
func (tc *temporalConn) updateOpError(err error, key, id, op string) error {
	var notFound *serviceerror.NotFound
	var appErr *temporal.ApplicationError
	switch {
	case exitCode(err) != ExitUnknown:
		return err
	case errors.As(err, &notFound), strings.Contains(err.Error(), "aborted by closing workflow"):
		// The update's workflow closed before or while it took the operation.
		return errNoActiveUpdate()
	case errors.As(err, &appErr) && appErr.Type() == workflows.ErrTypeUpdateNotActive:
		return errNoActiveUpdate()
	case errors.As(err, &appErr):
		return errorf(ExitCommandFailure, "%s update %s of %s: %s", op, id, key, appErr.Message())
	}
	return tc.temporalError(err, op+" update "+id+" of "+key)
}
