package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/taskapi"
)

// startLocal is how the fast path starts a task: StartTask as a local
// activity, which adopts what an earlier attempt did, so a retry after a
// worker crash is safe.
var startLocal = workflow.LocalActivityOptions{StartToCloseTimeout: 2 * time.Minute, RetryPolicy: retryForever}

// startTask makes the next task: PENDING, THROTTLED when flapping, ASSIGNED,
// then STARTING once its container runs.
func (w *instance) startTask(ctx workflow.Context) error {
	w.st.Seq++
	j := w.in.Job
	w.st.Active = &TaskInfo{
		InstanceID:    w.in.Instance,
		TaskID:        fmt.Sprintf("%s-%s-%s-%d-%d-%s", j.Role, j.Environment, j.Name, w.in.Instance, w.st.Seq, w.runTag(ctx)),
		FailureCount:  w.st.FailureCount,
		ConfigVersion: w.in.ConfigVersion,
	}
	w.st.RunningSinceMs = 0
	w.event(ctx, StatusPending, "")
	if w.st.Watch != nil && w.st.WatchTask == "" {
		w.st.WatchTask = w.st.Active.TaskID
	}

	if w.st.Flaps > 0 && !w.st.NoThrottle {
		delay := w.restartPolicy().Delay(w.st.Flaps)
		w.event(ctx, StatusThrottled, fmt.Sprintf("Rescheduling flapping task in %s", delay))
		killed, err := w.throttle(ctx, delay)
		if err != nil || killed {
			return err
		}
	}
	w.st.NoThrottle = false

	w.event(ctx, StatusAssigned, "")
	in := taskapi.StartTaskInput{JobKey: w.in.JobKey, Instance: w.in.Instance, TaskID: w.st.Active.TaskID, Job: w.in.Job}
	var started workflow.Future
	if w.fast {
		lopts := startLocal
		lopts.Summary = fmt.Sprintf("start task %s, instance %d", in.TaskID, w.in.Instance)
		started = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, lopts), taskapi.StartTask, in)
	} else {
		started = workflow.ExecuteActivity(w.with(ctx, startActivity, "start task "+in.TaskID), taskapi.StartTask, in)
	}
	var res taskapi.StartTaskResult
	err := started.Get(ctx, &res)
	if err != nil {
		// A final error (a missing image, a bad spec): the task fails
		// without a container and the restart rules decide what is next.
		w.event(ctx, StatusFailed, "Failed to start: "+rootCause(err))
		w.ended(ctx, stopNone)
		return nil
	}
	t := w.st.Active
	t.ContainerID, t.Host, t.AssignedPorts, t.Sandbox = res.ContainerID, res.Host, res.Ports, res.Sandbox
	msg := "Container " + shortID(res.ContainerID) + " started"
	if res.Adopted {
		msg = "Container " + shortID(res.ContainerID) + " adopted"
	}
	w.event(ctx, StatusStarting, msg)
	return nil
}

// uniqueTaskIDsVersionID gates task ids that differ between two runs
// started within a minute (workflow versioning: runs from before it name
// their tasks as they did).
const uniqueTaskIDsVersionID = "unique-task-ids"

// runTag is the part of a task id that tells this run from the instance's
// other runs. The run id's first 8 characters were used at first, but run
// ids begin with their time, so an instance killed and added again within
// about a minute (an update filling a hole, a rollback re-adding a removed
// instance) named its first task exactly as the killed one's; the run id's
// last 8 characters are random.
func (w *instance) runTag(ctx workflow.Context) string {
	run := workflow.GetInfo(ctx).WorkflowExecution.RunID
	if len(run) <= 8 {
		return run
	}
	if workflow.GetVersion(ctx, uniqueTaskIDsVersionID, workflow.DefaultVersion, 1) >= 1 {
		return run[len(run)-8:]
	}
	return run[:8]
}

// throttle waits out a flapping delay, acting on requests meanwhile. It
// reports whether the instance was killed.
func (w *instance) throttle(ctx workflow.Context, delay time.Duration) (bool, error) {
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timer := workflow.NewTimer(tctx, delay)
	for {
		fired := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(workflow.Future) { fired = true })
		sel.AddReceive(w.requests, func(workflow.ReceiveChannel, bool) {})
		sel.Select(ctx)
		if fired {
			return false, nil
		}
		for {
			req, ok := w.nextRequest()
			if !ok {
				break
			}
			if req.Kind == RequestKill {
				w.st.Kills = append(w.st.Kills, req)
				w.event(ctx, StatusKilled, "Killed while throttled by request "+req.Key)
				w.ended(ctx, stopKill)
				return true, nil
			}
			w.acceptRestart(ctx, req)
			return false, nil
		}
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// rootCause is the innermost message of an activity error.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
