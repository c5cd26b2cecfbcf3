package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// send asks the instance (or the job, for an added one) to act.
func (u *update) send(ctx workflow.Context, f *inFlight, forward bool) {
	if u.batched {
		u.sendAll(ctx, []*inFlight{f}, forward)
		return
	}
	rec, req := u.prepare(ctx, f, forward)
	if rec != nil {
		u.record(ctx, *rec)
	}
	if req != nil {
		u.signalInstance(ctx, f, *req)
	}
}

// sendAll asks several instances (and the job, for what it records, with
// recs besides) to act with one SendMessages.
func (u *update) sendAll(ctx workflow.Context, fs []*inFlight, forward bool, recs ...RecordRequest) {
	for _, f := range fs {
		if rec, _ := u.prepare(ctx, f, forward); rec != nil {
			recs = append(recs, *rec)
		}
	}
	var toSend []*inFlight
	for _, f := range fs {
		if f.sent != nil {
			toSend = append(toSend, f)
		}
	}
	if err := u.deliver(ctx, recs, toSend); err != nil {
		u.logger.Error("send requests", "error", err)
	}
}

// deliver records recs in the job (one signal) and sends each instance in
// fs its request; an instance whose workflow has ended is answered for.
func (u *update) deliver(ctx workflow.Context, recs []RecordRequest, fs []*inFlight) error {
	var msgs []Message
	if len(recs) > 0 {
		batch := u.recordKey(ctx, RecordRequest{Op: RecordBatch, Batch: recs})
		msgs = append(msgs, Message{WorkflowID: u.in.JobWorkflowID, Record: &batch})
	}
	first := len(msgs)
	for _, f := range fs {
		msgs = append(msgs, Message{WorkflowID: InstanceWorkflowID(u.in.JobKey, f.step.Instance), Request: f.sent})
	}
	delivered, err := send(ctx, viaActivity, msgs...)
	if err != nil {
		return err
	}
	if first > 0 && !delivered[0] {
		u.logger.Error("record in the job: its workflow has ended", "records", len(recs))
	}
	for i, f := range fs {
		if !delivered[first+i] {
			u.replies[f.key] = endedReply(*f.sent, f.step.Instance)
		}
	}
	return nil
}

// prepare makes the next attempt's request for f: what the job records
// (nil: nothing) and what the instance is asked (also kept in f.sent; nil
// when the job's workflow is asked instead, for an added instance).
func (u *update) prepare(ctx workflow.Context, f *inFlight, forward bool) (*RecordRequest, *InstanceRequest) {
	f.attempts++
	dir := "fwd"
	if !forward {
		dir = "back"
	}
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	f.key = fmt.Sprintf("%s/%s/%d/%d", me, dir, f.step.Instance, f.attempts)
	watch := InstanceRequest{Key: f.key, Kind: RequestReplace, ReplyTo: me, WatchSecs: u.cfg.WatchSecs}
	if u.cfg.HealthyDeadlineSecs != nil {
		watch.HealthyDeadlineSecs = *u.cfg.HealthyDeadlineSecs
	}

	// What the instance runs after this step, by direction and action.
	version, job := u.in.UpdateID, u.in.Job
	if !forward {
		version, job = f.step.From, u.in.Configs[f.step.From]
	}
	add := (forward && f.step.Action == ActionAdd) || (!forward && f.step.Action == ActionRemove)
	remove := (forward && f.step.Action == ActionRemove) || (!forward && f.step.Action == ActionAdd)
	f.sent = nil
	if add && f.attempts > 1 && workflow.GetVersion(ctx, retryAddedVersionID, workflow.DefaultVersion, 1) >= 1 {
		// The job has the instance since the first attempt: its failed
		// task is replaced, as a changed instance's would be.
		add = false
	}
	switch {
	case add:
		return &RecordRequest{Op: RecordAdd, Instance: f.step.Instance, Version: version, Watch: &watch}, nil
	case remove:
		f.sent = &InstanceRequest{Key: f.key, Kind: RequestKill, ReplyTo: me}
		return nil, f.sent
	default:
		watch.Job, watch.ConfigVersion = &job, version
		f.sent = &watch
		return &RecordRequest{Op: RecordSet, Instance: f.step.Instance, Version: version}, f.sent
	}
}

func (u *update) signalInstance(ctx workflow.Context, f *inFlight, req InstanceRequest) {
	f.sent = &req
	if !signalInstance(ctx, u.in.JobKey, f.step.Instance, req) {
		u.replies[f.key] = endedReply(req, f.step.Instance)
	}
}

// recordKey gives r the next record key of this update.
func (u *update) recordKey(ctx workflow.Context, r RecordRequest) RecordRequest {
	u.recSeq++
	r.Key = fmt.Sprintf("%s/record/%d", workflow.GetInfo(ctx).WorkflowExecution.ID, u.recSeq)
	return r
}

// record tells the job's workflow what an instance runs now, by
// SignalExternalWorkflow (send, viaSignal), as runs from before
// batchRequestsVersionID do.
func (u *update) record(ctx workflow.Context, r RecordRequest) {
	r = u.recordKey(ctx, r)
	if _, err := send(ctx, viaSignal, Message{WorkflowID: u.in.JobWorkflowID, Record: &r}); err != nil {
		u.logger.Error("record in the job", "instance", r.Instance, "error", err)
	}
}
