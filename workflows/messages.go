package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Message is one signal a workflow sends to another (see send): exactly
// one of Request, Reply, Record, Done, CronRun, CronDone and CronEnded is set. Through SendMessages,
// package messenger sends it.
type Message struct {
	WorkflowID string             `json:"workflow_id"`
	Request    *InstanceRequest   `json:"request,omitempty"`
	Reply      *InstanceReply     `json:"reply,omitempty"`
	Record     *RecordRequest     `json:"record,omitempty"`
	Done       *UpdateDone        `json:"done,omitempty"`
	CronRun    *CronRunRequest    `json:"cron_run,omitempty"`
	CronDone   *CronRun           `json:"cron_done,omitempty"`
	CronEnded  *CronInstanceEnded `json:"cron_ended,omitempty"`
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
	case m.Done != nil:
		return SignalUpdateDone, *m.Done, nil
	case m.CronRun != nil:
		return SignalCronRun, *m.CronRun, nil
	case m.CronDone != nil:
		return SignalCronDone, *m.CronDone, nil
	case m.CronEnded != nil:
		return SignalCronInstanceEnded, *m.CronEnded, nil
	}
	return "", nil, fmt.Errorf("message to %s carries nothing", m.WorkflowID)
}

// delivery is how send sends. Workflows send to each other through send,
// by one of two means; only the first is chosen by running code, the
// second exists so that runs from before it replay:
//
//   - viaActivity: the SendMessages local activity (package messenger)
//     signals with the worker's Temporal client. Any number of messages
//     cost the sender one marker event and no workflow task
//     (docs/decisions.md).
//   - viaSignal: one SignalExternalWorkflow per message, each waited for
//     before the next (two history events and a workflow task round trip
//     per message), as runs from before the versions that brought
//     SendMessages sent: fastPathVersionID (an instance's replies),
//     batchRequestsVersionID (an update's requests and records) and
//     oneDeliveryVersionID (a job's requests, an update's UpdateDone).
type delivery int

const (
	viaActivity delivery = iota
	viaSignal
)

// send sends msgs to their workflows and reports, message by message,
// whether the workflow was there to receive it. viaActivity, err is set
// only when the sending workflow is being cancelled, and delivered is then
// nil; viaSignal, err joins the errors of the messages not delivered.
func send(ctx workflow.Context, via delivery, msgs ...Message) (delivered []bool, err error) {
	if via == viaActivity {
		return sendMessages(ctx, msgs)
	}
	delivered = make([]bool, len(msgs))
	var errs []error
	for i, m := range msgs {
		name, arg, err := m.Signal()
		if err == nil {
			err = workflow.SignalExternalWorkflow(ctx, m.WorkflowID, "", name, arg).Get(ctx, nil)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		delivered[i] = true
	}
	return delivered, errors.Join(errs...)
}

// SendMessagesName is the local activity's registered name.
const SendMessagesName = "SendMessages"

// messageActivity runs SendMessages: quick, retried until it succeeds.
var messageActivity = workflow.LocalActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy:         retryForever,
}

// sendMessages sends msgs through the SendMessages local activity (send,
// viaActivity) and reports which were delivered. It fails only when the
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
