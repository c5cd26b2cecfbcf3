package metrics

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
)

// fakeLister answers list calls from executions by query, two per page.
type fakeLister struct {
	mu    sync.Mutex
	byQ   map[string][]*workflowpb.WorkflowExecutionInfo
	err   error
	calls []string // the queries asked, one per page
}

func (f *fakeLister) ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req.GetNamespace()+": "+req.GetQuery())
	if f.err != nil {
		return nil, f.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := f.byQ[req.GetQuery()]
	from := 0
	if len(req.GetNextPageToken()) > 0 {
		from = int(req.GetNextPageToken()[0])
	}
	to := min(from+2, len(all))
	resp := &workflowservice.ListWorkflowExecutionsResponse{Executions: all[from:to]}
	if to < len(all) {
		resp.NextPageToken = []byte{byte(to)}
	}
	return resp, nil
}

// execution is a running workflow with keyword search attributes
// (name, value pairs).
func execution(t *testing.T, id string, attrs ...string) *workflowpb.WorkflowExecutionInfo {
	t.Helper()
	fields := map[string]*commonpb.Payload{}
	for i := 0; i+1 < len(attrs); i += 2 {
		p, err := converter.GetDefaultDataConverter().ToPayload(attrs[i+1])
		if err != nil {
			t.Fatal(err)
		}
		fields[attrs[i]] = p
	}
	return &workflowpb.WorkflowExecutionInfo{
		Execution:        &commonpb.WorkflowExecution{WorkflowId: id},
		SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields},
	}
}

const (
	instancesQuery = "WorkflowType = 'InstanceWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = 'q\\'1'"
	updatesQuery   = "WorkflowType = 'UpdateWorkflow' AND ExecutionStatus = 'Running' AND TaskQueue = 'q\\'1'"
)

func newVisibility(t *testing.T, clk *clock) (*Registry, *VisibilityCollector, *fakeLister) {
	t.Helper()
	web, batch := "c/r/prod/web", "c/r/prod/batch"
	f := &fakeLister{byQ: map[string][]*workflowpb.WorkflowExecutionInfo{
		instancesQuery: {
			execution(t, "instance/"+web+"/0", "BorealisJobKey", web),
			execution(t, "instance/"+web+"/1", "BorealisJobKey", web),
			execution(t, "instance/"+batch+"/0", "BorealisJobKey", batch),
			execution(t, "instance/"+web+"/2", "BorealisJobKey", web),
			execution(t, "stray"), // no job key: not Borealis's
		},
		updatesQuery: {
			execution(t, "update/"+web+"/u1", "BorealisJobKey", web, "BorealisUpdateStatus", "ROLL_FORWARD_PAUSED"),
			execution(t, "update/"+batch+"/u2", "BorealisJobKey", batch),
		},
	}}
	c := &VisibilityCollector{Lister: f, Namespace: "ns", TaskQueue: "q'1",
		InstanceType: "InstanceWorkflow", UpdateType: "UpdateWorkflow", JobKey: "BorealisJobKey", UpdateStatus: "BorealisUpdateStatus",
		scrapeCache: scrapeCache{now: clk.now}}
	r := NewRegistry()
	r.Register(c)
	return r, c, f
}

// TestVisibilityCollector: desired instances and active updates per job,
// from every page of the task queue's running workflows, cached for the
// TTL.
func TestVisibilityCollector(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	r, _, f := newVisibility(t, clk)
	want := `# TYPE borealis_job_instances_desired gauge
borealis_job_instances_desired{job="c/r/prod/batch"} 1
borealis_job_instances_desired{job="c/r/prod/web"} 3
# TYPE borealis_updates_active gauge
borealis_updates_active{job="c/r/prod/batch",status="UNKNOWN"} 1
borealis_updates_active{job="c/r/prod/web",status="ROLL_FORWARD_PAUSED"} 1
# TYPE borealis_visibility_up gauge
borealis_visibility_up 1
`
	if got := render(t, r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	wantCalls := []string{"ns: " + instancesQuery, "ns: " + instancesQuery, "ns: " + instancesQuery, "ns: " + updatesQuery}
	if strings.Join(f.calls, "\n") != strings.Join(wantCalls, "\n") {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(f.calls, "\n"), strings.Join(wantCalls, "\n"))
	}

	f.byQ[updatesQuery] = nil
	clk.add(DefaultVisibilityTTL - time.Second)
	if got := render(t, r); got != want || len(f.calls) != 4 {
		t.Errorf("within the TTL: %d calls, got\n%s", len(f.calls), got)
	}
	clk.add(time.Second)
	if got := render(t, r); strings.Contains(got, "borealis_updates_active") || !strings.Contains(got, "borealis_visibility_up 1\n") {
		t.Errorf("after the TTL, without updates:\n%s", got)
	}
}

// TestVisibilityCollectorDown: a failed listing reports
// borealis_visibility_up 0 and no job series, for the TTL; a scrape that
// went away is not cached.
func TestVisibilityCollectorDown(t *testing.T) {
	clk := &clock{t: time.Unix(1000, 0)}
	r, c, f := newVisibility(t, clk)
	f.err = errors.New("unavailable")
	down := "# TYPE borealis_visibility_up gauge\nborealis_visibility_up 0\n"
	if got := render(t, r); got != down {
		t.Errorf("got %q, want %q", got, down)
	}
	f.err = nil
	clk.add(time.Second)
	if got := render(t, r); got != down {
		t.Errorf("within the TTL: got %q", got)
	}
	clk.add(DefaultVisibilityTTL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := c.Collect(ctx); len(got) != 1 || got[0].Name != VisibilityUp || got[0].Value != 0 {
		t.Errorf("a gone scraper's collect: %v", got)
	}
	if got := render(t, r); !strings.Contains(got, "borealis_visibility_up 1\n") {
		t.Errorf("the next scrape lists again:\n%s", got)
	}
}

// TestVisibilityCollectorTimeout: a listing that does not answer within the
// timeout is a failure.
func TestVisibilityCollectorTimeout(t *testing.T) {
	c := &VisibilityCollector{Lister: blockingVisibility{}, Timeout: 50 * time.Millisecond}
	got := c.Collect(context.Background())
	if len(got) != 1 || got[0].Name != VisibilityUp || got[0].Value != 0 {
		t.Errorf("got %v", got)
	}
}

// blockingVisibility answers when the call's context ends.
type blockingVisibility struct{}

func (blockingVisibility) ListWorkflow(ctx context.Context, _ *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
