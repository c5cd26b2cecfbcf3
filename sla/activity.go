package sla

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/borealis-dev/borealis/workflows"
)

// Checker runs the AwaitSLA activity (registered as workflows.AwaitSLAName)
// with the worker's Temporal client: it reads the job and its instances
// from their workflows' queries, so it needs no state of its own.
type Checker struct {
	Client   client.Client
	HTTP     *http.Client
	Settings Settings
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time
}

// heartbeatEvery bounds the time between heartbeats of a waiting check,
// well inside the workflow's heartbeat timeout.
const heartbeatEvery = 5 * time.Second

// AwaitSLA tells whether in.Instance may stop now. With in.Wait it asks
// again every Settings.CheckInterval, heartbeating the latest reason, until
// the answer is yes or the activity is cancelled.
func (c *Checker) AwaitSLA(ctx context.Context, in workflows.SLAInput) (workflows.SLAVerdict, error) {
	for {
		v, err := c.check(ctx, in)
		if err != nil && !in.Wait {
			return v, err
		}
		if err != nil {
			v = verdict(false, err.Error())
		}
		if v.Allowed || !in.Wait {
			return v, nil
		}
		if err := c.sleep(ctx, v.Reason); err != nil {
			return v, err
		}
	}
}

// sleep waits one check interval, heartbeating.
func (c *Checker) sleep(ctx context.Context, reason string) error {
	interval := c.Settings.CheckInterval
	if interval <= 0 {
		interval = DefaultSettings().CheckInterval
	}
	end := time.Now().Add(interval)
	for {
		if activity.IsActivity(ctx) {
			activity.RecordHeartbeat(ctx, reason)
		}
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(left, heartbeatEvery)):
		}
	}
}

// check asks once.
func (c *Checker) check(ctx context.Context, in workflows.SLAInput) (workflows.SLAVerdict, error) {
	var view workflows.JobView
	if err := c.query(ctx, workflows.JobWorkflowID(in.JobKey), workflows.QueryJob, &view); err != nil {
		return workflows.SLAVerdict{}, fmt.Errorf("read job %s: %w", in.JobKey, err)
	}
	statuses, err := c.instances(ctx, in.JobKey, view.InstanceIDs())
	if err != nil {
		return workflows.SLAVerdict{}, err
	}
	instances := make([]Instance, len(statuses))
	var target *workflows.TaskInfo
	for i, st := range statuses {
		instances[i] = instanceOf(st)
		if st.InstanceID == in.Instance {
			target = st.Active
		}
	}
	if in.Policy.Coordinator == nil {
		return Check(in.Policy, instances, in.Instance, in.Going, in.Production, c.now(), c.Settings), nil
	}
	if v, done := precheck(instances, in.Instance); done {
		return v, nil
	}
	job, _ := view.Config(in.Instance)
	client := c.HTTP
	if client == nil {
		client = NewHTTPClient()
	}
	taskKey := fmt.Sprintf("%s/%d", in.JobKey, in.Instance)
	return askCoordinator(ctx, client, *in.Policy.Coordinator, taskKey, *target, job), nil
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// instanceOf is what the check needs of an instance's status.
func instanceOf(st workflows.InstanceStatus) Instance {
	in := Instance{ID: st.InstanceID}
	t := st.Active
	if t == nil || t.Status.Terminal() {
		return in
	}
	in.Active = true
	in.Placed = t.Status != workflows.StatusPending && t.Status != workflows.StatusThrottled
	in.Running = t.Status == workflows.StatusRunning
	// RUNNING since the latest RUNNING event: the greatest timestamp, as
	// Aurora's meetsSLADuration, whatever the order of the events.
	for _, ev := range t.TaskEvents {
		if ev.Status == workflows.StatusRunning {
			if since := time.UnixMilli(ev.Timestamp); since.After(in.RunningSince) {
				in.RunningSince = since
			}
		}
	}
	return in
}

// instances queries the status of each instance, a few at a time.
func (c *Checker) instances(ctx context.Context, key string, ids []int) ([]workflows.InstanceStatus, error) {
	out := make([]workflows.InstanceStatus, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = c.query(ctx, workflows.InstanceWorkflowID(key, id), workflows.QueryInstanceStatus, &out[i])
			if errs[i] != nil {
				errs[i] = fmt.Errorf("read instance %d of %s: %w", id, key, errs[i])
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func (c *Checker) query(ctx context.Context, workflowID, query string, into any) error {
	v, err := c.Client.QueryWorkflow(ctx, workflowID, "", query)
	if err != nil {
		return err
	}
	return v.Get(into)
}
