package workflows

import (
	"errors"
	"fmt"
	"slices"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
)

// Error types of the application errors the job workflow refuses to start
// an update with (see also ErrTypeJobUpdating).
const (
	// ErrTypeUnchanged: the update would change nothing.
	ErrTypeUnchanged = "Unchanged"
	// ErrTypeNotService: updates apply to services only.
	ErrTypeNotService = "NotService"
)

// unchanged is the error for an update that changes nothing.
func unchanged() error {
	return temporal.NewNonRetryableApplicationError("Job is unchanged by proposed update.", ErrTypeUnchanged, nil)
}

// validateUpdate refuses an update Aurora would refuse.
func (j *job) validateUpdate(r StartUpdateRequest) error {
	if err := j.validateFree(); err != nil {
		return err
	}
	switch {
	case r.UpdateID == "":
		return errors.New("update id is empty")
	case r.Job.Key() != j.key():
		return fmt.Errorf("the config is of job %s, not %s", r.Job.Key(), j.key())
	case !j.in.Job.Service || !r.Job.Service:
		return temporal.NewNonRetryableApplicationError("Updates are not supported for non-service tasks.", ErrTypeNotService, nil)
	}
	for _, id := range r.Instances {
		if id < 0 {
			return fmt.Errorf("instance %d: must be ≥ 0", id)
		}
	}
	if len(PlanUpdate(j.view(), r.Job, r.Instances)) == 0 {
		return unchanged()
	}
	return nil
}

// startUpdate admits the update's config, then starts the update's
// workflow and marks the job as updating.
func (j *job) startUpdate(ctx workflow.Context, r StartUpdateRequest) (StartUpdateResult, error) {
	warnings, err := j.admitUpdate(ctx, r)
	if err != nil {
		return StartUpdateResult{}, err
	}
	steps := PlanUpdate(j.view(), r.Job, r.Instances)
	old := map[string]config.Job{}
	for _, s := range steps {
		if s.Action != ActionAdd {
			old[s.From] = j.st.Configs[s.From]
		}
	}
	j.st.Configs[r.UpdateID] = r.Job
	j.st.Updating = r.UpdateID
	id := UpdateWorkflowID(j.key(), r.UpdateID)
	p := paceOf(r.Job.UpdateConfig)
	summary := fmt.Sprintf("update %s: %d instances, batch %d", j.key(), len(steps), p.size(0))
	if p.Queue {
		summary = fmt.Sprintf("update %s: %d instances, %d at a time", j.key(), len(steps), p.size(0))
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        id,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     summary,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			JobKeyAttribute.ValueSet(j.key()),
			UpdateStatusAttribute.ValueSet(string(UpdateRollingForward)),
		),
	})
	f := workflow.ExecuteChildWorkflow(cctx, UpdateWorkflowName, UpdateInput{
		UpdateID: r.UpdateID, JobKey: j.key(), Job: r.Job, Configs: old, Steps: steps,
		JobWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	})
	if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		j.st.Updating = ""
		delete(j.st.Configs, r.UpdateID)
		return StartUpdateResult{}, fmt.Errorf("start update workflow: %w", err)
	}
	return StartUpdateResult{UpdateID: r.UpdateID, WorkflowID: id, Steps: steps, Warnings: warnings}, nil
}

// record applies what an update did to an instance to the job's record.
func (j *job) record(ctx workflow.Context, r RecordRequest) {
	if slices.Contains(j.st.Seen, r.Key) {
		return
	}
	j.st.Seen = append(j.st.Seen, r.Key)
	if len(j.st.Seen) > keepSeen {
		j.st.Seen = j.st.Seen[len(j.st.Seen)-keepSeen:]
	}
	j.recording++
	defer func() { j.recording-- }()
	batch := []RecordRequest{r}
	if r.Op == RecordBatch {
		batch = r.Batch
	}
	// Added instances' workflows start together, then are waited for.
	type launched struct {
		id int
		f  workflow.ChildWorkflowFuture
	}
	var started []launched
	for _, one := range batch {
		if f := j.apply(ctx, one); f != nil {
			started = append(started, launched{one.Instance, f})
		}
	}
	for _, l := range started {
		if err := j.instanceStarted(ctx, l.id, l.f); err != nil {
			j.logger.Error("start added instance", "instance", l.id, "error", err)
		}
	}
}

// apply changes the record as r says; for an instance it adds, it starts
// the instance's workflow and returns its future.
func (j *job) apply(ctx workflow.Context, r RecordRequest) workflow.ChildWorkflowFuture {
	i := j.instance(r.Instance)
	switch r.Op {
	case RecordSet:
		if i >= 0 {
			j.st.Instances[i].ConfigVersion = r.Version
		}
	case RecordRemove:
		if i >= 0 {
			j.st.Instances = slices.Delete(j.st.Instances, i, i+1)
			j.st.Killed = append(j.st.Killed, r.Instance)
		}
	case RecordAdd:
		if i >= 0 {
			j.st.Instances[i].ConfigVersion = r.Version
			return nil
		}
		at, _ := slices.BinarySearchFunc(j.st.Instances, r.Instance, func(ref InstanceRef, id int) int { return ref.ID - id })
		j.st.Instances = slices.Insert(j.st.Instances, at, InstanceRef{ID: r.Instance, ConfigVersion: r.Version})
		j.st.Killed = slices.DeleteFunc(j.st.Killed, func(id int) bool { return id == r.Instance })
		var state *InstanceState
		if r.Watch != nil {
			state = &InstanceState{Watch: r.Watch, NoThrottle: true}
		}
		return j.launchInstance(ctx, r.Instance, state)
	}
	return nil
}

// updateDone clears the job's active update.
func (j *job) updateDone(d UpdateDone) {
	if j.st.Updating == d.UpdateID {
		j.st.Updating = ""
	}
	j.dropUnusedConfigs()
}
