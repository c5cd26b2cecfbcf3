package dockerrun

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/client"
)

// PortRange is an inclusive range of host ports.
type PortRange struct {
	Min, Max int
}

// Options configures a [Docker] runtime. Zero fields take the defaults
// named on each.
type Options struct {
	// Host is the host address ports are published on (default 127.0.0.1).
	Host string
	// PortRange is where host ports are picked (default 31000-32000).
	PortRange PortRange
	// DataDir holds the sandboxes, under DataDir/sandboxes/<task>
	// (required).
	DataDir string
	// RunnerPath is the host path of the static borealis-runner binary,
	// mounted read-only into every task container (required).
	RunnerPath string
	// DefaultImage is used when a TaskSpec has no image
	// (default borealis/base:latest).
	DefaultImage string
	// PidsLimit bounds the processes of a task (default 1024; negative
	// means unlimited).
	PidsLimit int64
	// Logger receives debug and warning messages (default slog.Default()).
	Logger *slog.Logger
	// LaunchWait bounds how long Start waits for the runner to launch the
	// task's first process (default [DefaultLaunchWait]; negative: not at all).
	LaunchWait time.Duration
	// Endpoint is the Docker Engine's address, as DOCKER_HOST takes it
	// (unix:///var/run/docker.sock, tcp://host:2376, ...); empty: Docker's
	// defaults from the environment (DOCKER_HOST, else the local socket).
	// The TLS settings come from the environment either way
	// (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH).
	Endpoint string
	// TaskUID and TaskGID are the user and group task processes run as
	// (default [DefaultTaskID], 65534). Zero means the default; root
	// needs RootTasks.
	TaskUID, TaskGID int
	// RootTasks lets TaskUID/TaskGID 0 mean root rather than the default,
	// and a TaskSpec.User of uid or gid 0 through.
	RootTasks bool
	// Deployment is the value of the borealis.deployment label: the
	// runtime lists, adopts, watches and removes only containers carrying
	// it (docs/semantics.md §7.3). Empty: no label, and every Borealis
	// container is this deployment's.
	Deployment string
	// HostName is the value of the borealis.host label; empty: no label.
	HostName string
	// LogMaxBytes and LogMaxFiles cap the container's Docker log
	// (json-file max-size and max-file); zero: the defaults, 10 MiB and 3.
	LogMaxBytes int64
	LogMaxFiles int
}

// DefaultTaskID is the default uid and gid of task processes: nobody and
// nogroup.
const DefaultTaskID = 65534

// Defaults of the cap on a container's Docker log ([Options.LogMaxBytes],
// [Options.LogMaxFiles]): at most 3 files of 10 MiB.
const (
	DefaultLogMaxBytes = 10 << 20
	DefaultLogMaxFiles = 3
)

// DefaultLaunchWait is how long Start waits at most for a started
// container's runner to launch the task's first process.
const DefaultLaunchWait = 2 * time.Second

// withDefaults returns the options with defaults filled in, or an error
// listing every problem.
func (o Options) withDefaults() (Options, error) {
	if o.Host == "" {
		o.Host = DefaultHost
	}
	if o.LaunchWait == 0 {
		o.LaunchWait = DefaultLaunchWait
	}
	if o.PortRange == (PortRange{}) {
		o.PortRange = PortRange{DefaultPortMin, DefaultPortMax}
	}
	if o.DefaultImage == "" {
		o.DefaultImage = DefaultImage
	}
	if o.PidsLimit == 0 {
		o.PidsLimit = DefaultPidsLimit
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.TaskUID == 0 && !o.RootTasks {
		o.TaskUID = DefaultTaskID
	}
	if o.TaskGID == 0 && !o.RootTasks {
		o.TaskGID = DefaultTaskID
	}
	if o.LogMaxBytes == 0 {
		o.LogMaxBytes = DefaultLogMaxBytes
	}
	if o.LogMaxFiles == 0 {
		o.LogMaxFiles = DefaultLogMaxFiles
	}
	var problems []string
	if o.TaskUID < 0 || o.TaskGID < 0 {
		problems = append(problems, fmt.Sprintf("task uid:gid %d:%d: want ids >= 0", o.TaskUID, o.TaskGID))
	}
	if o.LogMaxBytes < 0 || o.LogMaxFiles < 0 {
		problems = append(problems, fmt.Sprintf("log cap %d bytes x %d files: want sizes >= 0", o.LogMaxBytes, o.LogMaxFiles))
	}
	if o.PortRange.Min < 1 || o.PortRange.Max > 65535 || o.PortRange.Min > o.PortRange.Max {
		problems = append(problems, fmt.Sprintf("port range %d-%d: want 1 <= min <= max <= 65535", o.PortRange.Min, o.PortRange.Max))
	}
	if o.DataDir == "" {
		problems = append(problems, "data dir is empty")
	} else if abs, err := filepath.Abs(o.DataDir); err != nil {
		problems = append(problems, fmt.Sprintf("data dir: %v", err))
	} else {
		o.DataDir = abs
	}
	if o.RunnerPath == "" {
		problems = append(problems, "runner path is empty")
	} else if abs, err := filepath.Abs(o.RunnerPath); err != nil {
		problems = append(problems, fmt.Sprintf("runner path: %v", err))
	} else if fi, err := os.Stat(abs); err != nil {
		problems = append(problems, fmt.Sprintf("runner path: %v (build it with make build)", err))
	} else if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		problems = append(problems, fmt.Sprintf("runner path %s is not an executable file", abs))
	} else {
		o.RunnerPath = abs
	}
	if o.Endpoint != "" {
		if err := checkEndpoint(o.Endpoint); err != nil {
			problems = append(problems, fmt.Sprintf("docker endpoint %q: %v", o.Endpoint, err))
		}
	}
	if len(problems) > 0 {
		return o, newError("configure", "", ErrInvalid, "%s", strings.Join(problems, "; "))
	}
	return o, nil
}

// checkEndpoint checks a Docker Engine address as DOCKER_HOST takes it.
func checkEndpoint(endpoint string) error {
	u, err := client.ParseHostURL(endpoint)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "unix", "tcp", "npipe", "http", "https":
		return nil
	}
	return fmt.Errorf("scheme %q: want unix, tcp, npipe, http or https", u.Scheme)
}
