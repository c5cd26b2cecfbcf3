package activities

import (
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
	"github.com/borealis-dev/borealis/taskapi"
)

// TaskSpecFor converts a task run's job config into the spec the container
// runtime starts: the task's processes (every field, with each process's
// log rotation), its order constraints, max_failures, max_concurrency,
// finalization_wait and disk for the runner; cpu, ram and disk as limits;
// the image of job.container.docker (empty: the runtime's default); its
// Docker parameters (env, label, workdir, volume, user, cap-add); and the
// task's port names. It is pure and deterministic.
//
// It maps every well-formed supported parameter and skips the rest: whether
// they may run is the worker's [Policy] (StartTask checks it first), and
// {{secret[NAME]}} references stay in the text (StartTask fills them).
// Volume host paths are cleaned, not resolved. A job key that does not
// parse leaves TaskSpec.JobKey zero (StartTask reports it).
func TaskSpecFor(in taskapi.StartTaskInput) dockerrun.TaskSpec {
	key, _ := jobkey.Parse(in.JobKey)
	spec := dockerrun.TaskSpec{JobKey: key, Instance: in.Instance, TaskID: in.TaskID}
	job := in.Job
	if job.Container != nil && job.Container.Docker != nil {
		spec.Image = job.Container.Docker.Image
		mapDockerParameters(&spec, job.Container.Docker.Parameters)
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
			LogRotate:   logRotation(p),
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
		spec.Runner.DiskBytes = r.Disk
	}
	spec.PortNames = job.PortNames()
	return spec
}

// logRotation is the runner's rotation of p's logs; nil: whole files.
func logRotation(p config.Process) *runner.LogRotation {
	r := p.Rotation()
	if r == nil {
		return nil
	}
	return &runner.LogRotation{MaxBytes: r.LogSize, Backups: r.Backups}
}

// mapDockerParameters adds the well-formed supported parameters to spec,
// in order: a later env or label of the same name, workdir or user wins.
func mapDockerParameters(spec *dockerrun.TaskSpec, params []config.DockerParameter) {
	for _, p := range params {
		switch p.Name {
		case paramEnv:
			if name, value, err := parseEnv(p.Value); err == nil {
				if spec.Env == nil {
					spec.Env = map[string]string{}
				}
				spec.Env[name] = value
			}
		case paramLabel:
			if k, v, err := parseLabel(p.Value); err == nil {
				if spec.Labels == nil {
					spec.Labels = map[string]string{}
				}
				spec.Labels[k] = v
			}
		case paramWorkDir:
			if dir, err := parseWorkDir(p.Value); err == nil {
				spec.WorkDir = dir
				spec.Runner.WorkDir = dir
			}
		case paramVolume:
			if m, err := parseVolume(p.Value); err == nil {
				spec.Mounts = append(spec.Mounts, m)
			}
		case paramUser:
			if uid, gid, err := parseUser(p.Value); err == nil {
				spec.User = formatUser(uid, gid)
			}
		case paramCapAdd:
			if caps, err := parseCaps(p.Value); err == nil {
				spec.CapAdd = append(spec.CapAdd, caps...)
			}
		}
	}
}
