package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Message is one signal a workflow sends through the SendMessages local
// activity (package messenger runs it): exactly one of Request, Reply and
// Record is set.
type Message struct {
	WorkflowID string           `json:"workflow_id"`
	Request    *InstanceRequest `json:"request,omitempty"`
	Reply      *InstanceReply   `json:"reply,omitempty"`
	Record     *RecordRequest   `json:"record,omitempty"`
}

// Signal is the signal name and argument of m.
func (m Message) Signal() (string, any, error) {
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

// SendMessagesName is the local activity's registered name.
const SendMessagesName = "SendMessages"

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
