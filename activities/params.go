package activities

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"path"
	"strconv"
	"strings"
	"unicode"

	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/dockerrun"
)

// The Docker parameters Borealis supports (settings.SupportedDockerParameters),
// written as Aurora's Parameter(name, value) like a `docker run` flag.
const (
	// paramEnv is NAME=VALUE, an environment variable of the task.
	paramEnv = "env"
	// paramLabel is KEY=VALUE, a container label (not borealis.*).
	paramLabel = "label"
	// paramWorkDir is the container's working directory, an absolute path.
	paramWorkDir = "workdir"
	// paramVolume is HOST:CONTAINER[:ro|:rw], a bind mount of a host path.
	paramVolume = "volume"
	// paramUser is UID[:GID], numeric: who the task's processes run as.
	paramUser = "user"
	// paramCapAdd is a comma list of Linux capabilities to keep.
	paramCapAdd = "cap-add"
)

// reservedEnvPrefix starts the environment variables the runtime sets
// (BOREALIS_INSTANCE, BOREALIS_TASK_ID, BOREALIS_PORT_<NAME>).
const reservedEnvPrefix = "BOREALIS_"

// reservedLabelPrefix starts the labels that say which containers are
// Borealis's (docs/semantics.md §7.3).
const reservedLabelPrefix = "borealis."

// reservedContainerPaths are where a volume may not be mounted: the
// runner, and the sandbox with the runner's spec and the process logs.
var reservedContainerPaths = []string{
	"/",
	dockerrun.SandboxMountPath,
	path.Dir(dockerrun.RunnerMountPath),
	path.Join(dockerrun.SandboxMountPath, ".borealis"),
	path.Join(dockerrun.SandboxMountPath, ".logs"),
}

// parseEnv reads NAME=VALUE; NAME is a shell variable name not starting
// with BOREALIS_.
func parseEnv(v string) (name, value string, err error) {
	name, value, ok := strings.Cut(v, "=")
	if !ok {
		return "", "", fmt.Errorf("want NAME=VALUE, got no '='")
	}
	if !isEnvName(name) {
		return "", "", fmt.Errorf("%q is not a variable name (letters, digits and _, not starting with a digit)", name)
	}
	if strings.HasPrefix(strings.ToUpper(name), reservedEnvPrefix) {
		return "", "", fmt.Errorf("%q: names starting with %s are set by Borealis", name, reservedEnvPrefix)
	}
	if strings.ContainsRune(value, 0) {
		return "", "", fmt.Errorf("the value of %s has a NUL byte", name)
	}
	return name, value, nil
}

func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// parseLabel reads KEY=VALUE; KEY is printable, without spaces, and not
// borealis.*.
func parseLabel(v string) (key, value string, err error) {
	key, value, ok := strings.Cut(v, "=")
	if !ok || key == "" {
		return "", "", fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	if strings.ContainsFunc(key, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) {
		return "", "", fmt.Errorf("label key %q has white space or a control character", key)
	}
	if strings.HasPrefix(strings.ToLower(key), reservedLabelPrefix) {
		return "", "", fmt.Errorf("label %q: the %s* labels are Borealis's", key, reservedLabelPrefix)
	}
	if strings.ContainsFunc(value, unicode.IsControl) {
		return "", "", fmt.Errorf("the value of label %s has a control character", key)
	}
	return key, value, nil
}

// parseWorkDir reads an absolute container path.
func parseWorkDir(v string) (string, error) {
	return containerPath(v)
}

// containerPath checks an absolute path inside the container, without
// "." or ".." elements, and returns it cleaned.
func containerPath(v string) (string, error) {
	if !strings.HasPrefix(v, "/") {
		return "", fmt.Errorf("container path %q is not absolute", v)
	}
	if err := plainElements(v); err != nil {
		return "", fmt.Errorf("container path %q: %w", v, err)
	}
	return path.Clean(v), nil
}

// plainElements refuses "." and ".." path elements and NUL bytes.
func plainElements(p string) error {
	if strings.ContainsRune(p, 0) {
		return errors.New("has a NUL byte")
	}
	for _, el := range strings.Split(p, "/") {
		if el == "." || el == ".." {
			return fmt.Errorf("has a %q element", el)
		}
	}
	return nil
}

// parseVolume reads HOST:CONTAINER[:ro|:rw] (rw when left out). Both paths
// are absolute and have no "." or ".." element; the container path is not
// one of Borealis's own.
func parseVolume(v string) (dockerrun.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return dockerrun.Mount{}, fmt.Errorf("want HOST:CONTAINER[:ro|:rw], got %q", v)
	}
	m := dockerrun.Mount{}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return dockerrun.Mount{}, fmt.Errorf("mode %q: want ro or rw", parts[2])
		}
	}
	host := parts[0]
	if !strings.HasPrefix(host, "/") {
		return dockerrun.Mount{}, fmt.Errorf("host path %q is not absolute", host)
	}
	if err := plainElements(host); err != nil {
		return dockerrun.Mount{}, fmt.Errorf("host path %q: %w", host, err)
	}
	m.HostPath = path.Clean(host)
	cp, err := containerPath(parts[1])
	if err != nil {
		return dockerrun.Mount{}, err
	}
	for _, r := range reservedContainerPaths {
		if cp == r || (r != "/" && r != dockerrun.SandboxMountPath && settings.Within(cp, r)) {
			return dockerrun.Mount{}, fmt.Errorf("container path %s is Borealis's own", cp)
		}
	}
	m.ContainerPath = cp
	return m, nil
}

// parseUser reads UID[:GID], both numeric (names would be looked up in the
// image, which the policy cannot see); GID defaults to UID's, -1 here.
func parseUser(v string) (uid, gid int, err error) {
	u, g, hasGID := strings.Cut(v, ":")
	if uid, err = parseID(u); err != nil {
		return 0, 0, fmt.Errorf("want UID[:GID], numeric: %w", err)
	}
	gid = -1
	if hasGID {
		if gid, err = parseID(g); err != nil {
			return 0, 0, fmt.Errorf("want UID[:GID], numeric: %w", err)
		}
	}
	return uid, gid, nil
}

func parseID(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > settings.MaxTaskID || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%q is not an id from 0 to %d", s, settings.MaxTaskID)
	}
	return n, nil
}

// formatUser is the dockerrun.TaskSpec.User of a parsed user parameter.
func formatUser(uid, gid int) string {
	if gid < 0 {
		return strconv.Itoa(uid)
	}
	return strconv.Itoa(uid) + ":" + strconv.Itoa(gid)
}

// parseCaps reads a comma list of capability names (CAP_ optional); ALL,
// which would make the task as good as privileged, is refused.
func parseCaps(v string) ([]string, error) {
	var caps []string
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		name := strings.TrimPrefix(strings.ToUpper(c), "CAP_")
		if name == "ALL" {
			return nil, fmt.Errorf("refused: %q would keep every capability", c)
		}
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !(r == '_' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') }) {
			return nil, fmt.Errorf("%q is not a capability name", c)
		}
		caps = append(caps, c)
	}
	if len(caps) == 0 {
		return nil, errors.New("no capability named")
	}
	return caps, nil
}

// unwrapPathError is err without the operation and path a *fs.PathError
// repeats.
func unwrapPathError(err error) error {
	var pe *iofs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
