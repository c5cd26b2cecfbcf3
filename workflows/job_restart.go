package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"
)

// RestartRequest restarts instances (all when Instances is empty), BatchSize
// at a time, each counted done once its new task is RUNNING for WatchSecs.
//
// The other fields are Aurora's `job restart` flags (docs/semantics.md
// §5.5); zero values keep the restart as it was before them: no retry, no
// failure budget, no deadline.
type RestartRequest struct {
	Instances []int `json:"instances,omitempty"`
	BatchSize int   `json:"batch_size"`
	WatchSecs int   `json:"watch_secs"`
	// MaxPerInstanceFailures is how many more times an instance whose new
	// task failed is restarted, after the instances not yet restarted.
	MaxPerInstanceFailures int `json:"max_per_instance_failures,omitempty"`
	// MaxTotalFailures stops the restart once more instances than this have
	// failed past their retries; the instances not restarted yet are left
	// as they are (OpResult.Skipped). Nil: no budget, every instance is
	// restarted whatever fails.
	MaxTotalFailures *int `json:"max_total_failures,omitempty"`
	// RestartThresholdSecs fails an instance whose new task is not RUNNING
	// this long after its container started (0: no deadline). The task is
	// left running; a retry replaces it.
	RestartThresholdSecs int `json:"restart_threshold_secs,omitempty"`
}

// validate checks a restart request's numbers.
func (r RestartRequest) validate() error {
	switch {
	case r.BatchSize < 1:
		return fmt.Errorf("batch size must be > 0, got %d", r.BatchSize)
	case r.WatchSecs < 0:
		return fmt.Errorf("watch secs must be ≥ 0, got %d", r.WatchSecs)
	case r.MaxPerInstanceFailures < 0:
		return fmt.Errorf("max per instance failures must be ≥ 0, got %d", r.MaxPerInstanceFailures)
	case r.MaxTotalFailures != nil && *r.MaxTotalFailures < 0:
		return fmt.Errorf("max total failures must be ≥ 0, got %d", *r.MaxTotalFailures)
	case r.RestartThresholdSecs < 0:
		return fmt.Errorf("restart threshold must be ≥ 0 seconds, got %d", r.RestartThresholdSecs)
	}
	return nil
}

// restartBudgetVersionID gates the restart that honours the request's
// retries, failure budget and deadline (workflow versioning: restarts of
// runs from before it replay the plain pass over every instance).
const restartBudgetVersionID = "restart-failure-budget"

func (j *job) restart(ctx workflow.Context, r RestartRequest) (OpResult, error) {
	j.busy = "restart"
	defer func() { j.busy = "" }()
	ids := r.Instances
	if len(ids) == 0 {
		ids = j.ids()
	}
	if workflow.GetVersion(ctx, restartBudgetVersionID, workflow.DefaultVersion, 1) >= 1 {
		return j.restartBudgeted(ctx, r, ids)
	}
	res := OpResult{Instances: ids}
	for start := 0; start < len(ids); start += r.BatchSize {
		batch := ids[start:min(start+r.BatchSize, len(ids))]
		replies, err := j.request(ctx, batch, RequestRestart, r.WatchSecs)
		if err != nil {
			return res, err
		}
		for _, rep := range replies {
			if rep.Outcome != OutcomeRunning {
				res.failed(rep.Instance, rep.Message)
			}
		}
	}
	return res, nil
}

// restartBudgeted is Aurora's rolling restart (its client's Restarter): a
// batch of the queue at a time; a failed instance with retries left goes to
// the back of the queue; once more instances than MaxTotalFailures have
// failed past their retries, no further batch starts and the result says
// so (Aborted), with the instances never restarted (Skipped). With the
// request's new fields zero it restarts every instance once, as restart
// always did.
func (j *job) restartBudgeted(ctx workflow.Context, r RestartRequest, ids []int) (OpResult, error) {
	res := OpResult{Instances: ids}
	watch := InstanceRequest{Kind: RequestRestart, WatchSecs: r.WatchSecs, HealthyDeadlineSecs: r.RestartThresholdSecs}
	queue := slices.Clone(ids)
	failures := map[int]int{}
	lost := 0 // instances failed past their retries
	overBudget := func() bool { return r.MaxTotalFailures != nil && lost > *r.MaxTotalFailures }
	for len(queue) > 0 && !overBudget() {
		n := min(r.BatchSize, len(queue))
		batch := slices.Clone(queue[:n])
		queue = queue[n:]
		replies, err := j.requestWith(ctx, batch, watch)
		if err != nil {
			return res, err
		}
		for _, rep := range replies {
			id := rep.Instance
			if rep.Outcome == OutcomeRunning {
				delete(res.Failed, id)
				continue
			}
			res.failed(id, restartFailure(rep, r.RestartThresholdSecs))
			failures[id]++
			if failures[id] <= r.MaxPerInstanceFailures {
				queue = append(queue, id)
			} else {
				lost++
			}
		}
	}
	if overBudget() {
		res.Aborted = fmt.Sprintf("%d failed instances observed, maximum allowed is %d", lost, *r.MaxTotalFailures)
		for _, id := range queue {
			if failures[id] == 0 {
				res.Skipped = append(res.Skipped, id)
			}
		}
	}
	if len(res.Failed) == 0 {
		res.Failed = nil
	}
	return res, nil
}

// restartFailure is why a restarted instance failed: the instance's own
// words, but a missed deadline is said as the restart's threshold.
func restartFailure(rep InstanceReply, thresholdSecs int) string {
	if thresholdSecs > 0 && rep.Message == notRunningWithin(rep.TaskID, thresholdSecs) {
		return fmt.Sprintf("task %s not RUNNING within the restart threshold of %d s", rep.TaskID, thresholdSecs)
	}
	return rep.Message
}
