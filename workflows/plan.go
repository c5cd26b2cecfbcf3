package workflows

import (
	"encoding/json"
	"reflect"

	"github.com/borealis-dev/borealis/config"
)

// Action is what an update does to one instance (docs/semantics.md §5).
type Action string

// Update actions, in the order an update applies them.
const (
	ActionAdd    Action = "add"
	ActionChange Action = "change"
	ActionRemove Action = "remove"
)

// Step is one instance's part of an update.
type Step struct {
	Instance int    `json:"instance"`
	Action   Action `json:"action"`
	// From is the config version the instance ran before ("" for an added one).
	From string `json:"from,omitempty"`
}

// SameTask reports whether two job configs run the same task: every field
// counts but update_config and instances (docs/semantics.md §5). An empty list or map
// and a missing one are the same.
func SameTask(a, b config.Job) bool {
	//workflowcheck:ignore comparing plain values gives the same answer on every replay
	return reflect.DeepEqual(TaskFields(a), TaskFields(b))
}

// TaskFields is a job as plain JSON values without what an update does not
// compare (update_config, instances) and without empty lists, maps and nulls.
func TaskFields(j config.Job) map[string]any {
	data, err := json.Marshal(j)
	if err != nil {
		return nil
	}
	var v map[string]any
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	delete(v, "update_config")
	delete(v, "instances")
	m, _ := prune(v).(map[string]any)
	return m
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		//workflowcheck:ignore building a map is the same in any order
		for k, e := range x {
			if p := prune(e); p != nil {
				out[k] = p
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		if len(x) == 0 {
			return nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = prune(e)
		}
		return out
	}
	return v
}

// PlanUpdate lists what updating a job from its current instances to next
// does: instances to add, then to change, then to remove, each in ascending
// id. When only is not empty the update is limited to those instances.
func PlanUpdate(current JobView, next config.Job, only []int) []Step {
	in := func(id int) bool {
		if len(only) == 0 {
			return true
		}
		for _, o := range only {
			if o == id {
				return true
			}
		}
		return false
	}
	has := map[int]bool{}
	var change, remove []Step
	for _, r := range current.Instances {
		has[r.ID] = true
		if !in(r.ID) {
			continue
		}
		switch {
		case r.ID >= next.Instances:
			remove = append(remove, Step{Instance: r.ID, Action: ActionRemove, From: r.ConfigVersion})
		case !SameTask(current.Configs[r.ConfigVersion], next):
			change = append(change, Step{Instance: r.ID, Action: ActionChange, From: r.ConfigVersion})
		}
	}
	var add []Step
	for id := 0; id < next.Instances; id++ {
		if !has[id] && in(id) {
			add = append(add, Step{Instance: id, Action: ActionAdd})
		}
	}
	return append(append(add, change...), remove...)
}

// batchSizes tells the pace of an update: queue keeps Size in flight at any
// time; otherwise group k has Sizes[k] instances (the last size repeats) and
// starts only when the group before it is done.
type pace struct {
	Queue     bool
	Sizes     []int
	Autopause bool
	// Variable is set for VariableBatch, whose rollback mirrors its groups.
	Variable bool
}

func paceOf(u config.UpdateConfig) pace {
	s := u.EffectiveStrategy()
	switch {
	case s.Batch != nil:
		return pace{Sizes: []int{s.Batch.BatchSize}, Autopause: s.Batch.AutopauseAfterBatch}
	case s.VariableBatch != nil:
		return pace{Sizes: s.VariableBatch.BatchSizes, Autopause: s.VariableBatch.AutopauseAfterBatch, Variable: true}
	case s.Queue != nil:
		return pace{Queue: true, Sizes: []int{s.Queue.BatchSize}}
	}
	return pace{Queue: true, Sizes: []int{max(u.BatchSize, 1)}}
}

// size of group k (or the queue's window).
func (p pace) size(k int) int {
	if len(p.Sizes) == 0 {
		return 1
	}
	return max(p.Sizes[min(k, len(p.Sizes)-1)], 1)
}
