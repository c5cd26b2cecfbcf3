package dockerrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"

	"github.com/borealis-dev/borealis/runner"
)

// Docker is the [Runtime] backed by a Docker Engine. It is safe for
// concurrent use.
type Docker struct {
	cli   *client.Client
	opts  Options
	log   *slog.Logger
	ports *portAllocator

	// worker is who this process runs as: it decides how sandboxes are
	// owned (tests set it to act as a worker that is not root).
	worker workerIdentity

	mu         sync.Mutex
	diskOK     bool   // whether StorageOpt size works
	diskReason string // why not, when it does not

	// testHookBeforeStart, when set, runs between creating a container and
	// starting it (tests use it to take a port meanwhile).
	testHookBeforeStart func(ports map[string]int)
	// testSweepLabeledOnly makes SweepContainers leave alone the containers
	// without a deployment label, which tests of other packages on the same
	// engine make.
	testSweepLabeledOnly bool
}

var _ Runtime = (*Docker)(nil)

// New connects to the Docker Engine at Options.Endpoint, or the one the
// environment names (DOCKER_HOST and friends, else the local socket),
// negotiates the API version, pings the daemon and probes its storage
// driver.
func New(ctx context.Context, opts Options) (*Docker, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(opts.DataDir, "sandboxes"), 0o750); err != nil {
		return nil, newError("configure", "", ErrInvalid, "data dir: %v", err)
	}
	copts := []client.Opt{client.FromEnv}
	if opts.Endpoint != "" {
		copts = append(copts, client.WithHost(opts.Endpoint))
	}
	cli, err := client.NewClientWithOpts(append(copts, client.WithAPIVersionNegotiation())...)
	if err != nil {
		return nil, wrap("connect", "", err, "docker client")
	}
	if _, err := cli.Ping(ctx); err != nil {
		_ = cli.Close()
		return nil, &Error{Op: "connect", Kind: ErrUnavailable, Msg: "ping docker daemon", Err: err}
	}
	info, err := cli.Info(ctx)
	if err != nil {
		_ = cli.Close()
		return nil, wrap("connect", "", err, "docker info")
	}
	d := &Docker{
		cli:    cli,
		opts:   opts,
		log:    opts.Logger.With("component", "dockerrun"),
		ports:  newPortAllocator(opts.Host, opts.PortRange),
		worker: currentWorker(),
	}
	d.diskOK, d.diskReason = diskQuotaSupport(info)
	d.log.Debug("connected to docker", "version", info.ServerVersion, "api", cli.ClientVersion(),
		"storage_driver", info.Driver, "disk_quota", d.diskOK, "deployment", opts.Deployment,
		"task_user", fmt.Sprintf("%d:%d", opts.TaskUID, opts.TaskGID), "worker_root", d.worker.root)
	return d, nil
}

// Close releases the client's resources.
func (d *Docker) Close() error { return d.cli.Close() }

// Options returns the effective options, defaults filled in.
func (d *Docker) Options() Options { return d.opts }

// diskQuotaSupport tells from the daemon's info whether a per-container
// size limit (StorageOpt size) can work, and why not when it cannot.
// overlay2 supports it only on xfs mounted with pquota, which info does not
// show; a failing create turns it off later (see [Docker.disableDisk]).
func diskQuotaSupport(info system.Info) (bool, string) {
	backing := ""
	for _, kv := range info.DriverStatus {
		if kv[0] == "Backing Filesystem" {
			backing = kv[1]
		}
	}
	switch info.Driver {
	case "overlay2":
		if backing == "xfs" {
			return true, ""
		}
		return false, fmt.Sprintf("storage driver overlay2 on %s: a disk limit needs xfs mounted with pquota", orUnknown(backing))
	case "btrfs", "zfs", "devicemapper", "windowsfilter":
		return true, ""
	}
	return false, fmt.Sprintf("storage driver %s does not support a per-container disk limit", orUnknown(info.Driver))
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// disk reports whether the disk limit is enforced and why not.
func (d *Docker) disk() (bool, string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.diskOK, d.diskReason
}

// disableDisk records that the daemon refused a size limit.
func (d *Docker) disableDisk(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.diskOK {
		d.log.Warn("disk limits are not enforced: the storage driver refused a size limit", "error", err)
	}
	d.diskOK = false
	d.diskReason = "storage driver refused a size limit: " + err.Error()
}

// Sandbox returns the host directory of the task's sandbox.
func (d *Docker) Sandbox(taskID string) string {
	return filepath.Join(d.opts.DataDir, "sandboxes", sanitize(taskID))
}

// errNameTaken and errPortTaken tell Start to go round again.
var (
	errNameTaken = errors.New("container name taken meanwhile")
	errPortTaken = errors.New("host port taken meanwhile")
)

// maxStartAttempts bounds Start's rounds (adopt, create, port retries).
const maxStartAttempts = 8

// Start creates and starts the task's container. If a container of that
// name exists and carries this task's labels, it is adopted (started if it
// was only created) and returned with Adopted set; if it exists without
// them, Start fails with ErrConflict and leaves it alone. A missing image is
// ErrInvalid. A host port taken between picking and binding makes Start
// remove its container and try again with other ports. A task id names one
// run: Start never restarts an adopted container that has already exited
// (Inspect tells the caller so); a new run needs a new task id.
//
// Start returns once the container's runner has launched the task's first
// process (as Thermos reports a task running once its processes are
// forked), the runner has finished, or Options.LaunchWait has passed:
// what runs next (the first health check, docs/semantics.md §3) then meets the task's
// processes, not an empty container.
func (d *Docker) Start(ctx context.Context, spec TaskSpec) (*Task, error) {
	t, err := d.start(ctx, spec)
	if err == nil {
		d.awaitLaunch(ctx, t)
	}
	return t, err
}

// awaitLaunch waits until the runner of t has launched a process or
// finished, reading its state file, for at most Options.LaunchWait; it
// gives up early when the container is not running.
func (d *Docker) awaitLaunch(ctx context.Context, t *Task) {
	if d.opts.LaunchWait < 0 || t.Sandbox == "" {
		return
	}
	deadline := time.Now().Add(d.opts.LaunchWait)
	for i := 1; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		if st, err := runner.ReadState(t.Sandbox); err == nil && launched(st) {
			return
		}
		if i%20 == 0 {
			if st, err := d.Inspect(ctx, t.TaskID); err != nil || !st.Running {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	d.log.Debug("start: runner launched no process in time", "task", t.TaskID, "waited", d.opts.LaunchWait)
}

// launched reports whether a runner state shows a process started or the
// task over.
func launched(st runner.State) bool {
	if st.State != runner.TaskActive {
		return true
	}
	for _, p := range st.Processes {
		if p.Runs > 0 {
			return true
		}
	}
	return false
}

// start is Start without waiting for the launch.
func (d *Docker) start(ctx context.Context, spec TaskSpec) (*Task, error) {
	if err := spec.validate(); err != nil {
		return nil, &Error{Op: "start", TaskID: spec.TaskID, Err: err}
	}
	if spec.Image == "" {
		spec.Image = d.opts.DefaultImage
	}
	access, err := d.worker.access(spec, d.opts)
	if err != nil {
		return nil, &Error{Op: "start", TaskID: spec.TaskID, Err: err}
	}
	name := ContainerName(spec.TaskID)
	var lastErr error
	for attempt := 0; attempt < maxStartAttempts; attempt++ {
		t, err := d.adopt(ctx, spec, name)
		if err != nil || t != nil {
			return t, err
		}
		t, err = d.create(ctx, spec, name, access)
		switch {
		case errors.Is(err, errNameTaken), errors.Is(err, errPortTaken):
			d.log.Debug("start: retrying", "task", spec.TaskID, "reason", err)
			lastErr = err
			continue
		case err != nil:
			return nil, err
		}
		return t, nil
	}
	return nil, wrap("start", spec.TaskID, lastErr, "gave up after %d attempts", maxStartAttempts)
}

// adopt returns the task's existing container, started, or nil when there
// is none (or when it was ours but had to be removed to retry ports).
func (d *Docker) adopt(ctx context.Context, spec TaskSpec, name string) (*Task, error) {
	c, err := d.inspectOwned(ctx, "start", spec.TaskID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if State(c.State.Status) == StateCreated {
		if err := d.cli.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
			if isPortTaken(err) {
				return nil, d.removeForRetry(ctx, spec.TaskID, c.ID, err)
			}
			return nil, wrap("start", spec.TaskID, err, "start adopted container %s", name)
		}
		if c, err = d.cli.ContainerInspect(ctx, c.ID); err != nil {
			return nil, wrap("start", spec.TaskID, err, "inspect adopted container %s", name)
		}
	}
	st := toState(c)
	enforced, reason := d.disk()
	if spec.DiskBytes > 0 && enforced {
		_, enforced = c.HostConfig.StorageOpt["size"]
		if !enforced {
			reason = "container was created without a size limit"
		}
	}
	d.log.Info("adopted task container", "task", spec.TaskID, "container", c.ID, "state", st.State)
	return &Task{
		TaskID:       spec.TaskID,
		ContainerID:  c.ID,
		Name:         st.Name,
		Image:        st.Image,
		Ports:        st.Ports,
		HostIP:       d.opts.Host,
		Sandbox:      d.Sandbox(spec.TaskID),
		Adopted:      true,
		DiskEnforced: enforced && spec.DiskBytes > 0,
		DiskReason:   diskReason(spec.DiskBytes, enforced, reason),
	}, nil
}

func diskReason(bytes int64, enforced bool, reason string) string {
	if bytes == 0 {
		return "no disk limit requested"
	}
	if enforced {
		return ""
	}
	return reason
}

// create makes and starts a new container for the task.
func (d *Docker) create(ctx context.Context, spec TaskSpec, name string, access taskAccess) (*Task, error) {
	if _, err := d.cli.ImageInspect(ctx, spec.Image); err != nil {
		if errors.Is(classify(err), ErrNotFound) {
			return nil, &Error{Op: "start", TaskID: spec.TaskID, Kind: ErrInvalid,
				Msg: fmt.Sprintf("image %q not found locally: build it with make images or docker build", spec.Image)}
		}
		return nil, wrap("start", spec.TaskID, err, "inspect image %q", spec.Image)
	}
	names := spec.portNames()
	exclude, err := d.portsInUse(ctx)
	if err != nil {
		return nil, err
	}
	ports, err := d.ports.allocate(names, exclude)
	if err != nil {
		return nil, &Error{Op: "start", TaskID: spec.TaskID, Kind: ErrUnavailable, Msg: "allocate ports", Err: err}
	}
	sandbox := d.Sandbox(spec.TaskID)
	if err := prepareSandbox(sandbox, spec.fillRunnerSpec(ports), access.sandbox); err != nil {
		return nil, &Error{Op: "start", TaskID: spec.TaskID, Msg: "prepare sandbox", Err: err}
	}
	cfg, hostCfg := d.containerConfig(spec, ports, sandbox, access)
	enforced, reason := d.disk()
	if spec.DiskBytes > 0 && enforced {
		hostCfg.StorageOpt = map[string]string{"size": fmt.Sprintf("%d", spec.DiskBytes)}
	}
	resp, err := d.cli.ContainerCreate(ctx, cfg, hostCfg, nil, nil, name)
	if err != nil && hostCfg.StorageOpt != nil && isStorageOptRefused(err) {
		d.disableDisk(err)
		enforced, reason = d.disk()
		hostCfg.StorageOpt = nil
		resp, err = d.cli.ContainerCreate(ctx, cfg, hostCfg, nil, nil, name)
	}
	if err == nil {
		// The container's label holds the ports from now on.
		d.ports.release(ports)
	}
	if err != nil {
		if errors.Is(classify(err), ErrConflict) {
			return nil, errNameTaken
		}
		return nil, wrap("start", spec.TaskID, err, "create container %s", name)
	}
	if d.testHookBeforeStart != nil {
		d.testHookBeforeStart(ports)
	}
	if err := d.cli.ContainerStart(ctx, resp.ID, container.StartOptions{}); err != nil {
		if isPortTaken(err) {
			return nil, d.removeForRetry(ctx, spec.TaskID, resp.ID, err)
		}
		// Leave nothing half made: a retry recreates it from scratch.
		rmErr := d.cli.ContainerRemove(context.WithoutCancel(ctx), resp.ID, container.RemoveOptions{Force: true})
		return nil, wrap("start", spec.TaskID, errors.Join(err, rmErr), "start container %s", name)
	}
	d.log.Info("started task container", "task", spec.TaskID, "container", resp.ID, "ports", formatPorts(ports))
	return &Task{
		TaskID:       spec.TaskID,
		ContainerID:  resp.ID,
		Name:         name,
		Image:        spec.Image,
		Ports:        ports,
		HostIP:       d.opts.Host,
		Sandbox:      sandbox,
		DiskEnforced: enforced && spec.DiskBytes > 0,
		DiskReason:   diskReason(spec.DiskBytes, enforced, reason),
	}, nil
}

// removeForRetry removes a container of ours that could not bind its ports
// and returns errPortTaken so Start tries again with other ports.
func (d *Docker) removeForRetry(ctx context.Context, taskID, id string, cause error) error {
	d.log.Info("host port taken meanwhile; recreating with other ports", "task", taskID, "error", cause)
	if err := d.cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true}); err != nil && classify(err) != ErrNotFound {
		return wrap("start", taskID, err, "remove container after port conflict")
	}
	return errPortTaken
}

// isPortTaken tells whether a start error is a host port bind failure.
func isPortTaken(err error) bool {
	s := err.Error()
	return strings.Contains(s, "port is already allocated") || strings.Contains(s, "address already in use")
}

// isStorageOptRefused tells whether a create error is the storage driver
// refusing a size limit.
func isStorageOptRefused(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "storage-opt") || strings.Contains(s, "storage opt") ||
		strings.Contains(s, "pquota") || strings.Contains(s, "size option")
}

// inspectOwned inspects the task's container and checks that it is the
// task's: ErrNotFound when there is none, ErrConflict when a container of
// that name lacks this task's labels (a foreign container) or belongs to
// another deployment.
func (d *Docker) inspectOwned(ctx context.Context, op, taskID string) (container.InspectResponse, error) {
	name := ContainerName(taskID)
	c, err := d.cli.ContainerInspect(ctx, name)
	if err != nil {
		return c, wrap(op, taskID, err, "inspect container %s", name)
	}
	c.Name = strings.TrimPrefix(c.Name, "/")
	if !isOurs(c.Config.Labels, taskID) {
		return c, newError(op, taskID, ErrConflict,
			"container %s (%.12s) exists but is not this task's (labels %s=%q, %s=%q): leaving it alone",
			name, c.ID, LabelJob, c.Config.Labels[LabelJob], LabelTask, c.Config.Labels[LabelTask])
	}
	if !ofDeployment(c.Config.Labels, d.opts.Deployment) {
		return c, newError(op, taskID, ErrConflict,
			"container %s (%.12s) is not this task's: it belongs to deployment %q, not %q: leaving it alone",
			name, c.ID, c.Config.Labels[LabelDeployment], d.opts.Deployment)
	}
	return c, nil
}

// toState converts an inspected container.
func toState(c container.InspectResponse) TaskState {
	st := stateFromLabels(c.Config.Labels)
	st.ContainerID = c.ID
	st.Name = strings.TrimPrefix(c.Name, "/")
	st.Image = c.Config.Image
	if c.State != nil {
		st.State = State(c.State.Status)
		st.Running = c.State.Running
		st.ExitCode = c.State.ExitCode
		st.OOMKilled = c.State.OOMKilled
		st.Error = c.State.Error
		st.StartedAt = parseTime(c.State.StartedAt)
		st.FinishedAt = parseTime(c.State.FinishedAt)
	}
	return st
}

// parseTime parses Docker's timestamps; the zero value stays zero.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
