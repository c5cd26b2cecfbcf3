package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
)

// benchLabel marks the containers and services the bench makes itself
// (Borealis's containers have Borealis's labels, with the session's role).
const benchLabel = "borealis.bench"

// dockerCLI runs the docker client and returns its output.
func dockerCLI(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// removeContainers force-removes every container with label (k=v) and
// checks none is left.
func (b *bench) removeContainers(ctx context.Context, label string) error {
	list := func() ([]container.Summary, error) {
		return b.dc.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", label))})
	}
	cs, err := list()
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var errs []error
	parallel(len(cs), 8, func(i int) {
		err := b.dc.ContainerRemove(ctx, cs[i].ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !strings.Contains(err.Error(), "No such container") && !strings.Contains(err.Error(), "already in progress") {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	})
	for range 50 {
		left, err := list()
		if err == nil && len(left) == 0 {
			return errors.Join(errs...)
		}
		time.Sleep(200 * time.Millisecond)
	}
	left, _ := list()
	return errors.Join(append(errs, fmt.Errorf("%d containers with label %s left", len(left), label))...)
}

// ensureSwarm makes this engine a swarm manager, initialising a swarm when
// it is in none; the swarm is left at the end only if the bench made it.
func (b *bench) ensureSwarm() error {
	info, err := b.dc.Info(b.ctx)
	if err != nil {
		return err
	}
	switch info.Swarm.LocalNodeState {
	case swarm.LocalNodeStateActive:
		if !info.Swarm.ControlAvailable {
			return errors.New("this Docker Engine is a swarm worker, not a manager: cannot create services")
		}
		return nil
	case swarm.LocalNodeStateInactive:
	default:
		return fmt.Errorf("swarm state %q: want active or inactive", info.Swarm.LocalNodeState)
	}
	b.logf("docker swarm init (left again at the end)")
	if _, err := dockerCLI(b.ctx, "swarm", "init", "--advertise-addr", "127.0.0.1"); err != nil {
		return err
	}
	b.swarmInited = true
	b.onFinal("swarm", func(ctx context.Context) error {
		_, err := dockerCLI(ctx, "swarm", "leave", "--force")
		return err
	})
	return nil
}

// swarmService creates a replicated service (detached) with the bench's
// label and registers its removal.
func (b *bench) swarmService(name string, replicas int, flags []string, image string, args ...string) (remove func(), err error) {
	remove = b.onCleanup("service "+name, func(ctx context.Context) error { return b.removeService(ctx, name) })
	cmd := []string{"service", "create", "--detach=true", "--name", name, "--label", benchLabel + "=" + b.session,
		"--container-label", benchLabel + "=" + b.session, "--replicas", itoa(replicas), "--no-resolve-image"}
	cmd = append(cmd, flags...)
	cmd = append(append(cmd, image), args...)
	_, err = dockerCLI(b.ctx, cmd...)
	return remove, err
}

func (b *bench) removeService(ctx context.Context, name string) error {
	if _, err := dockerCLI(ctx, "service", "rm", name); err != nil && !strings.Contains(err.Error(), "not found") {
		return err
	}
	// The service's containers go away asynchronously.
	label := "com.docker.swarm.service.name=" + name
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		cs, err := b.dc.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", label))})
		if err == nil && len(cs) == 0 {
			return nil
		}
		time.Sleep(300 * time.Millisecond)
	}
	return b.removeContainers(ctx, label)
}

// swarmRunning waits until n tasks of the service run, and returns the
// latest time one of them entered RUNNING (as Swarm recorded it).
func (b *bench) swarmRunning(name string, n int, timeout time.Duration) (time.Time, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	for {
		tasks, err := b.dc.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(
			filters.Arg("service", name), filters.Arg("desired-state", "running"))})
		running := 0
		var last time.Time
		if err == nil {
			for _, t := range tasks {
				if t.Status.State == swarm.TaskStateRunning {
					running++
					if t.Status.Timestamp.After(last) {
						last = t.Status.Timestamp
					}
				}
			}
			if running == n && len(tasks) == n {
				return last, nil
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("service %s: %d of %d tasks running after %s (%v)", name, running, n, timeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// swarmUpdate runs `docker service update` with args and waits for the
// update to complete; it returns when it started (before the command) and
// when Swarm recorded it completed.
func (b *bench) swarmUpdate(name string, timeout time.Duration, args ...string) (start, end time.Time, err error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	start = time.Now()
	cmd := append([]string{"service", "update", "--detach=true"}, args...)
	if _, err := dockerCLI(ctx, append(cmd, name)...); err != nil {
		return start, end, err
	}
	for {
		svc, _, err := b.dc.ServiceInspectWithRaw(ctx, name, swarm.ServiceInspectOptions{})
		if err == nil && svc.UpdateStatus != nil && svc.UpdateStatus.StartedAt != nil &&
			!svc.UpdateStatus.StartedAt.Before(start.Add(-2*time.Second)) {
			switch svc.UpdateStatus.State {
			case swarm.UpdateStateCompleted:
				end = time.Now()
				if svc.UpdateStatus.CompletedAt != nil {
					end = *svc.UpdateStatus.CompletedAt
				}
				return start, end, nil
			case swarm.UpdateStatePaused, swarm.UpdateStateRollbackStarted, swarm.UpdateStateRollbackCompleted, swarm.UpdateStateRollbackPaused:
				return start, end, fmt.Errorf("service %s update %s: %s", name, svc.UpdateStatus.State, svc.UpdateStatus.Message)
			}
		}
		select {
		case <-ctx.Done():
			return start, end, fmt.Errorf("service %s: update not completed after %s", name, timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// containerEvents streams container die and start events matching the
// filters (k=v pairs of Docker's event filters).
func (b *bench) containerEvents(ctx context.Context, kv ...string) (<-chan events.Message, <-chan error) {
	f := filters.NewArgs(filters.Arg("type", "container"), filters.Arg("event", "die"), filters.Arg("event", "start"))
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return b.dc.Events(ctx, events.ListOptions{Filters: f})
}

func eventTime(m events.Message) time.Time { return time.Unix(0, m.TimeNano) }

// measureContainer times, reps times, creating and starting one container
// of the demo image (with the limits of the bench's tasks) and stopping it
// (SIGTERM; the demo exits at once), through the Docker API.
func (b *bench) measureContainer(reps int) (start, stop []time.Duration, err error) {
	label := benchLabel + "=" + b.session
	done := b.onCleanup("lower-bound containers", func(ctx context.Context) error { return b.removeContainers(ctx, label) })
	defer done()
	for i := range reps {
		name := fmt.Sprintf("bench-%s-probe-%d", b.session, i)
		t0 := time.Now()
		c, err := b.dc.ContainerCreate(b.ctx, &container.Config{
			Image:  "borealis/demo:latest",
			Cmd:    []string{"-port", "8080", "-health-port", "8081"},
			Labels: map[string]string{benchLabel: b.session},
		}, &container.HostConfig{Resources: container.Resources{NanoCPUs: 1e9, Memory: 64 << 20}}, nil, nil, name)
		if err != nil {
			return nil, nil, err
		}
		if err := b.dc.ContainerStart(b.ctx, c.ID, container.StartOptions{}); err != nil {
			return nil, nil, err
		}
		start = append(start, time.Since(t0))
		time.Sleep(time.Second)
		t1 := time.Now()
		if err := b.dc.ContainerStop(b.ctx, c.ID, container.StopOptions{}); err != nil {
			return nil, nil, err
		}
		stop = append(stop, time.Since(t1))
		if err := b.dc.ContainerRemove(b.ctx, c.ID, container.RemoveOptions{Force: true}); err != nil {
			return nil, nil, err
		}
	}
	return start, stop, nil
}
