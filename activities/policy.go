package activities

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/config/settings"
)

// Policy is what the worker allows a job config beyond the model's own rules
// (docs/semantics.md §7.5). The worker fills it from its settings; AdmitJob
// and StartTask both apply it, so a config started on Temporal directly is
// held to it too.
type Policy struct {
	// AllowedParameters are the Docker parameters jobs may use
	// (docker.allowed_parameters); empty: none. Only
	// settings.SupportedDockerParameters can ever be allowed.
	AllowedParameters []string
	// AllowedHostPaths are the clean absolute host directories a volume's
	// host path must be inside (volumes.allowed_host_paths); empty: no
	// volume is allowed.
	AllowedHostPaths []string
	// ProtectedHostPaths are host paths no volume may reach, be inside or
	// contain, whatever AllowedHostPaths say: the data directory (every
	// task's sandbox), the secrets directory, the runner binary, the Docker
	// socket.
	ProtectedHostPaths []string
	// MaxInstances caps a job's instances (jobs.max_instances); 0:
	// config.MaxInstances.
	MaxInstances int
	// RootTasks is set when the operator made tasks.uid or tasks.gid 0: only
	// then may a job's user parameter name root.
	RootTasks bool
}

// DefaultPolicy is the policy of a worker with default settings.
func DefaultPolicy() Policy {
	return Policy{
		AllowedParameters: slices.Clone(settings.DefaultDockerAllowedParameters),
		MaxInstances:      config.MaxInstances,
	}
}

// maxInstances is p's instance cap.
func (p *Policy) maxInstances() int {
	if p.MaxInstances <= 0 {
		return config.MaxInstances
	}
	return p.MaxInstances
}

// policyOf is a's policy: a.Policy, else DefaultPolicy.
func policyOf(a *Activities) *Policy {
	if a.Policy != nil {
		return a.Policy
	}
	p := DefaultPolicy()
	return &p
}

// paramPath is the path of a job's i-th Docker parameter in messages.
func paramPath(i int) string { return fmt.Sprintf("job.container.docker.parameters[%d]", i) }

// CheckDockerParameters applies the policy to a job's Docker parameters
// (Aurora's Docker(parameters = [Parameter(name, value)])) and returns every
// problem, one string each, in parameter order; none means they may run.
// Each problem starts with the parameter's path and name,
// job.container.docker.parameters[2] (volume): , and names the setting that
// decides it. A parameter is accepted only when Borealis supports it, it is
// in docker.allowed_parameters, its value is well formed, a volume's host
// path (clean, symlinks resolved) is inside volumes.allowed_host_paths and
// reaches no protected path, and a user is not root (unless tasks.uid or
// tasks.gid is 0). It reads the file system to resolve host paths.
func (p *Policy) CheckDockerParameters(params []config.DockerParameter) []string {
	var problems []string
	mounted := map[string]int{} // container path → index of its volume
	for i, prm := range params {
		at := fmt.Sprintf("%s (%s): ", paramPath(i), prm.Name)
		if !slices.Contains(settings.SupportedDockerParameters, prm.Name) {
			problems = append(problems, at+fmt.Sprintf("refused: Borealis does not support this Docker parameter, whatever %s says (supported: %s)",
				settings.KeyDockerAllowedParameters, strings.Join(settings.SupportedDockerParameters, ", ")))
			continue
		}
		if !slices.Contains(p.AllowedParameters, prm.Name) {
			problems = append(problems, at+fmt.Sprintf("refused: not in %s on this worker (%s)",
				settings.KeyDockerAllowedParameters, listOrNone(p.AllowedParameters)))
			continue
		}
		if msg := p.checkParameter(prm); msg != "" {
			problems = append(problems, at+msg)
			continue
		}
		if prm.Name == paramVolume {
			m, _ := parseVolume(prm.Value)
			if first, ok := mounted[m.ContainerPath]; ok {
				problems = append(problems, at+fmt.Sprintf("container path %s is mounted twice (also %s)", m.ContainerPath, paramPath(first)))
				continue
			}
			mounted[m.ContainerPath] = i
		}
	}
	return problems
}

// checkParameter checks one supported, allowed parameter's value; "" when
// it may run.
func (p *Policy) checkParameter(prm config.DockerParameter) string {
	switch prm.Name {
	case paramEnv:
		_, _, err := parseEnv(prm.Value)
		return errMsg(err)
	case paramLabel:
		_, _, err := parseLabel(prm.Value)
		return errMsg(err)
	case paramWorkDir:
		_, err := parseWorkDir(prm.Value)
		return errMsg(err)
	case paramCapAdd:
		_, err := parseCaps(prm.Value)
		return errMsg(err)
	case paramUser:
		uid, gid, err := parseUser(prm.Value)
		if err != nil {
			return err.Error()
		}
		if (uid == 0 || gid == 0) && !p.RootTasks {
			return fmt.Sprintf("refused: %q runs the task as root, which this worker does not allow (%s and %s are not 0)",
				prm.Value, settings.KeyTasksUID, settings.KeyTasksGID)
		}
	case paramVolume:
		m, err := parseVolume(prm.Value)
		if err != nil {
			return err.Error()
		}
		return p.checkHostPath(m.HostPath)
	}
	return ""
}

// checkHostPath checks a volume's clean absolute host path: resolved, it
// must be inside one of the (resolved) allowed host paths and neither
// inside nor around a protected one.
func (p *Policy) checkHostPath(host string) string {
	if len(p.AllowedHostPaths) == 0 {
		return fmt.Sprintf("refused: host path %s: %s is empty on this worker, so no volume is allowed",
			host, settings.KeyVolumesAllowedHostPaths)
	}
	real, err := filepath.EvalSymlinks(host)
	if err != nil {
		return fmt.Sprintf("refused: host path %s cannot be checked against %s: %v",
			host, settings.KeyVolumesAllowedHostPaths, unwrapPathError(err))
	}
	shown := host
	if real != host {
		shown = fmt.Sprintf("%s (resolving to %s)", host, real)
	}
	for _, prot := range p.ProtectedHostPaths {
		if prot == "" {
			continue
		}
		for _, pr := range resolvedForms(prot) {
			if settings.Within(real, pr) || settings.Within(pr, real) {
				return fmt.Sprintf("refused: host path %s reaches %s, which is Borealis's own and no volume may mount, whatever %s says",
					shown, prot, settings.KeyVolumesAllowedHostPaths)
			}
		}
	}
	for _, allowed := range p.AllowedHostPaths {
		for _, root := range resolvedForms(allowed) {
			if settings.Within(real, root) {
				return ""
			}
		}
	}
	return fmt.Sprintf("refused: host path %s is not inside %s (%s)",
		shown, settings.KeyVolumesAllowedHostPaths, strings.Join(p.AllowedHostPaths, ", "))
}

// resolvedForms is a configured host path as the policy compares it: its
// symlinks resolved when it exists, else as written (cleaned).
func resolvedForms(path string) []string {
	clean := filepath.Clean(path)
	if real, err := filepath.EvalSymlinks(clean); err == nil && real != clean {
		return []string{real}
	}
	return []string{clean}
}

// resolveHostPath is the host path a checked volume mounts: symlinks
// resolved, so that Docker mounts the directory the policy allowed.
func resolveHostPath(host string) (string, error) {
	real, err := filepath.EvalSymlinks(host)
	if err != nil {
		return "", fmt.Errorf("host path %s: %w", host, err)
	}
	return real, nil
}

func listOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

func errMsg(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
