package taskio

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// RegisterWorkflows adds the task request workflows to r; their activities
// are the worker's task activities.
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(ExecWorkflow, workflow.RegisterOptions{Name: ExecWorkflowName})
	r.RegisterWorkflowWithOptions(LogsWorkflow, workflow.RegisterOptions{Name: LogsWorkflowName})
	r.RegisterWorkflowWithOptions(LocateWorkflow, workflow.RegisterOptions{Name: LocateWorkflowName})
}
