// Package tupdate sends a Temporal update (a workflow's synchronous
// request) and waits for its result, retrying the one refusal that says
// nothing about the request: a workflow task that failed while it carried
// the update.
//
// The server fails a workflow task whose commands arrive after new events
// (signals, say) it has not seen: a workflow that completed while an
// instance's reply came in, for one (UnhandledCommand). The update the task
// carried is then not accepted, and its caller gets WorkflowNotReady
// ("unexpected workflow task failure") although the workflow is fine and
// runs the task again. Send retries it under the same update id, so that an
// update the retried task did take is the one waited for, never a second.
package tupdate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// Retries is how many times Send sends an update again after a workflow
// task failure, backing off from firstBackoff, doubling up to maxBackoff.
const Retries = 8

// firstBackoff and maxBackoff bound the wait between retries (variables
// for the tests).
var (
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 2 * time.Second
)

// Updater is the part of a Temporal client Send uses.
type Updater interface {
	UpdateWorkflow(ctx context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// Send runs the update opts describes, waits for it to complete and decodes
// its result into result (nil: no result wanted). An empty opts.UpdateID is
// given a fresh one, the same for every retry.
func Send(ctx context.Context, c Updater, opts client.UpdateWorkflowOptions, result any) error {
	if opts.UpdateID == "" {
		opts.UpdateID = uuid.NewString()
	}
	opts.WaitForStage = client.WorkflowUpdateStageCompleted
	backoff := firstBackoff
	for attempt := 0; ; attempt++ {
		err := send(ctx, c, opts, result)
		if !Retryable(err) || attempt == Retries {
			if Retryable(err) {
				return fmt.Errorf("update %s of workflow %s: %d workflow task failures in a row: %w", opts.UpdateName, opts.WorkflowID, attempt+1, err)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

func send(ctx context.Context, c Updater, opts client.UpdateWorkflowOptions, result any) error {
	h, err := c.UpdateWorkflow(ctx, opts)
	if err != nil {
		return err
	}
	return h.Get(ctx, result)
}

// Retryable reports whether err is the refusal of an update whose workflow
// task failed: the update was not taken, and sending it again is safe.
func Retryable(err error) bool {
	var notReady *serviceerror.WorkflowNotReady
	return errors.As(err, &notReady)
}
