// Package registry registers Borealis's workflows and activities with a
// Temporal worker. It is importable so tests and benchmarks can run a worker
// in-process exactly as bin/borealis-worker does.
package registry

import (
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/cron"
	"github.com/borealis-dev/borealis/messenger"
	"github.com/borealis-dev/borealis/sla"
	"github.com/borealis-dev/borealis/taskio"
	"github.com/borealis-dev/borealis/workflows"
)

// Option changes what Register registers.
type Option func(*options)

type options struct {
	sla         sla.Settings
	cronCatchup time.Duration
}

// WithSLA sets the worker's SLA settings (default sla.DefaultSettings).
func WithSLA(s sla.Settings) Option { return func(o *options) { o.sla = s } }

// WithCronCatchupWindow sets the worker's cron.catchup_window (default
// cron.DefaultCatchupWindow).
func WithCronCatchupWindow(d time.Duration) Option { return func(o *options) { o.cronCatchup = d } }

// Register adds every workflow, the activities of a, the SendMessages
// activity that signals workflows through c, and the AwaitSLA activity that
// reads jobs through c, to r. The activities of a are registered under
// their method names, which are taskapi's names (taskapi.StartTask, ...,
// taskapi.AdmitJob, the check of a job config against a's Policy).
func Register(r worker.Registry, a *activities.Activities, c client.Client, opts ...Option) {
	o := options{sla: sla.DefaultSettings()}
	for _, opt := range opts {
		opt(&o)
	}
	r.RegisterWorkflowWithOptions(workflows.JobWorkflow, workflow.RegisterOptions{Name: workflows.JobWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.InstanceWorkflow, workflow.RegisterOptions{Name: workflows.InstanceWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.UpdateWorkflow, workflow.RegisterOptions{Name: workflows.UpdateWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.CronRunWorkflow, workflow.RegisterOptions{Name: workflows.CronRunWorkflowName})
	taskio.RegisterWorkflows(r)
	r.RegisterActivity(a)
	m := &messenger.Messenger{Client: c}
	r.RegisterActivityWithOptions(m.SendMessages, activity.RegisterOptions{Name: workflows.SendMessagesName})
	checker := &sla.Checker{Client: c, HTTP: sla.NewHTTPClient(), Settings: o.sla}
	r.RegisterActivityWithOptions(checker.AwaitSLA, activity.RegisterOptions{Name: workflows.AwaitSLAName})
	gate := &cron.Gate{CatchupWindow: o.cronCatchup}
	r.RegisterActivityWithOptions(gate.Admit, activity.RegisterOptions{Name: workflows.CronGateName})
}

// MaxActivitySlots bounds the activities one worker runs at once: room for
// about 10,000 running tasks on one Docker host.
const MaxActivitySlots = 20_000

// WorkerOptions are bin/borealis-worker's worker options, for tests and
// benchmarks that run a worker in-process.
func WorkerOptions() worker.Options {
	return worker.Options{
		// Health activities heartbeat their counters after every check; a
		// retried activity resumes from the last one the server got.
		MaxHeartbeatThrottleInterval: time.Second,
		// A running task holds an activity slot for as long as it runs
		// (WaitTask), two with health checks (WatchHealth): the SDK's
		// default of 1,000 would stop a worker at 500 to 1,000 tasks.
		// Slots cost nothing while they wait.
		MaxConcurrentActivityExecutionSize: MaxActivitySlots,
	}
}
