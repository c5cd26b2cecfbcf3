package settings

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/borealis-dev/borealis/jobkey"
)

// The worker's hardening settings (docs/semantics.md §7.5): who task
// processes run as, which Docker parameters and host paths jobs may use, how
// many instances a job may have, where secrets are, and the names the
// worker's containers are labelled with. The CLI accepts and validates them
// too, but only borealis-worker acts on them.

// SupportedDockerParameters are the Docker parameters Borealis knows how to
// apply (docs/semantics.md §7.5). docker.allowed_parameters may list only
// these; any other parameter is refused whatever the settings say.
var SupportedDockerParameters = []string{"cap-add", "env", "label", "user", "volume", "workdir"}

// DefaultDockerAllowedParameters is the default of docker.allowed_parameters:
// every supported parameter but cap-add.
var DefaultDockerAllowedParameters = []string{"env", "label", "workdir", "volume", "user"}

// DefaultTaskID is the default of tasks.uid and tasks.gid: nobody and
// nogroup.
const DefaultTaskID = 65534

// MaxTaskID is the largest uid or gid (2^32-1 is the kernel's "no id").
const MaxTaskID = 1<<32 - 2

// Tasks is the user and group task processes run as.
type Tasks struct {
	UID, GID int
	// Root is set when tasks.uid or tasks.gid is 0: task processes run as
	// root (user or group). Only a value set on purpose (flag, environment,
	// file) can be 0; the default is DefaultTaskID.
	Root bool
}

// loadWorker parses and checks the hardening settings into s, returning
// every problem. It runs after the Temporal settings and data_dir are set:
// deployment.id defaults from the former, and allowed host paths may not
// reach into the latter.
func (s *Settings) loadWorker(get func(string) string, getList func(string) []string) []error {
	var errs []error
	for _, t := range []struct {
		key string
		dst *int
	}{{KeyTasksUID, &s.Tasks.UID}, {KeyTasksGID, &s.Tasks.GID}} {
		raw := get(t.key)
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number", t.key, raw))
		case n < 0 || n > MaxTaskID:
			errs = append(errs, fmt.Errorf("%s: must be between 0 and %d, got %d", t.key, MaxTaskID, n))
		case n == 0 && s.sources[t.key] == SourceDefault:
			// Defaults are never 0; kept so a future default cannot
			// make tasks root by accident.
			errs = append(errs, fmt.Errorf("%s: 0 (root) must be set explicitly", t.key))
		default:
			*t.dst = n
			s.Tasks.Root = s.Tasks.Root || n == 0
		}
	}

	s.AllowedDockerParameters = getList(KeyDockerAllowedParameters)
	for _, p := range s.AllowedDockerParameters {
		if !slices.Contains(SupportedDockerParameters, p) {
			errs = append(errs, fmt.Errorf("%s: %q is not a Docker parameter Borealis supports (%s)",
				KeyDockerAllowedParameters, p, strings.Join(SupportedDockerParameters, ", ")))
		}
	}

	s.SecretsDir = expandHome(get(KeySecretsDir))
	if s.SecretsDir != "" {
		if !filepath.IsAbs(s.SecretsDir) {
			errs = append(errs, fmt.Errorf("%s: %q is not an absolute path", KeySecretsDir, s.SecretsDir))
		}
		s.SecretsDir = filepath.Clean(s.SecretsDir)
	}

	for _, raw := range getList(KeyVolumesAllowedHostPaths) {
		p, err := s.allowedHostPath(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", KeyVolumesAllowedHostPaths, err))
			continue
		}
		s.AllowedHostPaths = append(s.AllowedHostPaths, p)
	}

	raw := get(KeyJobsMaxInstances)
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("%s: %q is not a whole number", KeyJobsMaxInstances, raw))
	case n < 1 || n > jobkey.MaxInstances:
		errs = append(errs, fmt.Errorf("%s: must be between 1 and %d, got %d", KeyJobsMaxInstances, jobkey.MaxInstances, n))
	default:
		s.MaxInstances = n
	}

	s.DeploymentID = strings.TrimSpace(get(KeyDeploymentID))
	if s.DeploymentID == "" {
		s.DeploymentID = s.Temporal.Namespace + "/" + s.Temporal.TaskQueue
		s.values[KeyDeploymentID] = s.DeploymentID
	}
	if err := labelValue(s.DeploymentID); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyDeploymentID, err))
	}

	s.HostName = strings.TrimSpace(get(KeyHostName))
	if s.HostName == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty (the machine's hostname is unknown: set it)", KeyHostName))
	} else if err := labelValue(s.HostName); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", KeyHostName, err))
	} else if strings.ContainsFunc(s.HostName, unicode.IsSpace) {
		errs = append(errs, fmt.Errorf("%s: %q has white space", KeyHostName, s.HostName))
	}
	return errs
}

// allowedHostPath checks one entry of volumes.allowed_host_paths: an
// absolute, clean path (no "." or ".." element), not "/", and neither
// inside nor around data_dir (every task's sandbox) or secrets.dir.
func (s *Settings) allowedHostPath(raw string) (string, error) {
	p := expandHome(raw)
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%q is not an absolute path", raw)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." || el == "." {
			return "", fmt.Errorf("%q has a %q element; write the path it means", raw, el)
		}
	}
	p = filepath.Clean(p)
	if p == "/" {
		return "", fmt.Errorf("%q would allow every host path", raw)
	}
	for _, protected := range []struct{ key, dir string }{{KeyDataDir, s.DataDir}, {KeySecretsDir, s.SecretsDir}} {
		if protected.dir == "" || !filepath.IsAbs(protected.dir) {
			continue
		}
		d := filepath.Clean(protected.dir)
		if Within(d, p) || Within(p, d) {
			return "", fmt.Errorf("%q overlaps %s %s, which no task may mount", raw, protected.key, d)
		}
	}
	return p, nil
}

// Within reports whether path p is dir or inside it; both must be clean
// absolute paths.
func Within(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// labelValue checks a value Borealis puts in a container label.
func labelValue(v string) error {
	if len(v) > 255 {
		return fmt.Errorf("at most 255 bytes, got %d", len(v))
	}
	if strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%q has a control character", v)
	}
	return nil
}

// splitList splits a list setting given as text: items separated by
// commas, each trimmed, empty ones dropped.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
