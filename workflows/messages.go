package workflows

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// Message is one signal a workflow sends through the SendMessages local
// activity: exactly one of Request, Reply and Record is set.
type Message struct {
	WorkflowID string           `json:"workflow_id"`
	Request    *InstanceRequest `json:"request,omitempty"`
	Reply      *InstanceReply   `json:"reply,omitempty"`
	Record     *RecordRequest   `json:"record,omitempty"`
}

// signal is the signal name and argument of m.
func (m Message) signal() (string, any, error) {
	switch {
	case m.Request != nil:
		return SignalInstanceRequest, *m.Request, nil
	case m.Reply != nil:
		return SignalInstanceReply, *m.Reply, nil
	case m.Record != nil:
		return SignalRecord, *m.Record, nil
	}
	return "", nil, fmt.Errorf("message to %s carries nothing", m.WorkflowID)
}

// Messenger sends workflows' signals for them, as the SendMessages local
// activity. A batch of signals sent this way costs the sender one history
// event (the local activity's marker) and no workflow task, where a
// SignalExternalWorkflow costs two events and a workflow task per signal;
// that is what lets an update ask a batch of 100 instances at once.
//
// Delivery is at least once (a retried activity sends again): every signal
// carries a key its receiver made unique, and receivers drop keys they have
// seen.
type Messenger struct {
	Client client.Client
	// Parallel bounds the signals in flight at once (default 16).
	Parallel int
}

// SendMessagesName is the local activity's registered name.
const SendMessagesName = "SendMessages"

// SendMessages signals each message's workflow (its current run). It
// reports, message by message, whether the workflow was there to receive
// it: false when it has ended or never existed. Any other error fails the
// activity, to be retried.
func (m *Messenger) SendMessages(ctx context.Context, msgs []Message) ([]bool, error) {
	parallel := m.Parallel
	if parallel <= 0 {
		parallel = 16
	}
	delivered := make([]bool, len(msgs))
	errs := make([]error, len(msgs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, msg := range msgs {
		name, arg, err := msg.signal()
		if err != nil {
			return nil, err
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := m.Client.SignalWorkflow(ctx, msg.WorkflowID, "", name, arg)
			var notFound *serviceerror.NotFound
			switch {
			case err == nil:
				delivered[i] = true
			case errors.As(err, &notFound):
			default:
				errs[i] = fmt.Errorf("signal %s to %s: %w", name, msg.WorkflowID, err)
			}
		}()
	}
	wg.Wait()
	return delivered, errors.Join(errs...)
}

// messageActivity runs SendMessages: quick, retried until it succeeds.
var messageActivity = workflow.LocalActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy:         retryForever,
}

// sendMessages sends msgs from a workflow through the SendMessages local
// activity and reports which were delivered. It fails only when the
// workflow is being cancelled.
func sendMessages(ctx workflow.Context, msgs []Message) ([]bool, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	var delivered []bool
	lctx := workflow.WithLocalActivityOptions(ctx, messageActivity)
	err := workflow.ExecuteLocalActivity(lctx, SendMessagesName, msgs).Get(ctx, &delivered)
	if err != nil {
		return nil, fmt.Errorf("send %d signals: %w", len(msgs), err)
	}
	return delivered, nil
}
