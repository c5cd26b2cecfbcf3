package main

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"

	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// uptimeBeforeKill is how long a container runs before it is killed: past
// Borealis's flapping threshold here (1 s) and past the 10 s after which
// Docker's restart manager resets its back-off, so both figures are the
// plain restart path.
const uptimeBeforeKill = 11 * time.Second

// figureRestart kills a service's container from outside (SIGKILL to its
// main process, as a crash or the OOM killer would) and times the way back
// to a running task, against the same container under Docker's own
// --restart=always. `docker kill` cannot be used for the peer: Docker never
// restarts a container that `docker kill` stopped.
func (b *bench) figureRestart() error {
	if err := b.ensureDockerWorker(); err != nil {
		return err
	}
	key := b.jobKey("restart")
	j, err := loadJob(key, `    service: true
    container: {docker: {image: 'borealis/demo:latest'}}
    task:
      processes:
        - name: demo
          cmdline: '/usr/local/bin/borealis-demo -port {{thermos.ports[http]}}'
      resources: {cpu: 1.0, ram: 64MB, disk: 16MB}
`)
	if err != nil {
		return err
	}
	policy := taskapi.DefaultRestartPolicy()
	policy.FlappingThreshold = time.Second
	if _, err := b.createJob(b.dockerQueue, j, policy); err != nil {
		return err
	}
	if _, err := b.waitAllRunning(key, 1, 2*time.Minute); err != nil {
		return err
	}

	name := fmt.Sprintf("bench-%s-restart", b.session)
	b.onCleanup("container "+name, func(ctx context.Context) error {
		return b.dc.ContainerRemove(ctx, name, container.RemoveOptions{Force: true})
	})
	c, err := b.dc.ContainerCreate(b.ctx, &container.Config{
		Image:  "borealis/demo:latest",
		Cmd:    []string{"-port", "8080"},
		Labels: map[string]string{benchLabel: b.session},
	}, &container.HostConfig{
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyAlways},
		Resources:     container.Resources{NanoCPUs: 1e9, Memory: 64 << 20},
	}, nil, nil, name)
	if err != nil {
		return err
	}
	if err := b.dc.ContainerStart(b.ctx, c.ID, container.StartOptions{}); err != nil {
		return err
	}

	total := b.opt.runs * b.opt.kills
	var toRunning, toStart, docker []time.Duration
	for k := range total {
		running, started, err := b.killBorealis(key)
		if err != nil {
			return fmt.Errorf("borealis kill %d: %w", k+1, err)
		}
		d, err := b.killDocker(c.ID)
		if err != nil {
			return fmt.Errorf("docker kill %d: %w", k+1, err)
		}
		toRunning, toStart, docker = append(toRunning, running), append(toStart, started), append(docker, d)
		b.logf("kill %d/%d: borealis exit→RUNNING %s (exit→container start %s), docker --restart=always exit→start %s",
			k+1, total, running.Round(time.Millisecond), started.Round(time.Millisecond), d.Round(time.Millisecond))
	}
	// The median of each run's median, each run being -kills kills.
	bm, sm := medianOfRuns(toRunning, b.opt.kills), medianOfRuns(docker, b.opt.kills)
	b.addRow("Restart after exit (s)", secs(bm), "--restart=always "+secs(sm), ratio(bm, sm), "≤ 1.5×", bm.Seconds() <= 1.5*sm.Seconds())
	b.note("Restart: one demo container (no health checks) killed %d times per run (%d kills in all; -kills) with SIGKILL to its main process after %s of uptime; Borealis's flapping threshold set to 1 s for this figure (RestartPolicy.FlappingThreshold), so no kill is a flap and no THROTTLED wait is included, and Docker's back-off has reset. Borealis: from the container's `die` event to the new task RUNNING (the instance workflow's recorded time); Docker: from `die` to the restarted container's `start` event. Borealis from `die` to its new container's `start`: %s (median). Kills: Borealis %s; Docker %s.",
		b.opt.kills, total, uptimeBeforeKill, secs(medianOfRuns(toStart, b.opt.kills)), durs(toRunning), durs(docker))
	return nil
}

// uptime waits until the container has run for uptimeBeforeKill and returns its main pid.
func (b *bench) waitUptime(id string) (int, error) {
	for {
		ins, err := b.dc.ContainerInspect(b.ctx, id)
		if err != nil {
			return 0, err
		}
		if ins.State == nil || !ins.State.Running || ins.State.Pid == 0 {
			return 0, fmt.Errorf("container %s is not running", id)
		}
		started, err := time.Parse(time.RFC3339Nano, ins.State.StartedAt)
		if err != nil {
			return 0, err
		}
		left := uptimeBeforeKill - time.Since(started)
		if left <= 0 {
			return ins.State.Pid, nil
		}
		select {
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		case <-time.After(left):
		}
	}
}

// killAndWatch kills the container's main process and returns the time of
// its die event and of the next start event of a container matched by the
// event filters (the same container, or with newContainer another one).
func (b *bench) killAndWatch(id string, pid int, newContainer bool, filter ...string) (died, started time.Time, err error) {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Minute)
	defer cancel()
	msgs, errs := b.containerEvents(ctx, filter...)
	time.Sleep(100 * time.Millisecond) // the event stream is open
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return died, started, fmt.Errorf("kill %d: %w", pid, err)
	}
	for {
		var m events.Message
		select {
		case m = <-msgs:
		case err := <-errs:
			return died, started, fmt.Errorf("docker events: %w", err)
		case <-ctx.Done():
			if b.ctx.Err() != nil {
				return died, started, b.ctx.Err()
			}
			return died, started, fmt.Errorf("no restart of %s seen within 2 minutes", id)
		}
		switch {
		case m.Action == events.ActionDie && m.Actor.ID == id:
			died = eventTime(m)
		case m.Action == events.ActionStart && !died.IsZero() && eventTime(m).After(died) && (m.Actor.ID == id) != newContainer:
			return died, eventTime(m), nil
		}
	}
}

// killBorealis kills the active task's container of instance 0 of key and
// returns the times from its exit to the new task RUNNING and to the new
// container's start.
func (b *bench) killBorealis(key string) (toRunning, toStart time.Duration, err error) {
	st, err := b.instanceStatus(b.ctx, key, 0)
	if err != nil {
		return 0, 0, err
	}
	if st.Active == nil || st.Active.Status != workflows.StatusRunning {
		return 0, 0, fmt.Errorf("instance 0 of %s has no RUNNING task", key)
	}
	old := st.Active.TaskID
	pid, err := b.waitUptime(st.Active.ContainerID)
	if err != nil {
		return 0, 0, err
	}
	died, started, err := b.killAndWatch(st.Active.ContainerID, pid, true, "label", "borealis.job="+key)
	if err != nil {
		return 0, 0, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		st, err := b.instanceStatus(b.ctx, key, 0)
		if err == nil && st.Active != nil && st.Active.TaskID != old {
			if t := runningSince(st); !t.IsZero() {
				return t.Sub(died), started.Sub(died), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, 0, fmt.Errorf("no new RUNNING task of %s within 2 minutes", key)
}

// killDocker kills the --restart=always container and returns the time
// from its exit to its start again.
func (b *bench) killDocker(id string) (time.Duration, error) {
	pid, err := b.waitUptime(id)
	if err != nil {
		return 0, err
	}
	died, started, err := b.killAndWatch(id, pid, false, "container", id)
	if err != nil {
		return 0, err
	}
	return started.Sub(died), nil
}
