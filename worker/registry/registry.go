// Package registry registers Borealis's workflows and activities with a
// Temporal worker. It is importable so tests and benchmarks can run a worker
// in-process exactly as bin/borealis-worker does.
package registry

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/workflows"
)

// Register adds every workflow, the activities of a, and the SendMessages
// activity that signals workflows through c, to r.
func Register(r worker.Registry, a *activities.Activities, c client.Client) {
	r.RegisterWorkflowWithOptions(workflows.JobWorkflow, workflow.RegisterOptions{Name: workflows.JobWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.InstanceWorkflow, workflow.RegisterOptions{Name: workflows.InstanceWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.UpdateWorkflow, workflow.RegisterOptions{Name: workflows.UpdateWorkflowName})
	r.RegisterActivity(a)
	m := &workflows.Messenger{Client: c}
	r.RegisterActivityWithOptions(m.SendMessages, activity.RegisterOptions{Name: workflows.SendMessagesName})
}
