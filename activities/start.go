package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/taskapi"
)

// StartTask starts the container of one task run, or adopts the one an
// earlier attempt with the same task id made. The worker trusts nothing in
// its input: the job is checked again as AdmitJob checks it (a job key that
// matches, the model's rules for the fields the task is made of — identity,
// task, container — and the [Policy] on Docker parameters) and the instance
// id must be below jobs.max_instances. Then {{mesos.hostname}} in cmdlines
// is filled with this host's name ([taskHostName]), {{secret[NAME]}} in
// cmdlines and env parameters from secrets.dir or the worker's
// environment, and volume host paths are mounted with their symlinks
// resolved.
//
// A task that can never start (invalid or refused config, a missing secret,
// a missing image) fails with a non-retryable [taskapi.ErrTypeInvalidTask]
// error naming every problem; a container name taken by a foreign container
// with [taskapi.ErrTypeConflict]; an unreachable Docker daemon is retried.
// Secret values are in no result, log line or error.
func (a *Activities) StartTask(ctx context.Context, in taskapi.StartTaskInput) (taskapi.StartTaskResult, error) {
	log := loggerOf(a).With("job", in.JobKey, "instance", in.Instance, "task", in.TaskID)
	pol := policyOf(a)
	if err := checkStartInput(in, pol); err != nil {
		return taskapi.StartTaskResult{}, err
	}
	spec := TaskSpecFor(in)
	// Before the secrets, so that no secret's value is templated.
	host := taskHostName(a)
	for i := range spec.Runner.Processes {
		spec.Runner.Processes[i].Cmdline = config.FillHostname(spec.Runner.Processes[i].Cmdline, host)
	}
	what := fmt.Sprintf("start task %s of %s/%d", in.TaskID, in.JobKey, in.Instance)
	for i, m := range spec.Mounts {
		real, err := resolveHostPath(m.HostPath)
		if err != nil {
			return taskapi.StartTaskResult{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("%s: volume: %v", what, err), taskapi.ErrTypeInvalidTask, nil)
		}
		spec.Mounts[i].HostPath = real
	}
	secrets, err := fillSecrets(&spec, a.SecretsDir)
	if err != nil {
		return taskapi.StartTaskResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s: %s", what, strings.ReplaceAll(err.Error(), "\n", "; ")), taskapi.ErrTypeInvalidTask, nil)
	}
	// Heartbeats let a crashed worker's start be retried (and the container
	// adopted) within the heartbeat timeout, not the start-to-close one.
	task, err := whileHeartbeating(ctx, a, nil, func(ctx context.Context) (*dockerrun.Task, error) {
		return a.Runtime.Start(ctx, spec)
	})
	if err != nil {
		return taskapi.StartTaskResult{}, runtimeError(ctx, what, redactSecrets(err, secrets))
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
	trackStart(ctx, a, in, task.Adopted)
	log.Info("task started", "container", task.ContainerID, "adopted", task.Adopted, "ports", task.Ports)
	return res, nil
}

// taskHostName is {{mesos.hostname}} for the tasks this worker starts
// (docs/semantics.md §1.6): the runtime's host name, the worker's host.name
// setting; for a runtime without one, the machine's hostname (host.name's
// default), failing that the address task ports are published on.
func taskHostName(a *Activities) string {
	var host, addr string
	if r, ok := a.Runtime.(interface{ Options() dockerrun.Options }); ok {
		host, addr = r.Options().HostName, r.Options().Host
	}
	if host == "" {
		host, _ = os.Hostname()
	}
	if host == "" {
		host = addr
	}
	if host == "" {
		host = dockerrun.DefaultHost
	}
	return host
}

// checkStartInput reports, as one non-retryable [taskapi.ErrTypeInvalidTask]
// error, every problem that makes the task impossible or not allowed to
// start, separated by "; ".
func checkStartInput(in taskapi.StartTaskInput, pol *Policy) error {
	problems := taskProblems(jobProblems(in.JobKey, in.Job, pol))
	if in.TaskID == "" {
		problems = append(problems, "task id is empty")
	}
	if in.Instance < 0 {
		problems = append(problems, fmt.Sprintf("instance %d is negative", in.Instance))
	} else if in.Instance >= pol.maxInstances() {
		problems = append(problems, fmt.Sprintf("instance %d: ids go up to %d on this worker (%s %d)",
			in.Instance, pol.maxInstances()-1, settings.KeyJobsMaxInstances, pol.maxInstances()))
	}
	if len(problems) == 0 {
		// The runner's own checks, on what the model let through.
		if err := TaskSpecFor(in).Runner.Validate(); err != nil {
			problems = append(problems, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	msg := fmt.Sprintf("task %s of %s/%d is refused: %s", in.TaskID, in.JobKey, in.Instance, strings.Join(problems, "; "))
	return temporal.NewNonRetryableApplicationError(msg, taskapi.ErrTypeInvalidTask, nil)
}

// jobProblems is every problem of a job config the worker refuses, at
// admission and at start: a job key that does not parse or does not match
// the job, the model's rules (config's Job.Validate, paths under "job."),
// and the policy on Docker parameters. The instance cap is AdmitJob's.
func jobProblems(key string, job config.Job, pol *Policy) []string {
	var problems []string
	if k, err := jobkey.Parse(key); err != nil {
		problems = append(problems, err.Error())
	} else if k.String() != job.Key() {
		problems = append(problems, fmt.Sprintf("job key %s does not match the job's cluster/role/environment/name %s",
			jobkey.Quote(key), jobkey.Quote(job.Key())))
	}
	if err := job.Validate(); err != nil {
		var ce *config.Errors
		if !errors.As(err, &ce) {
			problems = append(problems, "job: "+err.Error())
		} else {
			for _, fe := range ce.List {
				fe.Path = joinPath("job", fe.Path)
				problems = append(problems, fe.Error())
			}
			if more := ce.Len() - len(ce.List); more > 0 {
				problems = append(problems, fmt.Sprintf("... and %d more problems", more))
			}
		}
	}
	problems = append(problems, pol.CheckDockerParameters(dockerParams(job))...)
	return problems
}

// taskFields are the job fields that make up the task StartTask starts;
// the model's problems elsewhere (update_config, health_check_config,
// sla_policy, lifecycle, instances, ...) are AdmitJob's to refuse and the
// concern of the activities that use those fields, not a reason to refuse
// a task whose own spec is sound.
var taskFields = []string{"cluster", "role", "environment", "name", "task", "container"}

// taskProblems keeps, of jobProblems' list, those StartTask refuses a
// task for: every problem but the model's in fields outside taskFields.
func taskProblems(problems []string) []string {
	var out []string
	for _, p := range problems {
		field, isModel := strings.CutPrefix(p, "job.")
		if !isModel {
			out = append(out, p)
			continue
		}
		for _, f := range taskFields {
			if strings.HasPrefix(field, f+".") || strings.HasPrefix(field, f+":") || strings.HasPrefix(field, f+"[") {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// joinPath puts a field path relative to a job under prefix.
func joinPath(prefix, path string) string {
	switch {
	case path == "":
		return prefix
	case strings.HasPrefix(path, "["):
		return prefix + path
	}
	return prefix + "." + path
}

func dockerParams(job config.Job) []config.DockerParameter {
	if job.Container == nil || job.Container.Docker == nil {
		return nil
	}
	return job.Container.Docker.Parameters
}

// jobInput is a task run of job for the pure mapping, without ids.
func jobInput(job config.Job) taskapi.StartTaskInput {
	return taskapi.StartTaskInput{JobKey: job.Key(), Job: job}
}
