package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// KillRequest names the instances to kill.
type KillRequest struct {
	Instances []int `json:"instances"`
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
	// Skipped lists the instances of Instances a restart stopped by its
	// failure budget left untouched; Aborted says why it stopped.
	Skipped []int  `json:"skipped,omitempty"`
	Aborted string `json:"aborted,omitempty"`
}

// failed notes that instance id failed, and why.
func (r *OpResult) failed(id int, msg string) {
	if r.Failed == nil {
		r.Failed = map[int]string{}
	}
	r.Failed[id] = msg
}

// Error types of the application errors the job workflow refuses
// operations with, so callers can match them without parsing messages.
const (
	// ErrTypeJobUpdating: the job has an active update (details: its id).
	ErrTypeJobUpdating = "JobUpdating"
	// ErrTypeUnknownInstance: an instance the job does not have.
	ErrTypeUnknownInstance = "UnknownInstance"
)

// Errors the job workflow answers with, in Aurora's wording (capitalised,
// as scripts match them).
var (
	//lint:ignore ST1005 Aurora's message, verbatim (docs/semantics.md §5)
	ErrJobUpdating = errors.New("Job is currently updating")
	//lint:ignore ST1005 worded like Aurora's messages
	ErrJobBusy = errors.New("Job is busy with another operation")
)

// registerHandlers answers the job query and the job's operations (kill,
// killall, restart, start-update, add), each with its validator, and the
// wait for the job's admission.
func (j *job) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryJob, func() (JobView, error) { return j.queryView(), nil }); err != nil {
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
			if err := j.refuseForCron("job restart"); err != nil {
				return err
			}
			if err := r.validate(); err != nil {
				return err
			}
			return j.validateInstances(r.Instances, true)
		}},
		{UpdateStartUpdate, j.startUpdate, j.validateUpdate},
		{UpdateAdd, j.add, func(r AddRequest) error {
			if err := j.refuseForCron("job add"); err != nil {
				return err
			}
			if r.Count < 1 {
				return fmt.Errorf("count must be > 0, got %d", r.Count)
			}
			if err := j.validateInstances([]int{r.From}, false); err != nil {
				return err
			}
			return j.validateAdd(r)
		}},
		{UpdateAdmission, j.admission, nil},
		{UpdateCronSchedule, j.cronSchedule, j.validateCronSchedule},
		{UpdateCronDeschedule, j.cronDeschedule, func() error { return j.validateCron() }},
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
	case j.refused != "":
		return refusedError(j.refused)
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

// request sends one request to each instance and waits for every answer.
func (j *job) request(ctx workflow.Context, ids []int, kind RequestKind, watchSecs int) ([]InstanceReply, error) {
	return j.requestWith(ctx, ids, InstanceRequest{Kind: kind, WatchSecs: watchSecs})
}

// requestWith is request of a request like req (its kind and watch), keyed
// and addressed for each instance.
func (j *job) requestWith(ctx workflow.Context, ids []int, req InstanceRequest) ([]InstanceReply, error) {
	j.st.Seq++
	me := workflow.GetInfo(ctx).WorkflowExecution.ID
	reqs := make([]InstanceRequest, len(ids))
	for i, id := range ids {
		reqs[i] = req
		reqs[i].Key, reqs[i].ReplyTo = fmt.Sprintf("%s/%s/%d/%d", me, req.Kind, j.st.Seq, id), me
	}
	via := deliveryOf(ctx)
	for i, ended := range requestInstances(ctx, via, j.key(), ids, reqs) {
		if ended {
			j.replies[reqs[i].Key] = endedReply(reqs[i], ids[i])
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
		var again []InstanceRequest
		var to []int
		for i, r := range reqs {
			if _, ok := j.replies[r.Key]; !ok {
				again, to = append(again, r), append(to, ids[i])
			}
		}
		for i, ended := range requestInstances(ctx, via, j.key(), to, again) {
			if ended {
				j.replies[again[i].Key] = endedReply(again[i], to[i])
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
	if j.st.Cron != nil {
		return j.killCron(ctx, r)
	}
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
	if j.st.Cron != nil {
		// A cron job's killall kills the active run; the schedule stays.
		var ids []int
		if run := j.st.Cron.Active; run != nil {
			ids = run.Instances
		}
		return j.kill(ctx, KillRequest{Instances: ids})
	}
	return j.kill(ctx, KillRequest{Instances: j.ids()})
}

// killCron kills instances of a cron job's active run (none when no run is
// active); the job and its schedule stay.
func (j *job) killCron(ctx workflow.Context, r KillRequest) (OpResult, error) {
	res := OpResult{Instances: []int{}}
	run := j.st.Cron.Active
	if run == nil || len(r.Instances) == 0 {
		return res, nil
	}
	if run.Kill == "" {
		run.Kill = "killed by a user"
	}
	replies, err := j.killRunInstances(ctx, r.Instances)
	if err != nil {
		return res, err
	}
	for _, rep := range replies {
		res.Instances = append(res.Instances, rep.Instance)
		if rep.Outcome != OutcomeKilled {
			res.failed(rep.Instance, rep.Message)
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
