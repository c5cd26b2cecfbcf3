package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/internal/testenv"
)

func countingActivity(ctx context.Context) error {
	activity.GetMetricsHandler(ctx).WithTags(map[string]string{"result": "healthy"}).Counter(HealthChecks).Inc(1)
	return nil
}

func countingWorkflow(ctx workflow.Context) error {
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"state": "RUNNING"}).Counter(TaskTransitions).Inc(1)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, countingActivity).Get(ctx, nil)
}

// TestSDKTestEnvironment runs a workflow and an activity on the SDK's test
// environment with the registry's handler: what they count through the
// SDK's handlers comes out.
func TestSDKTestEnvironment(t *testing.T) {
	reg := NewRegistry()
	var s testsuite.WorkflowTestSuite
	s.SetMetricsHandler(reg.Handler())
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(countingWorkflow)
	env.RegisterActivity(countingActivity)
	env.ExecuteWorkflow(countingWorkflow)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("workflow: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	out := render(t, reg)
	for _, want := range []string{
		`borealis_task_transitions_total{state="RUNNING"} 1` + "\n",
		`borealis_health_checks_total{activity_type="countingActivity",result="healthy",task_queue="default-test-taskqueue",workflow_type="countingWorkflow"} 1` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestSDKDevServer runs a workflow and an activity on a Temporal dev server
// through a client and worker whose MetricsHandler is the registry's, as
// borealis-worker does: the SDK's own metrics and Borealis's come out, with
// the SDK's tags, in valid exposition format.
func TestSDKDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal dev server")
	}
	srv := testenv.StartTemporal(t)
	reg := NewRegistry()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendHostPort(), Namespace: "default", MetricsHandler: reg.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const queue = "metrics-test"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(countingWorkflow)
	w.RegisterActivity(countingActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, countingWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	out := render(t, reg)
	for _, want := range []string{
		`borealis_task_transitions_total{activity_type="none",client_name="temporal_go",namespace="default",state="RUNNING",task_queue="metrics-test",worker_type="none",workflow_type="countingWorkflow"} 1` + "\n",
		`borealis_health_checks_total{activity_type="countingActivity",client_name="temporal_go",namespace="default",result="healthy",task_queue="metrics-test",worker_type="none",workflow_type="countingWorkflow"} 1` + "\n",
		"# TYPE temporal_request_total counter\n",
		"# TYPE temporal_request_latency histogram\n",
		`operation="StartWorkflowExecution"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
