package dockerrun

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// SweepContainers removes this deployment's Borealis containers that are
// not running and ended before cutoff (one that was created but never
// started counts from its creation), each after saving its log into its
// sandbox as Remove does, and returns their task ids. A Borealis container
// stays after its task ends, for Inspect and its log; this is what finally
// removes it when nobody else did (a killed job's last task, say). Another
// deployment's containers and foreign ones are never touched. A failure to
// remove one container does not stop the others; every failure is
// returned.
func (d *Docker) SweepContainers(ctx context.Context, cutoff time.Time) ([]string, error) {
	args := filters.NewArgs(filters.Arg("label", LabelJob), filters.Arg("label", LabelTask))
	for _, s := range []State{StateCreated, StateExited, StateDead} {
		args.Add("status", string(s))
	}
	list, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return nil, wrap("sweep", "", err, "list containers")
	}
	var removed []string
	var errs []error
	for _, s := range list {
		taskID := s.Labels[LabelTask]
		if !d.sweepable(s.Labels) {
			continue
		}
		c, err := d.cli.ContainerInspect(ctx, s.ID)
		if errors.Is(classify(err), ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("inspect container %.12s: %w", s.ID, err))
			continue
		}
		if c.State == nil || c.State.Running || !endedAt(c).Before(cutoff) || !d.sweepable(c.Config.Labels) {
			continue
		}
		if err := d.removeContainer(ctx, "sweep", taskID, c, true); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, taskID)
	}
	if len(errs) > 0 {
		return removed, &Error{Op: "sweep", Msg: "remove ended containers", Err: errors.Join(errs...)}
	}
	return removed, nil
}

// sweepable reports whether SweepContainers may remove a container with
// these labels.
func (d *Docker) sweepable(labels map[string]string) bool {
	if labels[LabelTask] == "" || !ofDeployment(labels, d.opts.Deployment) {
		return false
	}
	return !d.testSweepLabeledOnly || labels[LabelDeployment] != ""
}

// endedAt is when a container that does not run ended: its finish time,
// or its creation time when it never ran.
func endedAt(c container.InspectResponse) time.Time {
	if t := parseTime(c.State.FinishedAt); !t.IsZero() {
		return t
	}
	return parseTime(c.Created)
}

// SweepSandboxesEvery runs [Docker.SweepContainers] and then
// [Docker.SweepSandboxes] now and then every interval until ctx ends, both
// with a cutoff retention ago, and logs what they removed and what failed.
// A task's ended container thus goes once it has been over for retention,
// and its sandbox (where its log was saved) once nothing wrote to it for
// another retention.
func (d *Docker) SweepSandboxesEvery(ctx context.Context, retention, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		cutoff := time.Now().Add(-retention)
		containers, err := d.SweepContainers(ctx, cutoff)
		if len(containers) > 0 {
			d.log.Info("removed ended task containers", "count", len(containers), "retention", retention)
		}
		if err != nil && ctx.Err() == nil {
			d.log.Warn("sweep containers", "error", err)
		}
		removed, err := d.SweepSandboxes(ctx, cutoff)
		if len(removed) > 0 {
			d.log.Info("removed idle sandboxes of tasks without a container", "count", len(removed), "retention", retention)
		}
		if err != nil && ctx.Err() == nil {
			d.log.Warn("sweep sandboxes", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
