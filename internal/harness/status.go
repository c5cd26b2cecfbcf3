package harness

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// JobStatus is one job of `job status --write-json` (docs/semantics.md §6).
type JobStatus struct {
	Job      string `json:"job"`
	Active   []Task `json:"active"`
	Inactive []Task `json:"inactive"`
}

// Task is a task of `job status --write-json`: exactly docs/semantics.md §6's fields.
type Task struct {
	InstanceID    int            `json:"instanceId"`
	TaskID        string         `json:"taskId"`
	Status        string         `json:"status"`
	FailureCount  int            `json:"failureCount"`
	Host          string         `json:"host"`
	ContainerID   string         `json:"containerId"`
	AssignedPorts map[string]int `json:"assignedPorts"`
	TaskEvents    []TaskEvent    `json:"taskEvents"`
	// ConfigVersion is the update whose config the task runs ("" for the
	// job's first config).
	ConfigVersion string `json:"configVersion"`
}

type TaskEvent struct {
	Timestamp int64  `json:"timestamp"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

// Events renders a task's events for failure messages.
func (t Task) Events() string {
	var b strings.Builder
	for _, e := range t.TaskEvents {
		fmt.Fprintf(&b, " %s", e.Status)
		if e.Message != "" {
			fmt.Fprintf(&b, "(%s)", e.Message)
		}
	}
	return b.String()
}

// FirstEvent is the time of the task's first event.
func (t Task) FirstEvent() int64 {
	if len(t.TaskEvents) == 0 {
		return 0
	}
	return t.TaskEvents[0].Timestamp
}

func (s JobStatus) String() string {
	var b strings.Builder
	for _, list := range []struct {
		name  string
		tasks []Task
	}{{"active", s.Active}, {"inactive", s.Inactive}} {
		for _, t := range list.tasks {
			fmt.Fprintf(&b, "  %s %d %s %s failures=%d container=%.12s events:%s\n",
				list.name, t.InstanceID, t.TaskID, t.Status, t.FailureCount, t.ContainerID, t.Events())
		}
	}
	return b.String()
}

// ActiveOf returns the active task of an instance.
func (s JobStatus) ActiveOf(instance int) (Task, bool) {
	for _, t := range s.Active {
		if t.InstanceID == instance {
			return t, true
		}
	}
	return Task{}, false
}

// InactiveOf returns the ended tasks of an instance, oldest first.
func (s JobStatus) InactiveOf(instance int) []Task {
	var out []Task
	for _, t := range s.Inactive {
		if t.InstanceID == instance {
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FirstEvent() < out[j].FirstEvent() })
	return out
}

// Find returns the task with id among active and inactive ones.
func (s JobStatus) Find(id string) (Task, bool) {
	for _, t := range append(append([]Task{}, s.Active...), s.Inactive...) {
		if t.TaskID == id {
			return t, true
		}
	}
	return Task{}, false
}

// Status runs `job status KEY --write-json` and decodes it strictly: an
// unknown field is an error, so the shape is docs/semantics.md §6's.
func (cl *Cluster) Status(key string) (JobStatus, error) {
	r := cl.Run("job", "status", key, "--write-json")
	if r.Code != ExitOK {
		return JobStatus{}, fmt.Errorf("%s", r)
	}
	if !strings.Contains(r.Stderr, "Web UI: ") {
		return JobStatus{}, fmt.Errorf("with --write-json the Web UI address goes to stderr: %s", r)
	}
	dec := json.NewDecoder(strings.NewReader(r.Stdout))
	dec.DisallowUnknownFields()
	var jobs []JobStatus
	if err := dec.Decode(&jobs); err != nil {
		return JobStatus{}, fmt.Errorf("decode %s: %v", r, err)
	}
	if len(jobs) != 1 || jobs[0].Job != key {
		return JobStatus{}, fmt.Errorf("want one job %s: %s", key, r)
	}
	return jobs[0], nil
}

// WaitStatus polls the job's status until cond holds; cond says what it
// is waiting for when it does not.
func (cl *Cluster) WaitStatus(key string, timeout time.Duration, what string, cond func(JobStatus) (bool, string)) JobStatus {
	cl.T.Helper()
	var got JobStatus
	Eventually(cl.T, timeout, what, func() (bool, string) {
		s, err := cl.Status(key)
		if err != nil {
			return false, err.Error()
		}
		got = s
		ok, why := cond(s)
		return ok, why + "\n" + s.String()
	})
	return got
}

// throttleDelay reads the delay of a THROTTLED event's message
// ("Rescheduling flapping task in 2s").
var throttleDelay = regexp.MustCompile(`in (\S+)$`)

// DelayOf is the delay a THROTTLED event announces.
func DelayOf(e TaskEvent) (time.Duration, error) {
	m := throttleDelay.FindStringSubmatch(e.Message)
	if m == nil {
		return 0, fmt.Errorf("THROTTLED event without a delay: %q", e.Message)
	}
	return time.ParseDuration(m[1])
}
