package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/borealis-dev/borealis/config"
)

// JobInput starts (or continues) a job's workflow.
type JobInput struct {
	Job    config.Job    `json:"job"`
	Policy RestartPolicy `json:"policy"`
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

// KillRequest names the instances to kill.
type KillRequest struct {
	Instances []int `json:"instances"`
}

// RestartRequest restarts instances (all when Instances is empty), BatchSize
// at a time, each counted done once its new task is RUNNING for WatchSecs.
type RestartRequest struct {
	Instances []int `json:"instances,omitempty"`
	BatchSize int   `json:"batch_size"`
	WatchSecs int   `json:"watch_secs"`
}

// AddRequest adds Count instances running the config of instance From.
type AddRequest struct {
	From  int `json:"from"`
	Count int `json:"count"`
}

// OpResult is what kill, restart and add answer.
type OpResult struct {
	Instances []int          `json:"instances"`
	Failed    map[int]string `json:"failed,omitempty"`
}

// Error types of the application errors workflows answer requests with, so
// callers can match them without parsing messages.
const (
	// ErrTypeJobUpdating: the job has an active update (details: its id).
	ErrTypeJobUpdating = "JobUpdating"
	// ErrTypeUpdateNotActive: the update has finished.
	ErrTypeUpdateNotActive = "UpdateNotActive"
	// ErrTypeUnchanged: the update would change nothing.
	ErrTypeUnchanged = "Unchanged"
	// ErrTypeNotService: updates apply to services only.
	ErrTypeNotService = "NotService"
	// ErrTypeUnknownInstance: an instance the job does not have.
	ErrTypeUnknownInstance = "UnknownInstance"
)

// Errors the job workflow answers with, in Aurora's wording (capitalised,
// as scripts match them).
var (
	//lint:ignore ST1005 Aurora's message, verbatim (SPEC §5)
	ErrJobUpdating = errors.New("Job is currently updating")
	//lint:ignore ST1005 worded like Aurora's messages
	ErrJobBusy = errors.New("Job is busy with another operation")
)

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
	return j.run(ctx)
}

type job struct {
	in      JobInput
	st      JobState
	logger  log.Logger
	busy    string
	ended   bool
	replies map[string]InstanceReply
	// recording counts record signals being acted on; the run continues
	// as new only when none is.
	recording int
	records   workflow.ReceiveChannel
	dones     workflow.ReceiveChannel
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
	if !j.st.Started {
		if err := j.startInstances(ctx, j.ids()); err != nil {
			return j.view(), err
		}
		j.st.Started = true
	}
	err := workflow.Await(ctx, func() bool {
		return j.ended || historyFullAt(workflow.GetInfo(ctx).GetCurrentHistoryLength())
	})
	if err != nil {
		return j.view(), err
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && j.recording == 0 }); err != nil {
		return j.view(), err
	}
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
	in := j.in
	st := j.st
	in.State = &st
	return j.view(), workflow.NewContinueAsNewError(ctx, JobWorkflowName, in)
}

func (j *job) view() JobView {
	return JobView{JobKey: j.key(), Instances: j.st.Instances, Configs: j.st.Configs, Killed: j.st.Killed,
		Updating: j.st.Updating, Busy: j.busy, Ended: j.ended}
}

func (j *job) ids() []int { return j.view().InstanceIDs() }

// instance returns the index of instance id in the record, or -1.
func (j *job) instance(id int) int {
	return slices.IndexFunc(j.st.Instances, func(r InstanceRef) bool { return r.ID == id })
}

func (j *job) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryJob, func() (JobView, error) { return j.view(), nil }); err != nil {
		return err
	}
	handlers := []struct {
		name     string
		handler  any
		validate any
	}{
		{UpdateKill, j.kill, func(r KillRequest) error { return j.validateInstances(r.Instances, false) }},
		{UpdateKillAll, j.killAll, func() error { return j.validateFree() }},
		{UpdateRestart, j.restart, func(r RestartRequest) error {
			if r.BatchSize < 1 {
				return fmt.Errorf("batch size must be > 0, got %d", r.BatchSize)
			}
			if r.WatchSecs < 0 {
				return fmt.Errorf("watch secs must be ≥ 0, got %d", r.WatchSecs)
			}
			return j.validateInstances(r.Instances, true)
		}},
		{UpdateStartUpdate, j.startUpdate, j.validateUpdate},
		{UpdateAdd, j.add, func(r AddRequest) error {
			if r.Count < 1 {
				return fmt.Errorf("count must be > 0, got %d", r.Count)
			}
			return j.validateInstances([]int{r.From}, false)
		}},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validate}); err != nil {
			return err
		}
	}
	return nil
}

// validateFree refuses an operation while another runs or the job has ended.
func (j *job) validateFree() error {
	switch {
	case j.ended:
		return errors.New("job has been killed")
	case j.st.Updating != "":
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s (update %s)", ErrJobUpdating, j.st.Updating),
			ErrTypeJobUpdating, ErrJobUpdating, j.st.Updating)
	case j.busy != "":
		return fmt.Errorf("%w: %s", ErrJobBusy, j.busy)
	}
	return nil
}

// validateInstances checks the job is free and every id exists; empty ids
// are allowed only when emptyMeansAll.
func (j *job) validateInstances(ids []int, emptyMeansAll bool) error {
	if err := j.validateFree(); err != nil {
		return err
	}
	if len(ids) == 0 && !emptyMeansAll {
		return errors.New("no instances given")
	}
	var missing []string
	for _, id := range ids {
		if j.instance(id) < 0 {
			missing = append(missing, strconv.Itoa(id))
		}
	}
	if len(missing) > 0 {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("job %s has no instance %v", j.key(), missing), ErrTypeUnknownInstance, nil)
	}
	return nil
}

// startInstances starts the instance workflows of ids, all at once.
func (j *job) startInstances(ctx workflow.Context, ids []int) error {
	futures := make([]workflow.ChildWorkflowFuture, len(ids))
	for i, id := range ids {
		futures[i] = j.launchInstance(ctx, id, nil)
	}
	var errs []error
	for i, f := range futures {
		if err := j.instanceStarted(ctx, ids[i], f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// launchInstance starts one instance workflow, with state carried in when
// an update adds it (the watch that judges its first task).
func (j *job) launchInstance(ctx workflow.Context, id int, state *InstanceState) workflow.ChildWorkflowFuture {
	version := j.st.Instances[j.instance(id)].ConfigVersion
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            InstanceWorkflowID(j.key(), id),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:         fmt.Sprintf("instance %d of %s", id, j.key()),
		TypedSearchAttributes: temporal.NewSearchAttributes(JobKeyAttribute.ValueSet(j.key())),
	})
	return workflow.ExecuteChildWorkflow(cctx, InstanceWorkflowName, InstanceInput{
		JobKey: j.key(), Instance: id, Job: j.st.Configs[version], ConfigVersion: version, Policy: j.in.Policy, State: state,
	})
}

// instanceStarted waits until an instance workflow runs.
func (j *job) instanceStarted(ctx workflow.Context, id int, f workflow.ChildWorkflowFuture) error {
	err := f.GetChildWorkflowExecution().Get(ctx, nil)
	var running *temporal.ChildWorkflowExecutionAlreadyStartedError
	switch {
	case errors.As(err, &running):
		// Left running by an earlier job workflow that was terminated by
		// hand: it owns its containers still, so it is adopted as it is.
		j.logger.Warn("instance workflow already running; adopted", "instance", id)
	case err != nil:
		return fmt.Errorf("start instance %d: %w", id, err)
	}
	return nil
}

// request sends one request to each instance and waits for every answer.
func (j *job) request(ctx workflow.Context, ids []int, kind RequestKind, watchSecs int) ([]InstanceReply, error) {
	j.st.Seq++
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	reqs := make([]InstanceRequest, len(ids))
	for i, id := range ids {
		reqs[i] = InstanceRequest{Key: fmt.Sprintf("%s/%s/%d/%d", me, kind, j.st.Seq, id), Kind: kind, ReplyTo: me, WatchSecs: watchSecs}
		if !signalInstance(ctx, j.key(), id, reqs[i]) {
			j.replies[reqs[i].Key] = endedReply(reqs[i], id)
		}
	}
	answered := func() bool {
		for _, r := range reqs {
			if _, ok := j.replies[r.Key]; !ok {
				return false
			}
		}
		return true
	}
	err := awaitAnswered(ctx, answered, func() {
		for i, r := range reqs {
			if _, ok := j.replies[r.Key]; !ok && !signalInstance(ctx, j.key(), ids[i], r) {
				j.replies[r.Key] = endedReply(r, ids[i])
			}
		}
	})
	keys := make([]string, len(reqs))
	for i, r := range reqs {
		keys[i] = r.Key
	}
	out := make([]InstanceReply, len(ids))
	for i, k := range keys {
		out[i] = j.replies[k]
		out[i].Instance = ids[i]
		delete(j.replies, k)
	}
	return out, err
}

func (j *job) kill(ctx workflow.Context, r KillRequest) (OpResult, error) {
	j.busy = "kill"
	defer func() { j.busy = "" }()
	replies, err := j.request(ctx, r.Instances, RequestKill, 0)
	if err != nil {
		return OpResult{}, err
	}
	res := OpResult{Instances: r.Instances}
	for _, rep := range replies {
		if rep.Outcome == OutcomeKilled {
			j.st.Instances = slices.Delete(j.st.Instances, j.instance(rep.Instance), j.instance(rep.Instance)+1)
			j.st.Killed = append(j.st.Killed, rep.Instance)
		} else {
			res.failed(rep.Instance, rep.Message)
		}
	}
	j.dropUnusedConfigs()
	// A job without instances is gone, as in Aurora.
	j.ended = len(j.st.Instances) == 0
	return res, nil
}

func (j *job) killAll(ctx workflow.Context) (OpResult, error) {
	return j.kill(ctx, KillRequest{Instances: j.ids()})
}

func (j *job) restart(ctx workflow.Context, r RestartRequest) (OpResult, error) {
	j.busy = "restart"
	defer func() { j.busy = "" }()
	ids := r.Instances
	if len(ids) == 0 {
		ids = j.ids()
	}
	res := OpResult{Instances: ids}
	for start := 0; start < len(ids); start += r.BatchSize {
		batch := ids[start:min(start+r.BatchSize, len(ids))]
		replies, err := j.request(ctx, batch, RequestRestart, r.WatchSecs)
		if err != nil {
			return res, err
		}
		for _, rep := range replies {
			if rep.Outcome != OutcomeRunning {
				res.failed(rep.Instance, rep.Message)
			}
		}
	}
	return res, nil
}

func (j *job) add(ctx workflow.Context, r AddRequest) (OpResult, error) {
	j.busy = "add"
	defer func() { j.busy = "" }()
	version := j.st.Instances[j.instance(r.From)].ConfigVersion
	next := j.st.Instances[len(j.st.Instances)-1].ID + 1
	for _, id := range j.st.Killed {
		next = max(next, id+1)
	}
	var ids []int
	for i := 0; i < r.Count; i++ {
		j.st.Instances = append(j.st.Instances, InstanceRef{ID: next + i, ConfigVersion: version})
		ids = append(ids, next+i)
	}
	return OpResult{Instances: ids}, j.startInstances(ctx, ids)
}

// validateUpdate refuses an update Aurora would refuse.
func (j *job) validateUpdate(r StartUpdateRequest) error {
	if err := j.validateFree(); err != nil {
		return err
	}
	switch {
	case r.UpdateID == "":
		return errors.New("update id is empty")
	case r.Job.Key() != j.key():
		return fmt.Errorf("the config is of job %s, not %s", r.Job.Key(), j.key())
	case !j.in.Job.Service || !r.Job.Service:
		return temporal.NewNonRetryableApplicationError("Updates are not supported for non-service tasks.", ErrTypeNotService, nil)
	}
	for _, id := range r.Instances {
		if id < 0 {
			return fmt.Errorf("instance %d: must be ≥ 0", id)
		}
	}
	if len(PlanUpdate(j.view(), r.Job, r.Instances)) == 0 {
		return unchanged()
	}
	return nil
}

// startUpdate starts the update's workflow and marks the job as updating.
func (j *job) startUpdate(ctx workflow.Context, r StartUpdateRequest) (StartUpdateResult, error) {
	steps := PlanUpdate(j.view(), r.Job, r.Instances)
	old := map[string]config.Job{}
	for _, s := range steps {
		if s.Action != ActionAdd {
			old[s.From] = j.st.Configs[s.From]
		}
	}
	j.st.Configs[r.UpdateID] = r.Job
	j.st.Updating = r.UpdateID
	id := UpdateWorkflowID(j.key(), r.UpdateID)
	p := paceOf(r.Job.UpdateConfig)
	summary := fmt.Sprintf("update %s: %d instances, batch %d", j.key(), len(steps), p.size(0))
	if p.Queue {
		summary = fmt.Sprintf("update %s: %d instances, %d at a time", j.key(), len(steps), p.size(0))
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:        id,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON,
		StaticSummary:     summary,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			JobKeyAttribute.ValueSet(j.key()),
			UpdateStatusAttribute.ValueSet(string(UpdateRollingForward)),
		),
	})
	f := workflow.ExecuteChildWorkflow(cctx, UpdateWorkflowName, UpdateInput{
		UpdateID: r.UpdateID, JobKey: j.key(), Job: r.Job, Configs: old, Steps: steps,
		JobWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	})
	if err := f.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		j.st.Updating = ""
		delete(j.st.Configs, r.UpdateID)
		return StartUpdateResult{}, fmt.Errorf("start update workflow: %w", err)
	}
	return StartUpdateResult{UpdateID: r.UpdateID, WorkflowID: id, Steps: steps}, nil
}

// record applies what an update did to an instance to the job's record.
func (j *job) record(ctx workflow.Context, r RecordRequest) {
	if slices.Contains(j.st.Seen, r.Key) {
		return
	}
	j.st.Seen = append(j.st.Seen, r.Key)
	if len(j.st.Seen) > keepSeen {
		j.st.Seen = j.st.Seen[len(j.st.Seen)-keepSeen:]
	}
	j.recording++
	defer func() { j.recording-- }()
	batch := []RecordRequest{r}
	if r.Op == RecordBatch {
		batch = r.Batch
	}
	// Added instances' workflows start together, then are waited for.
	type launched struct {
		id int
		f  workflow.ChildWorkflowFuture
	}
	var started []launched
	for _, one := range batch {
		if f := j.apply(ctx, one); f != nil {
			started = append(started, launched{one.Instance, f})
		}
	}
	for _, l := range started {
		if err := j.instanceStarted(ctx, l.id, l.f); err != nil {
			j.logger.Error("start added instance", "instance", l.id, "error", err)
		}
	}
}

// apply changes the record as r says; for an instance it adds, it starts
// the instance's workflow and returns its future.
func (j *job) apply(ctx workflow.Context, r RecordRequest) workflow.ChildWorkflowFuture {
	i := j.instance(r.Instance)
	switch r.Op {
	case RecordSet:
		if i >= 0 {
			j.st.Instances[i].ConfigVersion = r.Version
		}
	case RecordRemove:
		if i >= 0 {
			j.st.Instances = slices.Delete(j.st.Instances, i, i+1)
			j.st.Killed = append(j.st.Killed, r.Instance)
		}
	case RecordAdd:
		if i >= 0 {
			j.st.Instances[i].ConfigVersion = r.Version
			return nil
		}
		at, _ := slices.BinarySearchFunc(j.st.Instances, r.Instance, func(ref InstanceRef, id int) int { return ref.ID - id })
		j.st.Instances = slices.Insert(j.st.Instances, at, InstanceRef{ID: r.Instance, ConfigVersion: r.Version})
		j.st.Killed = slices.DeleteFunc(j.st.Killed, func(id int) bool { return id == r.Instance })
		var state *InstanceState
		if r.Watch != nil {
			state = &InstanceState{Watch: r.Watch, NoThrottle: true}
		}
		return j.launchInstance(ctx, r.Instance, state)
	}
	return nil
}

// updateDone clears the job's active update.
func (j *job) updateDone(d UpdateDone) {
	if j.st.Updating == d.UpdateID {
		j.st.Updating = ""
	}
	j.dropUnusedConfigs()
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

func (r *OpResult) failed(id int, msg string) {
	if r.Failed == nil {
		r.Failed = map[int]string{}
	}
	r.Failed[id] = msg
}

// Search attributes Borealis sets (SPEC §7).
var (
	JobKeyAttribute       = temporal.NewSearchAttributeKeyKeyword("BorealisJobKey")
	UpdateStatusAttribute = temporal.NewSearchAttributeKeyKeyword("BorealisUpdateStatus")
)
