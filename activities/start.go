package activities

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/borealis-dev/borealis/taskapi"

	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/runner"
)

// DockerParamCapAdd is the Aurora docker parameter that keeps a Linux
// capability (all others are dropped). Other docker parameters are
// accepted by the config and ignored, with a warning, when a task starts.
const DockerParamCapAdd = "cap-add"

// TaskSpecFor converts a task run's job config into the spec the container
// runtime starts: the task's processes (every field), its order
// constraints, max_failures, max_concurrency and finalization_wait for the
// runner; cpu, ram and disk as limits; the image of job.container.docker
// (empty: the runtime's default); docker parameters named cap-add as kept
// capabilities; and the task's port names. It is pure and deterministic.
// A job key that does not parse leaves TaskSpec.JobKey zero (StartTask
// reports it).
func TaskSpecFor(in taskapi.StartTaskInput) dockerrun.TaskSpec {
	key, _ := jobkey.Parse(in.JobKey)
	spec := dockerrun.TaskSpec{JobKey: key, Instance: in.Instance, TaskID: in.TaskID}
	job := in.Job
	if job.Container != nil && job.Container.Docker != nil {
		spec.Image = job.Container.Docker.Image
		for _, p := range job.Container.Docker.Parameters {
			if p.Name != DockerParamCapAdd {
				continue
			}
			for _, c := range strings.Split(p.Value, ",") {
				if c = strings.TrimSpace(c); c != "" {
					spec.CapAdd = append(spec.CapAdd, c)
				}
			}
		}
	}
	spec.Runner.TaskID = in.TaskID
	t := job.Task
	if t == nil {
		return spec
	}
	for _, p := range t.Processes {
		spec.Runner.Processes = append(spec.Runner.Processes, runner.ProcessSpec{
			Name:        p.Name,
			Cmdline:     p.Cmdline,
			MaxFailures: p.MaxFailures,
			Daemon:      p.Daemon,
			Ephemeral:   p.Ephemeral,
			MinDuration: p.MinDuration,
			Final:       p.Final,
		})
	}
	for _, c := range t.Constraints {
		spec.Runner.Orders = append(spec.Runner.Orders, append([]string(nil), c.Order...))
	}
	spec.Runner.MaxFailures = t.MaxFailures
	spec.Runner.MaxConcurrency = t.MaxConcurrency
	spec.Runner.FinalizationWait = t.FinalizationWait
	if r := t.Resources; r != nil {
		spec.CPU, spec.RAMBytes, spec.DiskBytes = r.CPU, r.RAM, r.Disk
	}
	spec.PortNames = t.PortNames()
	return spec
}

// StartTask starts the container of one task run, or adopts the one an
// earlier attempt with the same task id made. A task that can never start
// (invalid config, missing image) fails with a non-retryable
// [taskapi.ErrTypeInvalidTask] error; a container name taken by a foreign container
// with [taskapi.ErrTypeConflict]; an unreachable Docker daemon is retried.
func (a *Activities) StartTask(ctx context.Context, in taskapi.StartTaskInput) (taskapi.StartTaskResult, error) {
	log := loggerOf(a).With("job", in.JobKey, "instance", in.Instance, "task", in.TaskID)
	if err := checkStartInput(in); err != nil {
		return taskapi.StartTaskResult{}, err
	}
	for _, p := range dockerParams(in.Job) {
		if p.Name != DockerParamCapAdd {
			log.Warn("docker parameter not supported, ignored", "parameter", p.Name, "value", p.Value)
		}
	}
	spec := TaskSpecFor(in)
	// Heartbeats let a crashed worker's start be retried (and the container
	// adopted) within the heartbeat timeout, not the start-to-close one.
	task, err := whileHeartbeating(ctx, a, nil, func(ctx context.Context) (*dockerrun.Task, error) {
		return a.Runtime.Start(ctx, spec)
	})
	if err != nil {
		return taskapi.StartTaskResult{}, runtimeError(ctx, fmt.Sprintf("start task %s of %s/%d", in.TaskID, in.JobKey, in.Instance), err)
	}
	res := taskapi.StartTaskResult{
		ContainerID: task.ContainerID,
		Host:        task.HostIP,
		Ports:       task.Ports,
		Sandbox:     task.Sandbox,
		Adopted:     task.Adopted,
	}
	if !task.DiskEnforced {
		res.DiskNote = task.DiskReason
	}
	count(ctx, metrics.ContainerStarts, "adopted", strconv.FormatBool(task.Adopted))
	log.Info("task started", "container", task.ContainerID, "adopted", task.Adopted, "ports", task.Ports)
	return res, nil
}

// checkStartInput reports, as one non-retryable error, every problem that
// makes the task impossible to start.
func checkStartInput(in taskapi.StartTaskInput) error {
	var problems []string
	if _, err := jobkey.Parse(in.JobKey); err != nil {
		problems = append(problems, err.Error())
	}
	if in.TaskID == "" {
		problems = append(problems, "task id is empty")
	}
	if in.Instance < 0 {
		problems = append(problems, fmt.Sprintf("instance %d is negative", in.Instance))
	}
	if in.Job.Task == nil {
		problems = append(problems, "job has no task")
	} else if err := TaskSpecFor(in).Runner.Validate(); err != nil {
		problems = append(problems, strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if len(problems) == 0 {
		return nil
	}
	msg := fmt.Sprintf("task %s of %s/%d is invalid: %s", in.TaskID, in.JobKey, in.Instance, strings.Join(problems, "; "))
	return temporal.NewNonRetryableApplicationError(msg, taskapi.ErrTypeInvalidTask, nil)
}

func dockerParams(job config.Job) []config.DockerParameter {
	if job.Container == nil || job.Container.Docker == nil {
		return nil
	}
	return job.Container.Docker.Parameters
}
