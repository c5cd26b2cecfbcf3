package version

import (
	"fmt"
	"strconv"
	"strings"
)

// identityPrefix starts the Temporal identity of every borealis-worker.
const identityPrefix = "borealis-worker/"

// WorkerIdentity is the Temporal worker identity of this build's worker on
// host with process id pid: borealis-worker/VERSION/workflows-N@HOST:PID.
// Temporal shows it as the poller of the task queue (DescribeTaskQueue,
// the Web UI's Workers tab), which is how the CLI learns the worker's
// version without asking the worker.
func WorkerIdentity(host string, pid int) string {
	return fmt.Sprintf("%s%s/workflows-%d@%s:%d", identityPrefix, clean(Get().Version), Workflows, host, pid)
}

// ParseIdentity reads the version and the workflows number back from a
// worker identity. ok is false for any other identity, such as the SDK's
// default (PID@HOST) of a worker built before WorkerIdentity.
func ParseIdentity(identity string) (version string, workflows int, ok bool) {
	rest, found := strings.CutPrefix(identity, identityPrefix)
	if !found {
		return "", 0, false
	}
	rest, _, found = strings.Cut(rest, "@")
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return "", 0, false
	}
	n, found := strings.CutPrefix(rest[i+1:], "workflows-")
	if !found {
		return "", 0, false
	}
	workflows, err := strconv.Atoi(n)
	if err != nil || workflows < 0 || strconv.Itoa(workflows) != n {
		return "", 0, false
	}
	return rest[:i], workflows, true
}

// clean keeps a version (which -ldflags may set to anything) from breaking
// the identity's grammar: '/', '@' and blanks become '_'.
func clean(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '@' || r == ' ' || r == '\t' || r == '\n' {
			return '_'
		}
		return r
	}, v)
}
