package metrics

import (
	"context"
	"fmt"
	"strings"
	"time"

	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
)

// Default settings of a [VisibilityCollector].
const (
	DefaultVisibilityTimeout = 5 * time.Second
	DefaultVisibilityTTL     = 15 * time.Second
	// visibilityPageSize is how many executions one list call asks for.
	visibilityPageSize = 1000
)

// Lister lists workflow executions from Temporal's visibility; a
// go.temporal.io/sdk/client.Client is one.
type Lister interface {
	ListWorkflow(ctx context.Context, req *workflowservice.ListWorkflowExecutionsRequest) (*workflowservice.ListWorkflowExecutionsResponse, error)
}

// VisibilityCollector computes [JobInstancesDesired] and [UpdatesActive]
// from Temporal's visibility, at most once per TTL: the running instance
// and update workflows of the task queue, counted by their BorealisJobKey
// search attribute (and an update's BorealisUpdateStatus). Nothing is
// recorded in the workflows' histories for it. The counts are the
// deployment's, so every worker of the task queue reports the same
// (aggregate with max by (job)); visibility is eventually consistent, a
// change shows within a second or so on a dev server.
type VisibilityCollector struct {
	// Lister is the worker's Temporal client.
	Lister Lister
	// Namespace and TaskQueue are the worker's.
	Namespace, TaskQueue string
	// InstanceType and UpdateType are the workflow types of instances and
	// updates; JobKey and UpdateStatus the names of the keyword search
	// attributes holding a workflow's job key and an update's state
	// (package workflows names them all).
	InstanceType, UpdateType, JobKey, UpdateStatus string
	// Timeout bounds a listing (default [DefaultVisibilityTimeout]); TTL
	// is how long its result serves scrapes (default
	// [DefaultVisibilityTTL]).
	Timeout, TTL time.Duration

	scrapeCache
}

// Collect implements [Collector].
func (c *VisibilityCollector) Collect(ctx context.Context) []Sample {
	down := []Sample{{Name: VisibilityUp, Value: 0}}
	return c.get(ctx, cmpOr(c.TTL, DefaultVisibilityTTL), cmpOr(c.Timeout, DefaultVisibilityTimeout), down,
		func(ctx context.Context, _ time.Time) ([]Sample, error) { return c.list(ctx) })
}

// list computes the samples from two listings.
func (c *VisibilityCollector) list(ctx context.Context) ([]Sample, error) {
	desired := map[string]int{}
	err := c.each(ctx, c.InstanceType, func(job string, _ *workflowpb.WorkflowExecutionInfo) {
		desired[job]++
	})
	if err != nil {
		return nil, err
	}
	type jobStatus struct{ job, status string }
	active := map[jobStatus]int{}
	err = c.each(ctx, c.UpdateType, func(job string, e *workflowpb.WorkflowExecutionInfo) {
		status := attribute(e, c.UpdateStatus)
		if status == "" {
			status = "UNKNOWN"
		}
		active[jobStatus{job, status}]++
	})
	if err != nil {
		return nil, err
	}
	out := []Sample{{Name: VisibilityUp, Value: 1}}
	for job, n := range desired {
		out = append(out, Sample{Name: JobInstancesDesired, Labels: map[string]string{"job": job}, Value: float64(n)})
	}
	for k, n := range active {
		out = append(out, Sample{Name: UpdatesActive, Labels: map[string]string{"job": k.job, "status": k.status}, Value: float64(n)})
	}
	return out, nil
}

// each calls fn with the job key and execution of every running workflow
// of type typ on the task queue that has a job key, page by page.
func (c *VisibilityCollector) each(ctx context.Context, typ string, fn func(job string, e *workflowpb.WorkflowExecutionInfo)) error {
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running' AND TaskQueue = '%s'", quote(typ), quote(c.TaskQueue))
	var token []byte
	for {
		resp, err := c.Lister.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: c.Namespace, PageSize: visibilityPageSize, Query: query, NextPageToken: token,
		})
		if err != nil {
			return fmt.Errorf("list %s workflows: %w", typ, err)
		}
		for _, e := range resp.GetExecutions() {
			if job := attribute(e, c.JobKey); job != "" {
				fn(job, e)
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return nil
		}
	}
}

// attribute is the keyword search attribute name of e, "" when unset.
func attribute(e *workflowpb.WorkflowExecutionInfo, name string) string {
	p := e.GetSearchAttributes().GetIndexedFields()[name]
	var v string
	if p == nil || converter.GetDefaultDataConverter().FromPayload(p, &v) != nil {
		return ""
	}
	return v
}

// quote escapes s for a single-quoted visibility query string.
func quote(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// cmpOr is d when positive, else def.
func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
