package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// resendEvery is how long a requester waits for an answer before sending its
// request again. The instance drops a key it has seen, so the resend does
// nothing but find out whether the instance's workflow has ended meanwhile
// (a signal to an ended workflow fails), in which case nobody would answer.
const resendEvery = time.Minute

// signalInstance sends req to instance id of job by SignalExternalWorkflow
// (send, viaSignal), as runs from before oneDeliveryVersionID (a job's
// requests) or batchRequestsVersionID (an update's) did; it reports false
// when the instance's workflow has ended.
func signalInstance(ctx workflow.Context, jobKey string, id int, req InstanceRequest) bool {
	delivered, _ := send(ctx, viaSignal, Message{WorkflowID: InstanceWorkflowID(jobKey, id), Request: &req})
	return delivered[0]
}

// oneDeliveryVersionID moved the last sends by SignalExternalWorkflow (a
// job's own requests, an update's UpdateDone) to SendMessages (workflow
// versioning: runs from before it send them one by one, as they did).
const oneDeliveryVersionID = "one-delivery"

// deliveryOf is how a job's requests and an update's UpdateDone go: by
// SendMessages, or by SignalExternalWorkflow in runs from before
// oneDeliveryVersionID.
func deliveryOf(ctx workflow.Context) delivery {
	if workflow.GetVersion(ctx, oneDeliveryVersionID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return viaSignal
	}
	return viaActivity
}

// requestInstances sends reqs[i] to instance ids[i] of job, all at once via
// SendMessages (one by one via SignalExternalWorkflow), and reports for
// each whether the instance's workflow has ended. When the sending workflow
// is being cancelled nothing is reported ended: it stops waiting anyway.
func requestInstances(ctx workflow.Context, via delivery, jobKey string, ids []int, reqs []InstanceRequest) (ended []bool) {
	ended = make([]bool, len(reqs))
	if via == viaSignal {
		for i, req := range reqs {
			ended[i] = !signalInstance(ctx, jobKey, ids[i], req)
		}
		return ended
	}
	msgs := make([]Message, len(reqs))
	for i := range reqs {
		msgs[i] = Message{WorkflowID: InstanceWorkflowID(jobKey, ids[i]), Request: &reqs[i]}
	}
	delivered, err := send(ctx, viaActivity, msgs...)
	if err != nil {
		return ended
	}
	for i, ok := range delivered {
		ended[i] = !ok
	}
	return ended
}

// endedReply is the answer for a request to an instance whose workflow has
// ended: nothing runs there to kill, restart or replace.
func endedReply(req InstanceRequest, id int) InstanceReply {
	outcome := OutcomeFailed
	if req.Kind == RequestKill {
		outcome = OutcomeKilled
	}
	return InstanceReply{Key: req.Key, Instance: id, Outcome: outcome, Message: instanceEndedMessage}
}

// instanceEndedMessage is the message of endedReply.
const instanceEndedMessage = "instance has ended"

// resendVersion gates resending unanswered requests (workflow versioning:
// runs that started before it wait without timers, as they did).
const resendVersionID = "resend-unanswered"

// awaitAnswered waits until answered holds; in runs at the resend version it
// calls resend every resendEvery meanwhile.
func awaitAnswered(ctx workflow.Context, answered func() bool, resend func()) error {
	if workflow.GetVersion(ctx, resendVersionID, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return workflow.Await(ctx, answered)
	}
	for {
		ok, err := workflow.AwaitWithTimeout(ctx, resendEvery, answered)
		if ok || err != nil {
			return err
		}
		resend()
	}
}
