package config

import (
	"fmt"
	"sort"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

// Warnings about what a config sets that Borealis parses, keeps and shows
// but does not act on (Aurora's scheduling tiers, preemption, GPUs, ...):
// nothing a config says is silently ignored (docs/aurora-users.md lists
// every field of Aurora's schema as supported, warned or refused).

// Warning is one field a job sets that Borealis does not act on.
type Warning struct {
	// Path is the field's path in the job: tier, task.resources.gpu, ...
	Path string
	// Msg says what Borealis does instead.
	Msg string
}

func (w Warning) String() string { return w.Path + ": " + w.Msg }

// Unacted lists the fields job sets that Borealis does not act on, each
// with what Borealis does instead, in a stable order. A field left at
// Aurora's default gets no warning.
func Unacted(job *Job) []Warning {
	var ws []Warning
	add := func(path, format string, args ...any) {
		ws = append(ws, Warning{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if len(job.Constraints) > 0 {
		add("constraints", "not acted on: every task runs on the worker's one Docker host (%s)",
			strings.Join(sortedKeys(job.Constraints), ", "))
	}
	if job.Tier != "" && job.Tier != "preferred" {
		add("tier", "%s is not acted on: Borealis has no tiers, preemption or revocable resources; the job runs as any other",
			jobkey.Quote(job.Tier))
	}
	if job.Priority != 0 {
		add("priority", "not acted on: Borealis preempts no task")
	}
	if len(job.TaskLinks) > 0 {
		add("task_links", "kept and shown by job inspect --write-json only: there is no scheduler UI to link from")
	}
	if job.EnableHooks {
		add("enable_hooks", "not acted on: the borealis client runs no client hooks")
	}
	if job.PartitionPolicy != nil {
		add("partition_policy", "not acted on: a LOST task is replaced as any other ended task is, whatever the policy")
	}
	if e := job.ExecutorConfig; e != nil && e.Data != "" {
		add("executor_config.data", "passed to nothing: Borealis runs the task's processes with its own runner")
	}
	if a := job.Announce; a != nil && a.ZkPath != "" {
		add("announce.zk_path", "not acted on: nothing is announced in ZooKeeper; job endpoints lists the endpoints")
	}
	if job.Task != nil {
		ws = append(ws, unactedTask(job.Task)...)
	}
	return ws
}

// unactedTask lists the fields of a task that Borealis does not act on.
func unactedTask(t *Task) []Warning {
	var ws []Warning
	add := func(path, format string, args ...any) {
		ws = append(ws, Warning{Path: path, Msg: fmt.Sprintf(format, args...)})
	}
	if t.User != nil {
		add("task.user", "not acted on: tasks run as the worker's tasks.uid/tasks.gid, or a docker user parameter")
	}
	if r := t.Resources; r != nil && r.GPU > 0 {
		add("task.resources.gpu", "not allotted: Borealis gives containers no GPUs")
	}
	for i, p := range t.Processes {
		path := indexPath("task.processes", i)
		if p.Resources != nil {
			add(path+".resources", "not acted on: the task's resources limit its whole container")
		}
		if l := p.Logger; l != nil && l.Destination == "console" {
			add(path+".logger.destination", `"console" behaves as "both": output goes to the container's log and to the sandbox's log files too`)
		}
	}
	return ws
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
