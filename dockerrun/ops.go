package dockerrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/borealis-dev/borealis/jobkey"
)

// Stop sends SIGTERM to the task's container and SIGKILL after grace (the
// task's finalization_wait), rounded up to whole seconds as Docker counts
// them. It returns when the container has stopped. A task that is not
// running or has no container is not an error; a foreign container of that
// name is ErrConflict and is not touched.
func (d *Docker) Stop(ctx context.Context, taskID string, grace time.Duration) error {
	c, err := d.inspectOwned(ctx, "stop", taskID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !c.State.Running {
		return nil
	}
	secs := int(math.Ceil(max(grace, 0).Seconds()))
	err = d.cli.ContainerStop(ctx, c.ID, container.StopOptions{Signal: "SIGTERM", Timeout: &secs})
	if err != nil && !errors.Is(classify(err), ErrNotFound) {
		return wrap("stop", taskID, err, "stop container %s", c.Name)
	}
	d.log.Info("stopped task container", "task", taskID, "container", c.ID, "grace", grace)
	return nil
}

// Remove deletes the task's container, killing it first if it still runs
// (call Stop before for a graceful end), and with opts.Sandbox its sandbox
// directory. Without opts.Sandbox it first saves the container's Docker log
// into the sandbox ([ContainerLogFile]), where ReadLogs finds it once the
// container is gone. A task without a container is not an error; a foreign
// container of that name, or another deployment's, is ErrConflict and is
// not touched.
func (d *Docker) Remove(ctx context.Context, taskID string, opts RemoveOptions) error {
	c, err := d.inspectOwned(ctx, "remove", taskID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		if err := d.removeContainer(ctx, "remove", taskID, c, !opts.Sandbox); err != nil {
			return err
		}
	}
	if opts.Sandbox {
		if err := os.RemoveAll(d.Sandbox(taskID)); err != nil {
			return &Error{Op: "remove", TaskID: taskID, Msg: "remove sandbox", Err: err}
		}
	}
	return nil
}

// removeContainer removes the task's container c; with saveLog it kills c
// if it runs and saves its log into the sandbox first.
func (d *Docker) removeContainer(ctx context.Context, op, taskID string, c container.InspectResponse, saveLog bool) error {
	if saveLog {
		if c.State != nil && c.State.Running {
			if err := d.kill(ctx, c.ID); err != nil {
				return wrap(op, taskID, err, "kill container %s before saving its log", c.Name)
			}
		}
		if err := d.saveLog(ctx, taskID, c); err != nil {
			return wrap(op, taskID, err, "save the log of container %s", c.Name)
		}
	}
	err := d.cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !errors.Is(classify(err), ErrNotFound) {
		return wrap(op, taskID, err, "remove container %s", c.Name)
	}
	d.log.Info("removed task container", "task", taskID, "container", c.ID, "log_saved", saveLog)
	return nil
}

// kill sends SIGKILL to a running container and waits until it is not
// running; a container that stopped meanwhile is not an error.
func (d *Docker) kill(ctx context.Context, id string) error {
	err := d.cli.ContainerKill(ctx, id, "SIGKILL")
	if err != nil && !errors.Is(classify(err), ErrConflict) && !errors.Is(classify(err), ErrNotFound) {
		return err
	}
	respCh, errCh := d.cli.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case <-respCh:
		return nil
	case err := <-errCh:
		if errors.Is(classify(err), ErrNotFound) {
			return nil
		}
		return err
	}
}

// Inspect reports the task's container: ErrNotFound when there is none,
// ErrConflict when the name belongs to a foreign container or to another
// deployment's.
func (d *Docker) Inspect(ctx context.Context, taskID string) (*TaskState, error) {
	c, err := d.inspectOwned(ctx, "inspect", taskID)
	if err != nil {
		return nil, err
	}
	st := toState(c)
	return &st, nil
}

// List reports the containers that carry Borealis labels, all of them or
// only job's when job is not zero, ordered as Docker lists them (newest
// first). With Options.Deployment set, another deployment's containers are
// left out.
func (d *Docker) List(ctx context.Context, job jobkey.Key) ([]TaskState, error) {
	args := filters.NewArgs(filters.Arg("label", LabelJob), filters.Arg("label", LabelTask))
	if job != (jobkey.Key{}) {
		args.Add("label", LabelJob+"="+job.String())
	}
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return nil, wrap("list", "", err, "list containers")
	}
	out := make([]TaskState, 0, len(list))
	for _, s := range list {
		c, err := d.cli.ContainerInspect(ctx, s.ID)
		if errors.Is(classify(err), ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, wrap("list", s.Labels[LabelTask], err, "inspect container %.12s", s.ID)
		}
		if c.Config.Labels[LabelTask] == "" || !ofDeployment(c.Config.Labels, d.opts.Deployment) {
			continue
		}
		out = append(out, toState(c))
	}
	return out, nil
}

// Wait blocks until the task's container is not running (one that was only
// created is waited for until it has run and exited) and reports how it
// ended.
func (d *Docker) Wait(ctx context.Context, taskID string) (ExitStatus, error) {
	c, err := d.inspectOwned(ctx, "wait", taskID)
	if err != nil {
		return ExitStatus{}, err
	}
	cond := container.WaitConditionNotRunning
	if State(c.State.Status) == StateCreated {
		cond = container.WaitConditionNextExit
	}
	respCh, errCh := d.cli.ContainerWait(ctx, c.ID, cond)
	var code int
	select {
	case resp := <-respCh:
		code = int(resp.StatusCode)
	case err := <-errCh:
		return ExitStatus{}, wrap("wait", taskID, err, "wait for container %s", c.Name)
	}
	st := ExitStatus{ExitCode: code}
	if c, err = d.cli.ContainerInspect(ctx, c.ID); err == nil {
		st.ExitCode = c.State.ExitCode
		st.OOMKilled = c.State.OOMKilled
		st.FinishedAt = parseTime(c.State.FinishedAt)
		st.Reason = c.State.Error
	} else if !errors.Is(classify(err), ErrNotFound) {
		return st, wrap("wait", taskID, err, "inspect exited container")
	}
	if st.OOMKilled {
		st.Reason = ReasonOOMKilled
	}
	return st, nil
}

// Locate reports where the task's container runs, after checking it is
// Borealis's container of that task: ErrNotFound when there is none,
// ErrConflict when the name belongs to a foreign container. Endpoint is the
// address this runtime's client talks to.
func (d *Docker) Locate(ctx context.Context, taskID string) (Location, error) {
	c, err := d.inspectOwned(ctx, "locate", taskID)
	if err != nil {
		return Location{}, err
	}
	return Location{
		ContainerID:   c.ID,
		ContainerName: c.Name,
		Running:       c.State != nil && c.State.Running,
		Endpoint:      d.cli.DaemonHost(),
	}, nil
}

// Exec runs cmd in the task's running container, as the task's user (the
// container's, with its supplementary groups) and in the sandbox, and
// returns its exit code and its stdout and stderr combined (at most
// [MaxExecOutput] bytes). A container that is not running is
// ErrConflict. When ctx ends first Exec returns ctx's error; Docker cannot
// kill an exec'd process, so it may go on running in the container.
func (d *Docker) Exec(ctx context.Context, taskID string, cmd []string) (int, string, error) {
	if len(cmd) == 0 {
		return -1, "", newError("exec", taskID, ErrInvalid, "empty command")
	}
	c, err := d.inspectOwned(ctx, "exec", taskID)
	if err != nil {
		return -1, "", err
	}
	if !c.State.Running {
		return -1, "", newError("exec", taskID, ErrConflict, "container %s is %s, not running", c.Name, c.State.Status)
	}
	created, err := d.cli.ContainerExecCreate(ctx, c.ID, container.ExecOptions{
		User:         c.Config.User,
		WorkingDir:   SandboxMountPath,
		Cmd:          cmd,
		AttachStdout: true,
		AttachStderr: true,
	})
	if err != nil {
		return -1, "", wrap("exec", taskID, err, "create exec in %s", c.Name)
	}
	hijack, err := d.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{})
	if err != nil {
		return -1, "", wrap("exec", taskID, err, "attach exec in %s", c.Name)
	}
	stop := context.AfterFunc(ctx, hijack.Close)
	out := &boundedBuffer{max: MaxExecOutput}
	_, copyErr := stdcopy.StdCopy(out, out, hijack.Reader)
	stop()
	hijack.Close()
	if ctx.Err() != nil {
		return -1, out.String(), wrap("exec", taskID, ctx.Err(), "exec %q", cmd)
	}
	if copyErr != nil {
		return -1, out.String(), wrap("exec", taskID, copyErr, "read exec output")
	}
	// The stream ends a moment before the engine records the exit code.
	for {
		ins, err := d.cli.ContainerExecInspect(ctx, created.ID)
		if err != nil {
			return -1, out.String(), wrap("exec", taskID, err, "inspect exec")
		}
		if !ins.Running {
			return ins.ExitCode, out.String(), nil
		}
		select {
		case <-ctx.Done():
			return -1, out.String(), wrap("exec", taskID, ctx.Err(), "exec %q", cmd)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// boundedBuffer keeps the first max bytes written to it and counts the rest.
type boundedBuffer struct {
	buf     bytes.Buffer
	max     int
	dropped int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - b.buf.Len(); room < len(p) {
		b.dropped += len(p) - max(room, 0)
		p = p[:max(room, 0)]
	}
	b.buf.Write(p)
	return n, nil
}

func (b *boundedBuffer) String() string {
	if b.dropped == 0 {
		return b.buf.String()
	}
	return fmt.Sprintf("%s\n[output truncated: %d bytes dropped]", b.buf.String(), b.dropped)
}

// Events streams the exits ("die" events) of Borealis task containers (not
// another deployment's) from the engine's event stream, from now on.
// OOMKilled is filled from an inspect of the container when it still exists. The event channel closes
// after an error is sent (ErrUnavailable when the stream broke; ctx's error
// when ctx ended); subscribe again and reconcile with List to catch exits
// missed in between.
func (d *Docker) Events(ctx context.Context) (<-chan ExitEvent, <-chan error) {
	out := make(chan ExitEvent)
	errc := make(chan error, 1)
	args := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("event", string(events.ActionDie)),
		filters.Arg("label", LabelJob),
		filters.Arg("label", LabelTask),
	)
	msgs, errs := d.cli.Events(ctx, events.ListOptions{Filters: args})
	go func() {
		defer close(out)
		for {
			select {
			case m := <-msgs:
				if !ofDeployment(m.Actor.Attributes, d.opts.Deployment) {
					continue
				}
				ev := d.exitEvent(ctx, m)
				if ev.TaskID == "" {
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					errc <- ctx.Err()
					return
				}
			case err := <-errs:
				if ctx.Err() != nil {
					errc <- ctx.Err()
				} else {
					errc <- &Error{Op: "events", Kind: ErrUnavailable, Msg: "event stream broke", Err: err}
				}
				return
			}
		}
	}()
	return out, errc
}

// exitEvent converts a die event.
func (d *Docker) exitEvent(ctx context.Context, m events.Message) ExitEvent {
	attrs := m.Actor.Attributes
	st := stateFromLabels(attrs)
	ev := ExitEvent{
		TaskID:      st.TaskID,
		JobKey:      st.JobKey,
		Instance:    st.Instance,
		ContainerID: m.Actor.ID,
		Time:        time.Unix(0, m.TimeNano),
	}
	ev.ExitCode, _ = strconv.Atoi(attrs["exitCode"])
	if c, err := d.cli.ContainerInspect(ctx, m.Actor.ID); err == nil && c.State != nil {
		ev.OOMKilled = c.State.OOMKilled
	}
	return ev
}
