package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
)

// drainSignals moves every signal already received into Pending.
func (w *instance) drainSignals() {
	for {
		var req InstanceRequest
		if !w.requests.ReceiveAsync(&req) {
			return
		}
		w.st.Pending = append(w.st.Pending, req)
	}
}

// nextRequest returns the next pending request not seen before.
func (w *instance) nextRequest() (InstanceRequest, bool) {
	w.drainSignals()
	for len(w.st.Pending) > 0 {
		req := w.st.Pending[0]
		w.st.Pending = w.st.Pending[1:]
		if w.seen(req.Key) {
			continue
		}
		w.st.Seen = append(w.st.Seen, req.Key)
		if len(w.st.Seen) > keepSeen {
			w.st.Seen = w.st.Seen[len(w.st.Seen)-keepSeen:]
		}
		return req, true
	}
	return InstanceRequest{}, false
}

func (w *instance) seen(key string) bool {
	for _, k := range w.st.Seen {
		if k == key {
			return true
		}
	}
	return false
}

// answerLeftovers answers the requests still pending when the instance
// ends: a kill has nothing left to kill, a restart or replace cannot be done.
func (w *instance) answerLeftovers(ctx workflow.Context) {
	for _, req := range w.st.Kills {
		w.reply(ctx, req, OutcomeKilled, "")
	}
	w.st.Kills = nil
	if w.st.Watch != nil {
		w.reply(ctx, *w.st.Watch, OutcomeFailed, "instance has ended")
		w.st.Watch, w.st.WatchTask = nil, ""
	}
	for {
		req, ok := w.nextRequest()
		if !ok {
			return
		}
		if req.Kind == RequestKill {
			w.reply(ctx, req, OutcomeKilled, "instance had already ended")
		} else {
			w.reply(ctx, req, OutcomeFailed, "instance has ended")
		}
	}
}

// acceptRestart takes a restart or replace request for the next task.
func (w *instance) acceptRestart(ctx workflow.Context, req InstanceRequest) {
	if w.st.Watch != nil {
		w.reply(ctx, *w.st.Watch, OutcomeFailed, "superseded by "+req.Key)
	}
	if req.Kind == RequestReplace && req.Job != nil {
		w.in.Job = *req.Job
		w.in.ConfigVersion = req.ConfigVersion
		if w.st.Active != nil && !w.st.Active.Status.Terminal() && w.st.Active.ContainerID == "" {
			w.st.Active.ConfigVersion = req.ConfigVersion
		}
	}
	w.st.Watch = &req
	w.st.WatchTask = ""
	if w.st.Active != nil && w.st.Active.ContainerID == "" {
		// The task has not started yet: the watch judges it.
		w.st.WatchTask = w.st.Active.TaskID
	}
	w.st.NoThrottle = true
}

// startsFirst reports whether a request replaces the task start_first.
func (w *instance) startsFirst(req InstanceRequest) bool {
	return req.Kind == RequestReplace && req.Job != nil && req.Job.UpdateConfig.UpdateOrder == config.UpdateOrderStartFirst
}

// reply answers a request by signal to the workflow that asked.
func (w *instance) reply(ctx workflow.Context, req InstanceRequest, outcome, msg string) {
	if req.ReplyTo == "" {
		return
	}
	r := InstanceReply{Key: req.Key, Instance: w.in.Instance, Outcome: outcome, Message: msg}
	if w.st.Active != nil {
		r.TaskID = w.st.Active.TaskID
	} else if n := len(w.st.Inactive); n > 0 {
		r.TaskID = w.st.Inactive[n-1].TaskID
	}
	// Runs from before the fast path reply by SignalExternalWorkflow.
	via := viaSignal
	if w.fast {
		via = viaActivity
	}
	delivered, err := send(ctx, via, Message{WorkflowID: req.ReplyTo, Reply: &r})
	if err != nil || !delivered[0] {
		// The requester is gone; nobody waits for the answer.
		w.logger.Warn("reply to requester: it has ended", "to", req.ReplyTo, "key", req.Key, "error", err)
	}
}
