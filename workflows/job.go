package workflows

import (
	"slices"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/taskapi"
)

// JobInput starts (or continues) a job's workflow.
type JobInput struct {
	Job    config.Job            `json:"job"`
	Policy taskapi.RestartPolicy `json:"policy"`
	// State is carried across continue-as-new; nil on the first run.
	State *JobState `json:"state,omitempty"`
}

// JobState is the job record: which instances exist and which config each runs.
type JobState struct {
	// Configs holds each config version in use; "" is the job's first.
	Configs map[string]config.Job `json:"configs"`
	// Instances lists the job's instances in id order.
	Instances []InstanceRef `json:"instances"`
	// Killed lists the instances killed so far, oldest first; their ids are
	// not given out again, so each id names one instance workflow's history.
	Killed []int `json:"killed,omitempty"`
	// Seq numbers the requests this job sends, for unique request keys.
	Seq int `json:"seq"`
	// Started is true once the first instances were started.
	Started bool `json:"started"`
	// Updating is the id of the active update ("" when none).
	Updating string `json:"updating,omitempty"`
	// Seen holds the latest record keys handled, to drop duplicates.
	Seen []string `json:"seen,omitempty"`
	// MaxInstances is the worker's jobs.max_instances as admission last
	// reported it (0: not known, the job predates admission).
	MaxInstances int `json:"max_instances,omitempty"`
	// Warnings are what the worker said when it admitted the job.
	Warnings []string `json:"warnings,omitempty"`
	// Cron is the record of a cron job's runs (nil: not a cron job).
	Cron *CronState `json:"cron,omitempty"`
}

// InstanceRef is one instance of a job and the config version it runs.
type InstanceRef struct {
	ID            int    `json:"id"`
	ConfigVersion string `json:"config_version,omitempty"`
}

// JobView is what the job query returns.
type JobView struct {
	JobKey    string                `json:"job"`
	Instances []InstanceRef         `json:"instances"`
	Configs   map[string]config.Job `json:"configs"`
	// Killed lists the instances killed so far.
	Killed []int `json:"killed,omitempty"`
	// Updating is the id of the active update ("" when none).
	Updating string `json:"updating,omitempty"`
	// Busy names the operation in progress ("" when none).
	Busy string `json:"busy,omitempty"`
	// Ended is true once every instance was killed.
	Ended bool `json:"ended,omitempty"`
	// Refused is why the worker refused the job's config; the job has no
	// instances and its workflow has failed (taskapi.ErrTypeRefused).
	Refused string `json:"refused,omitempty"`
	// Warnings are what the worker said when it admitted the job.
	Warnings []string `json:"warnings,omitempty"`
	// MaxInstances is the worker's jobs.max_instances (0: not known).
	MaxInstances int `json:"max_instances,omitempty"`
	// Cron is a cron job's schedule and runs (nil: not a cron job).
	Cron *CronView `json:"cron,omitempty"`
}

// InstanceIDs returns the job's instance ids in order.
func (v JobView) InstanceIDs() []int {
	ids := make([]int, len(v.Instances))
	for i, r := range v.Instances {
		ids[i] = r.ID
	}
	return ids
}

// Config returns the config instance id runs.
func (v JobView) Config(id int) (config.Job, bool) {
	for _, r := range v.Instances {
		if r.ID == id {
			c, ok := v.Configs[r.ConfigVersion]
			return c, ok
		}
	}
	return config.Job{}, false
}

// JobWorkflow keeps a job's record and its instance workflows: it starts
// them, kills, restarts and adds instances on request, and answers the job
// query. Instance workflows outlive its runs (ParentClosePolicy ABANDON).
func JobWorkflow(ctx workflow.Context, in JobInput) (JobView, error) {
	j := &job{in: in, logger: workflow.GetLogger(ctx), replies: map[string]InstanceReply{}}
	if in.State != nil {
		j.st = *in.State
	} else {
		j.st = JobState{Configs: map[string]config.Job{"": in.Job}}
		for i := 0; i < in.Job.Instances; i++ {
			j.st.Instances = append(j.st.Instances, InstanceRef{ID: i})
		}
	}
	j.in.State = nil
	// The details show the record as the run leaves it, too.
	defer j.showDetails(ctx)
	return j.run(ctx)
}

type job struct {
	in     JobInput
	st     JobState
	logger log.Logger
	busy   string
	ended  bool
	// admitted is set once the job's config was admitted (in an earlier
	// run, for a run that continues one), refused once it was not.
	admitted bool
	refused  string
	replies  map[string]InstanceReply
	// recording counts record signals being acted on; the run continues
	// as new only when none is.
	recording int
	records   workflow.ReceiveChannel
	dones     workflow.ReceiveChannel
	// cronRequests are a cron job's run requests and cronEnds its run
	// instances' ends; cronHandling counts those being acted on.
	cronRequests workflow.ReceiveChannel
	cronEnds     workflow.ReceiveChannel
	cronHandling int
	// closing is set once the run ends or continues as new: no cron
	// request is taken any more.
	closing bool
	// shown is the current details last set (job_details.go).
	shown string
}

func (j *job) key() string { return j.in.Job.Key() }

func (j *job) run(ctx workflow.Context) (JobView, error) {
	if err := j.registerHandlers(ctx); err != nil {
		return j.view(), err
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		ch := workflow.GetSignalChannel(ctx, SignalInstanceReply)
		for {
			var r InstanceReply
			ch.Receive(ctx, &r)
			j.replies[r.Key] = r
		}
	})
	j.records = workflow.GetSignalChannel(ctx, SignalRecord)
	j.dones = workflow.GetSignalChannel(ctx, SignalUpdateDone)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var r RecordRequest
			j.records.Receive(ctx, &r)
			j.record(ctx, r)
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var d UpdateDone
			j.dones.Receive(ctx, &d)
			j.updateDone(d)
		}
	})
	j.admitted = j.st.Started
	if !j.st.Started && j.in.Job.IsCron() {
		// A cron job is one from the start: its cron operations wait for
		// the admission (busy) rather than being refused.
		j.st.Cron = &CronState{}
	}
	j.watchDetails(ctx)
	if !j.st.Started {
		if err := j.admit(ctx); err != nil {
			return j.refusedEnd(ctx, err)
		}
		// A cron job's instances start with each run.
		if j.st.Cron == nil {
			if err := j.startInstances(ctx, j.ids()); err != nil {
				return j.view(), err
			}
		}
		j.st.Started = true
	}
	if j.st.Cron != nil {
		j.startCron(ctx)
	}
	err := workflow.Await(ctx, func() bool {
		return j.ended || (historyFullAt(workflow.GetInfo(ctx).GetCurrentHistoryLength()) && j.cronHandling == 0)
	})
	if err != nil {
		return j.view(), err
	}
	if err := workflow.Await(ctx, func() bool {
		return workflow.AllHandlersFinished(ctx) && j.recording == 0 && j.cronHandling == 0
	}); err != nil {
		return j.view(), err
	}
	j.closing = true
	if j.ended {
		return j.view(), nil
	}
	// Act on the signals already received, then go on in a new run.
	for {
		var r RecordRequest
		if !j.records.ReceiveAsync(&r) {
			break
		}
		j.record(ctx, r)
	}
	for {
		var d UpdateDone
		if !j.dones.ReceiveAsync(&d) {
			break
		}
		j.updateDone(d)
	}
	j.drainCron()
	in := j.in
	st := j.st
	in.State = &st
	return j.view(), workflow.NewContinueAsNewError(ctx, JobWorkflowName, in)
}

func (j *job) view() JobView {
	return JobView{JobKey: j.key(), Instances: j.st.Instances, Configs: j.st.Configs, Killed: j.st.Killed,
		Updating: j.st.Updating, Busy: j.busy, Ended: j.ended, Refused: j.refused,
		Warnings: j.st.Warnings, MaxInstances: j.st.MaxInstances, Cron: cronView(j.in.Job, j.st.Cron)}
}

func (j *job) ids() []int { return j.view().InstanceIDs() }

// instance returns the index of instance id in the record, or -1.
func (j *job) instance(id int) int {
	return slices.IndexFunc(j.st.Instances, func(r InstanceRef) bool { return r.ID == id })
}

// dropUnusedConfigs forgets config versions no instance runs.
func (j *job) dropUnusedConfigs() {
	used := map[string]bool{"": true}
	for _, r := range j.st.Instances {
		used[r.ConfigVersion] = true
	}
	//workflowcheck:ignore deleting keys is the same in any order
	for v := range j.st.Configs {
		if !used[v] {
			delete(j.st.Configs, v)
		}
	}
}
