package cron

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

// minCatchupWindow is the shortest catch-up window Temporal keeps for a
// schedule.
const minCatchupWindow = 10 * time.Second

// ErrNotScheduled: the job has no cron schedule.
var ErrNotScheduled = errors.New("no cron schedule")

// Schedules manages the Temporal Schedules of cron jobs: one per job,
// id workflows.CronScheduleID, whose action starts a
// workflows.CronRunWorkflow on TaskQueue.
type Schedules struct {
	Client    client.Client
	TaskQueue string
	// CatchupWindow is the cron.catchup_window setting; the schedule keeps
	// missed times as long (at least Temporal's minimum of 10 s), and the
	// worker skips runs that begin later than it.
	CatchupWindow time.Duration
	// Spec, when set, replaces the spec of the job's cron_schedule (tests
	// schedule runs seconds apart).
	Spec *client.ScheduleSpec
}

// Put creates the schedule of cron job job, or replaces the one it has.
// It reports whether it created one.
func (s Schedules) Put(ctx context.Context, job config.Job) (bool, error) {
	key := job.Key()
	spec, err := specOf(job)
	if err != nil {
		return false, err
	}
	if s.Spec != nil {
		spec = *s.Spec
	}
	action := s.action(key)
	policy := s.catchup()
	_, err = s.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:                    workflows.CronScheduleID(key),
		Spec:                  spec,
		Action:                action,
		Overlap:               enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
		CatchupWindow:         policy,
		Note:                  "borealis cron job " + key,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.JobKeyAttribute.ValueSet(key)),
	})
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return false, fmt.Errorf("create the schedule of %s: %w", key, err)
	}
	h := s.Client.ScheduleClient().GetHandle(ctx, workflows.CronScheduleID(key))
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		sched := in.Description.Schedule
		sched.Spec = &spec
		sched.Action = action
		if sched.Policy == nil {
			sched.Policy = &client.SchedulePolicies{}
		}
		sched.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL
		sched.Policy.CatchupWindow = policy
		if sched.State == nil {
			sched.State = &client.ScheduleState{}
		}
		sched.State.Paused = false
		return &client.ScheduleUpdate{Schedule: &sched}, nil
	}})
	if err != nil {
		return false, fmt.Errorf("replace the schedule of %s: %w", key, err)
	}
	return false, nil
}

// Delete removes the schedule of job key; ErrNotScheduled when it has none.
func (s Schedules) Delete(ctx context.Context, key string) error {
	err := s.Client.ScheduleClient().GetHandle(ctx, workflows.CronScheduleID(key)).Delete(ctx)
	return notScheduled(err, "delete the schedule of "+key)
}

// Trigger starts a run of job key now; ErrNotScheduled when it has no
// schedule.
func (s Schedules) Trigger(ctx context.Context, key string) error {
	err := s.Client.ScheduleClient().GetHandle(ctx, workflows.CronScheduleID(key)).Trigger(ctx, client.ScheduleTriggerOptions{
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
	})
	return notScheduled(err, "start a run of "+key)
}

// Describe returns the schedule of job key; ErrNotScheduled when it has none.
func (s Schedules) Describe(ctx context.Context, key string) (*client.ScheduleDescription, error) {
	d, err := s.Client.ScheduleClient().GetHandle(ctx, workflows.CronScheduleID(key)).Describe(ctx)
	if err != nil {
		return nil, notScheduled(err, "describe the schedule of "+key)
	}
	return d, nil
}

func (s Schedules) action(key string) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID:                    workflows.CronRunWorkflowID(key),
		Workflow:              workflows.CronRunWorkflowName,
		Args:                  []any{workflows.CronRunInput{JobKey: key}},
		TaskQueue:             s.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.JobKeyAttribute.ValueSet(key)),
		StaticSummary:         "run of cron job " + key,
	}
}

func (s Schedules) catchup() time.Duration {
	w := s.CatchupWindow
	if w <= 0 {
		w = DefaultCatchupWindow
	}
	return max(w, minCatchupWindow)
}

// specOf is the schedule's spec: the job's cron expression in UTC, in the
// canonical forms config.ParseCron gives (two when both day fields are
// restricted: a Temporal Schedule matches a day only when both match).
func specOf(job config.Job) (client.ScheduleSpec, error) {
	c, err := config.ParseCron(job.CronSchedule)
	if err != nil {
		return client.ScheduleSpec{}, fmt.Errorf("cron_schedule of %s: %w", job.Key(), err)
	}
	return client.ScheduleSpec{CronExpressions: c.ScheduleCronStrings(), TimeZoneName: "UTC"}, nil
}

// notScheduled maps Temporal's not-found to ErrNotScheduled.
func notScheduled(err error, what string) error {
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		return nil
	case errors.As(err, &notFound):
		return fmt.Errorf("%s: %w", what, ErrNotScheduled)
	}
	return fmt.Errorf("%s: %w", what, err)
}
