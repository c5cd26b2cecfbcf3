package dockerrun

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/mount"
)

// dockerProblems checks the Docker parameters of a spec (labels, mounts,
// working directory, user) and lists what is wrong with them.
func (s TaskSpec) dockerProblems() []string {
	var problems []string
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case k == "":
			problems = append(problems, "a label has an empty key")
		case strings.HasPrefix(k, labelPrefix):
			problems = append(problems, fmt.Sprintf("label %q: the %s* labels are Borealis's", k, labelPrefix))
		}
	}
	seen := map[string]bool{SandboxMountPath: true, RunnerMountPath: true}
	for _, m := range s.Mounts {
		if !filepath.IsAbs(m.HostPath) {
			problems = append(problems, fmt.Sprintf("mount %q: host path is not absolute", m.HostPath))
		}
		target := path.Clean(m.ContainerPath)
		switch {
		case !path.IsAbs(m.ContainerPath):
			problems = append(problems, fmt.Sprintf("mount %q: container path %q is not absolute", m.HostPath, m.ContainerPath))
		case target == "/" || target == SandboxMountPath || underPath(target, path.Dir(RunnerMountPath)):
			problems = append(problems, fmt.Sprintf("mount %q: container path %q is reserved (/, %s, %s)",
				m.HostPath, m.ContainerPath, SandboxMountPath, path.Dir(RunnerMountPath)))
		case seen[target]:
			problems = append(problems, fmt.Sprintf("mount %q: container path %q is mounted twice", m.HostPath, m.ContainerPath))
		}
		seen[target] = true
	}
	if s.WorkDir != "" && !path.IsAbs(s.WorkDir) {
		problems = append(problems, fmt.Sprintf("working directory %q is not absolute", s.WorkDir))
	}
	if s.User != "" {
		if _, _, _, err := parseUser(s.User); err != nil {
			problems = append(problems, err.Error())
		}
	}
	return problems
}

// underPath reports whether p is dir or below it (both clean and absolute).
func underPath(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// parseUser reads a TaskSpec.User, numeric "uid[:gid]".
func parseUser(s string) (uid, gid int, hasGID bool, err error) {
	u, g, hasGID := strings.Cut(s, ":")
	uid, uerr := strconv.Atoi(u)
	if uerr != nil || uid < 0 {
		return 0, 0, false, fmt.Errorf("user %q: want a numeric uid[:gid]", s)
	}
	if hasGID {
		gid, err = strconv.Atoi(g)
		if err != nil || gid < 0 {
			return 0, 0, false, fmt.Errorf("user %q: want a numeric uid[:gid]", s)
		}
	}
	return uid, gid, hasGID, nil
}

// taskIDs resolves the uid and gid the task's processes run as: the spec's
// User when set (its gid defaulting to opts.TaskGID), else opts.TaskUID and
// TaskGID (defaults filled in). Root is ErrInvalid unless opts.RootTasks.
func (s TaskSpec) taskIDs(opts Options) (uid, gid int, err error) {
	uid, gid = opts.TaskUID, opts.TaskGID
	if s.User != "" {
		u, g, hasGID, err := parseUser(s.User)
		if err != nil {
			return 0, 0, fmt.Errorf("task spec %q: %w: %w", s.TaskID, err, ErrInvalid)
		}
		uid = u
		if hasGID {
			gid = g
		}
	}
	if (uid == 0 || gid == 0) && !opts.RootTasks {
		return 0, 0, fmt.Errorf("task spec %q: user %d:%d is root: tasks may not run as root here: %w", s.TaskID, uid, gid, ErrInvalid)
	}
	return uid, gid, nil
}

// bindMounts returns the spec's Mounts as Docker bind mounts.
func (s TaskSpec) bindMounts() []mount.Mount {
	out := make([]mount.Mount, 0, len(s.Mounts))
	for _, m := range s.Mounts {
		out = append(out, mount.Mount{Type: mount.TypeBind, Source: m.HostPath,
			Target: path.Clean(m.ContainerPath), ReadOnly: m.ReadOnly})
	}
	return out
}
