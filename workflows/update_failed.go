package workflows

import "go.temporal.io/sdk/workflow"

// instanceFailed records that an instance failed for good, going forward or
// back, with reason (what its workflow answered the last attempt) as the
// event's message, so that `update wait` and `update info` can say why.
func (u *update) instanceFailed(ctx workflow.Context, id int, forward bool, reason string) {
	n := len(u.info.InstanceEvents)
	u.instanceEvent(ctx, id, pick(forward, InstanceUpdateFailed, InstanceRollbackFailed))
	if len(u.info.InstanceEvents) > n {
		u.info.InstanceEvents[n].Message = reason
	}
}
