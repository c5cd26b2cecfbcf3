package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// startInstances starts the instance workflows of ids, all at once.
func (j *job) startInstances(ctx workflow.Context, ids []int) error {
	futures := make([]workflow.ChildWorkflowFuture, len(ids))
	for i, id := range ids {
		futures[i] = j.launchInstance(ctx, id, nil)
	}
	var errs []error
	for i, f := range futures {
		if err := j.instanceStarted(ctx, ids[i], f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// launchInstance starts one instance workflow, with state carried in when
// an update adds it (the watch that judges its first task).
func (j *job) launchInstance(ctx workflow.Context, id int, state *InstanceState) workflow.ChildWorkflowFuture {
	return j.launch(ctx, id, state, nil)
}

// launch is launchInstance with the input changed by with, when set.
func (j *job) launch(ctx workflow.Context, id int, state *InstanceState, with func(*InstanceInput)) workflow.ChildWorkflowFuture {
	version := j.st.Instances[j.instance(id)].ConfigVersion
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            InstanceWorkflowID(j.key(), id),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         fmt.Sprintf("instance %d of %s", id, j.key()),
		TypedSearchAttributes: temporal.NewSearchAttributes(JobKeyAttribute.ValueSet(j.key())),
	})
	in := InstanceInput{
		JobKey: j.key(), Instance: id, Job: j.st.Configs[version], ConfigVersion: version, Policy: j.in.Policy, State: state,
	}
	if with != nil {
		with(&in)
	}
	return workflow.ExecuteChildWorkflow(cctx, InstanceWorkflowName, in)
}

// instanceStarted waits until an instance workflow runs.
func (j *job) instanceStarted(ctx workflow.Context, id int, f workflow.ChildWorkflowFuture) error {
	err := f.GetChildWorkflowExecution().Get(ctx, nil)
	var running *temporal.ChildWorkflowExecutionAlreadyStartedError
	switch {
	case errors.As(err, &running):
		// Left running by an earlier job workflow that was terminated by
		// hand: it owns its containers still, so it is adopted as it is.
		j.logger.Warn("instance workflow already running; adopted", "instance", id)
	case err != nil:
		return fmt.Errorf("start instance %d: %w", id, err)
	}
	return nil
}
