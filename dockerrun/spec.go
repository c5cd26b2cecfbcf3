package dockerrun

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
)

// Docker labels put on every container Borealis makes (docs/semantics.md §7).
const (
	// LabelJob holds the job key, cluster/role/env/name.
	LabelJob = "borealis.job"
	// LabelInstance holds the instance id in decimal.
	LabelInstance = "borealis.instance"
	// LabelTask holds the task id; it ties a container to one task run.
	LabelTask = "borealis.task"
	// LabelPorts holds the task's ports as name=port pairs joined by commas,
	// so that an adopted or inspected container reports them by name.
	LabelPorts = "borealis.ports"
	// LabelHost holds the name of the host whose worker made the container
	// ([Options.HostName]); absent when that is not set.
	LabelHost = "borealis.host"
	// LabelDeployment holds the deployment whose worker made the container
	// ([Options.Deployment]); absent when that is not set. A runtime acts
	// only on its deployment's containers and those without the label.
	LabelDeployment = "borealis.deployment"
	// labelPrefix starts every Borealis label; a TaskSpec cannot set one.
	labelPrefix = "borealis."
)

// Fixed paths inside a task's container (docs/semantics.md §7).
const (
	// SandboxMountPath is where the task's sandbox is mounted; it is the
	// working directory of the runner and of every exec.
	SandboxMountPath = "/sandbox"
	// RunnerMountPath is where the runner binary is mounted read-only; it is
	// the container's entrypoint.
	RunnerMountPath = "/.borealis/runner"
)

// Defaults used when a [TaskSpec] or [Options] leaves a field empty.
const (
	DefaultImage     = "borealis/base:latest"
	DefaultHost      = "127.0.0.1"
	DefaultPortMin   = 31000
	DefaultPortMax   = 32000
	DefaultPidsLimit = 1024
)

// TaskSpec describes one task run to start.
type TaskSpec struct {
	// JobKey and Instance identify the instance this task belongs to.
	JobKey   jobkey.Key
	Instance int
	// TaskID is made by the caller, new for every run; the container's
	// name is derived from it ([ContainerName]) and so a retried Start
	// adopts the container instead of making a second one.
	TaskID string
	// Image is the container image; empty means the runtime's default
	// (borealis/base:latest). It must exist locally: nothing is pulled.
	Image string
	// Runner is the spec the in-container runner executes. Its process
	// cmdlines may hold {{thermos.ports[NAME]}}, {{mesos.instance}} and
	// {{thermos.task_id}}; Start fills them ([config.FillLaunchTemplates]). TaskID is
	// set to the task's id.
	Runner runner.TaskSpec
	// PortNames lists the named ports to allocate. Names referenced by
	// {{thermos.ports[NAME]}} in the cmdlines are added automatically.
	PortNames []string
	// CPU is the CPU quota in cores; 0 means unlimited.
	CPU float64
	// RAMBytes is the memory limit (swap included); 0 means unlimited.
	RAMBytes int64
	// DiskBytes is the writable layer's size limit, enforced only where the
	// storage driver can ([Task.DiskEnforced]); 0 means unlimited.
	DiskBytes int64
	// CapAdd lists Linux capabilities to keep; all others are dropped.
	CapAdd []string
	// Env adds environment variables for the runner and its processes.
	Env map[string]string
	// Labels adds container labels; a key starting with "borealis." is
	// ErrInvalid.
	Labels map[string]string
	// Mounts adds bind mounts of host paths (the caller checks them
	// against the operator's allowed host paths). Both paths must be
	// absolute; the container path cannot be /sandbox, / or under
	// /.borealis (ErrInvalid).
	Mounts []Mount
	// WorkDir is the container's working directory, an absolute path;
	// empty: the sandbox. The runner itself and Exec run in the sandbox;
	// processes run where the runner spec's WorkDir says.
	WorkDir string
	// User overrides the task user (Options.TaskUID/TaskGID) as numeric
	// "uid[:gid]" (no gid: Options.TaskGID); the caller has checked it is
	// not root (a uid or gid 0 is ErrInvalid unless Options.RootTasks).
	User string
}

// Mount is a bind mount of a host path into a task's container.
type Mount struct {
	// HostPath is the absolute path on the Docker host; it must exist.
	HostPath string
	// ContainerPath is the absolute path in the container.
	ContainerPath string
	// ReadOnly mounts it read-only.
	ReadOnly bool
}

// Task is the result of a successful Start.
type Task struct {
	TaskID      string
	ContainerID string
	// Name is the container's name.
	Name  string
	Image string
	// Ports maps each port name to its number, the same on the host
	// (at [Task.HostIP]) and in the container.
	Ports  map[string]int
	HostIP string
	// Sandbox is the host directory mounted at /sandbox.
	Sandbox string
	// Adopted is true when the container already existed (a retried Start).
	Adopted bool
	// DiskEnforced tells whether DiskBytes is enforced; when it is not,
	// DiskReason says why.
	DiskEnforced bool
	DiskReason   string
}

// State is a container's state as Docker reports it.
type State string

// Container states.
const (
	StateCreated    State = "created"
	StateRunning    State = "running"
	StatePaused     State = "paused"
	StateRestarting State = "restarting"
	StateRemoving   State = "removing"
	StateExited     State = "exited"
	StateDead       State = "dead"
)

// TaskState is what Inspect and List report about a task's container.
type TaskState struct {
	TaskID      string
	JobKey      jobkey.Key
	Instance    int
	ContainerID string
	Name        string
	Image       string
	State       State
	// Running is true while the container runs (paused and restarting too).
	Running bool
	// ExitCode, OOMKilled and Error describe the last exit.
	ExitCode   int
	OOMKilled  bool
	Error      string
	StartedAt  time.Time
	FinishedAt time.Time
	Ports      map[string]int
}

// ExitStatus is how a task's container ended.
type ExitStatus struct {
	ExitCode  int
	OOMKilled bool
	// Reason is "OOM killed" when the kernel killed the task for memory,
	// else the engine's error for the container if any, else empty.
	Reason     string
	FinishedAt time.Time
}

// ReasonOOMKilled is the [ExitStatus.Reason] of a task killed for memory.
const ReasonOOMKilled = "OOM killed"

// ExitEvent tells that a task's container stopped running.
type ExitEvent struct {
	TaskID      string
	JobKey      jobkey.Key
	Instance    int
	ContainerID string
	ExitCode    int
	OOMKilled   bool
	Time        time.Time
}

// Location is where a task's container runs, for `docker exec` from
// elsewhere.
type Location struct {
	ContainerID   string `json:"container_id"`
	ContainerName string `json:"container_name"`
	Running       bool   `json:"running"`
	// Endpoint is the Docker Engine address the worker uses
	// (unix:///var/run/docker.sock, tcp://host:2376, ...).
	Endpoint string `json:"endpoint"`
}

// RemoveOptions tunes Remove. The zero value keeps the sandbox.
type RemoveOptions struct {
	// Sandbox removes the task's sandbox directory too.
	Sandbox bool
}

// Runtime is what Borealis needs from a container engine. Every method takes
// a task id made by the caller and is idempotent where the doc says so.
// Containers without Borealis labels, or of another deployment, are never
// touched.
type Runtime interface {
	// Start creates and starts the task's container, or adopts the one a
	// previous attempt made.
	Start(ctx context.Context, spec TaskSpec) (*Task, error)
	// Stop sends SIGTERM, then SIGKILL after grace. A stopped or missing
	// task is not an error.
	Stop(ctx context.Context, taskID string, grace time.Duration) error
	// Remove deletes the task's container (killing it if it runs) and,
	// when asked, its sandbox; when not, it first saves the container's
	// log into the sandbox, where ReadLogs finds it afterwards. A missing
	// task is not an error.
	Remove(ctx context.Context, taskID string, opts RemoveOptions) error
	// Inspect reports the task's container; ErrNotFound when there is none.
	Inspect(ctx context.Context, taskID string) (*TaskState, error)
	// List reports every Borealis task container of this deployment, or
	// only the job's when job is not zero.
	List(ctx context.Context, job jobkey.Key) ([]TaskState, error)
	// Wait blocks until the task's container is not running and reports
	// how it ended.
	Wait(ctx context.Context, taskID string) (ExitStatus, error)
	// ReadLogs reads the task's log (stdout and stderr, in order) from
	// `from`: at most max bytes (but always at least one whole entry when
	// there is one), whole entries only; max must be 1 to [MaxLogPage].
	// With wait > 0 and a running container it follows the log: it returns
	// once the page is full, once some data came and no more arrived for a
	// short idle time (~250ms), once the container ends (Ended), or after
	// wait with whatever it has (possibly nothing). With wait == 0 it
	// returns what the log holds now. Once the container is removed it
	// reads the log Remove saved, likewise, ended. ErrNotFound when the
	// task has neither a container nor a saved log.
	ReadLogs(ctx context.Context, taskID string, from LogCursor, max int, wait time.Duration) (LogPage, error)
	// Locate reports where the task's container runs, after checking it is
	// Borealis's container of that task (its labels): ErrNotFound when
	// there is none.
	Locate(ctx context.Context, taskID string) (Location, error)
	// Exec runs cmd in the running container as the task's user, in the
	// sandbox, and returns its exit code and combined output (bounded to
	// [MaxExecOutput] bytes).
	Exec(ctx context.Context, taskID string, cmd []string) (exitCode int, output string, err error)
	// Events streams exits of Borealis task containers as they happen.
	// The event channel closes after an error is sent or ctx ends.
	Events(ctx context.Context) (<-chan ExitEvent, <-chan error)
}

// MaxExecOutput bounds the output Exec returns; the rest is dropped and
// the output ends with a note that it was truncated.
const MaxExecOutput = 64 << 10

// ContainerName is the deterministic container name of a task:
// "borealis-" followed by the task id with every character Docker does not
// allow in names turned into '_'.
func ContainerName(taskID string) string {
	return "borealis-" + sanitize(taskID)
}

// sanitize keeps [A-Za-z0-9_.-] and turns anything else, and a leading
// dot, into '_', so the result is a valid container name part and a safe
// single path element.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '-' || (c == '.' && i > 0)
		if !ok {
			b[i] = '_'
		}
	}
	return string(b)
}

// PortEnvName is the environment variable that carries the port NAME:
// BOREALIS_PORT_ followed by the name upper-cased, with every character
// other than A-Z and 0-9 turned into '_' (docs/semantics.md §2).
func PortEnvName(name string) string {
	var b strings.Builder
	b.WriteString("BOREALIS_PORT_")
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// portNames returns the spec's port names plus those its cmdlines
// reference, without duplicates, in a stable order.
func (s TaskSpec) portNames() []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	for _, n := range s.PortNames {
		add(n)
	}
	for _, p := range s.Runner.Processes {
		for _, n := range config.PortRefs(p.Cmdline) {
			add(n)
		}
	}
	return names
}

// validate reports every problem of the spec at once.
func (s TaskSpec) validate() error {
	var problems []string
	if s.TaskID == "" {
		problems = append(problems, "task id is empty")
	}
	if s.JobKey.Cluster == "" || s.JobKey.Role == "" || s.JobKey.Environment == "" || s.JobKey.Name == "" {
		problems = append(problems, fmt.Sprintf("job key %q is incomplete", s.JobKey))
	}
	if s.Instance < 0 {
		problems = append(problems, fmt.Sprintf("instance %d is negative", s.Instance))
	}
	if s.CPU < 0 {
		problems = append(problems, fmt.Sprintf("cpu %g is negative", s.CPU))
	}
	if s.RAMBytes < 0 {
		problems = append(problems, fmt.Sprintf("ram %d is negative", s.RAMBytes))
	}
	if s.DiskBytes < 0 {
		problems = append(problems, fmt.Sprintf("disk %d is negative", s.DiskBytes))
	}
	problems = append(problems, s.dockerProblems()...)
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("task spec %q: %s: %w", s.TaskID, strings.Join(problems, "; "), ErrInvalid)
}

// fillRunnerSpec returns a copy of the runner spec with the task id set and
// the templates of every cmdline filled.
func (s TaskSpec) fillRunnerSpec(ports map[string]int) runner.TaskSpec {
	rs := s.Runner
	rs.TaskID = s.TaskID
	rs.Processes = append([]runner.ProcessSpec(nil), s.Runner.Processes...)
	for i := range rs.Processes {
		rs.Processes[i].Cmdline = config.FillLaunchTemplates(rs.Processes[i].Cmdline, s.Instance, s.TaskID, ports)
	}
	return rs
}

// env returns the container's environment: the spec's variables, then the
// Borealis ones, sorted by name for a deterministic container config.
func (s TaskSpec) env(ports map[string]int) []string {
	vars := map[string]string{}
	for k, v := range s.Env {
		vars[k] = v
	}
	for name, p := range ports {
		vars[PortEnvName(name)] = strconv.Itoa(p)
	}
	vars["BOREALIS_TASK_ID"] = s.TaskID
	vars["BOREALIS_INSTANCE"] = strconv.Itoa(s.Instance)
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// labels returns the labels of the task's container: the spec's own, then
// Borealis's; host and deployment are left out when empty.
func (s TaskSpec) labels(ports map[string]int, host, deployment string) map[string]string {
	labels := make(map[string]string, len(s.Labels)+6)
	for k, v := range s.Labels {
		labels[k] = v
	}
	labels[LabelJob] = s.JobKey.String()
	labels[LabelInstance] = strconv.Itoa(s.Instance)
	labels[LabelTask] = s.TaskID
	labels[LabelPorts] = formatPorts(ports)
	if host != "" {
		labels[LabelHost] = host
	}
	if deployment != "" {
		labels[LabelDeployment] = deployment
	}
	return labels
}

// formatPorts renders ports as "a=1,b=2", sorted by name.
func formatPorts(ports map[string]int) string {
	parts := make([]string, 0, len(ports))
	for n, p := range ports {
		parts = append(parts, n+"="+strconv.Itoa(p))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// parsePorts reads the value of [LabelPorts].
func parsePorts(s string) map[string]int {
	ports := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		n, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		if p, err := strconv.Atoi(v); err == nil {
			ports[n] = p
		}
	}
	return ports
}

// stateFromLabels fills the identity fields of a TaskState from labels.
func stateFromLabels(labels map[string]string) TaskState {
	st := TaskState{TaskID: labels[LabelTask], Ports: parsePorts(labels[LabelPorts])}
	st.JobKey, _ = jobkey.Parse(labels[LabelJob])
	st.Instance, _ = strconv.Atoi(labels[LabelInstance])
	return st
}

// isOurs reports whether labels mark the container of task taskID.
func isOurs(labels map[string]string, taskID string) bool {
	_, hasJob := labels[LabelJob]
	return hasJob && labels[LabelTask] == taskID
}

// ofDeployment reports whether a Borealis container's labels make it
// deployment's: always when deployment is empty, else when its
// [LabelDeployment] is deployment or is missing (a container made before
// the label existed counts as every deployment's).
func ofDeployment(labels map[string]string, deployment string) bool {
	dep := labels[LabelDeployment]
	return deployment == "" || dep == "" || dep == deployment
}
