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
// (send, viaSignal: the job's requests, and an update's in runs from before
// batchRequestsVersionID); it reports false when the instance's workflow
// has ended.
func signalInstance(ctx workflow.Context, jobKey string, id int, req InstanceRequest) bool {
	delivered, _ := send(ctx, viaSignal, Message{WorkflowID: InstanceWorkflowID(jobKey, id), Request: &req})
	return delivered[0]
}

// endedReply is the answer for a request to an instance whose workflow has
// ended: nothing runs there to kill, restart or replace.
func endedReply(req InstanceRequest, id int) InstanceReply {
	outcome := OutcomeFailed
	if req.Kind == RequestKill {
		outcome = OutcomeKilled
	}
	return InstanceReply{Key: req.Key, Instance: id, Outcome: outcome, Message: "instance has ended"}
}

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
