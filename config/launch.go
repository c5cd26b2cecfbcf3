package config

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	instanceRefRE = regexp.MustCompile(`\{\{\s*mesos\.instance\s*\}\}`)
	taskIDRefRE   = regexp.MustCompile(`\{\{\s*thermos\.task_id\s*\}\}`)
	hostnameRefRE = regexp.MustCompile(`\{\{\s*mesos\.hostname\s*\}\}`)
	// secretRefRE matches {{secret[NAME]}}; NAME follows the rule of
	// process and port names.
	secretRefRE = regexp.MustCompile(`\{\{\s*secret\[([A-Za-z0-9_][A-Za-z0-9_.-]*)\]\s*\}\}`)
)

// FillLaunchTemplates replaces the launch-time references of docs/semantics.md §1 in s:
// {{mesos.instance}} by instance, {{thermos.task_id}} by taskID and
// {{thermos.ports[NAME]}} by ports[NAME]. A port reference whose name is not
// in ports is left as it is, and so are {{mesos.hostname}} ([FillHostname])
// and {{secret[NAME]}} ([FillSecrets]).
func FillLaunchTemplates(s string, instance int, taskID string, ports map[string]int) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	s = instanceRefRE.ReplaceAllLiteralString(s, strconv.Itoa(instance))
	s = taskIDRefRE.ReplaceAllLiteralString(s, taskID)
	return portRefRE.ReplaceAllStringFunc(s, func(ref string) string {
		name := portRefRE.FindStringSubmatch(ref)[1]
		if p, ok := ports[name]; ok {
			return strconv.Itoa(p)
		}
		return ref
	})
}

// FillHostname replaces every {{mesos.hostname}} in s by host, the name of
// the host the task runs on: the worker that starts the task fills it
// (docs/semantics.md §1.6), as the name it knows itself by (its host.name
// setting). An empty host leaves s as it is.
func FillHostname(s, host string) string {
	if host == "" || !strings.Contains(s, "{{") {
		return s
	}
	return hostnameRefRE.ReplaceAllLiteralString(s, host)
}

// PortRefs returns the port names referenced by {{thermos.ports[NAME]}} in s,
// in order of first appearance.
func PortRefs(s string) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range portRefRE.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	return names
}

// SecretRefs returns the names of the {{secret[NAME]}} references in s, in
// order of first appearance, without duplicates (docs/semantics.md §1.6).
func SecretRefs(s string) []string {
	var names []string
	seen := map[string]bool{}
	for _, m := range secretRefRE.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			names = append(names, m[1])
		}
	}
	return names
}

// FillSecrets replaces every {{secret[NAME]}} in s with secrets[NAME]; a
// name missing from secrets is left as it is.
func FillSecrets(s string, secrets map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	return secretRefRE.ReplaceAllStringFunc(s, func(ref string) string {
		if v, ok := secrets[secretRefRE.FindStringSubmatch(ref)[1]]; ok {
			return v
		}
		return ref
	})
}
