package dockerrun

import (
	"context"
	"maps"
	"slices"
	"time"
)

// WithDeployment returns a Fake on the same in-memory engine acting as a
// Docker runtime with Options.Deployment deployment and HostName host: its
// containers carry [LabelDeployment] and [LabelHost] (when not empty), and
// it lists, adopts, stops, removes and watches only its deployment's
// containers and those without the label, as [Docker] does. The Fake
// NewFake returns has neither.
func (f *Fake) WithDeployment(deployment, host string) *Fake {
	return &Fake{fakeEngine: f.fakeEngine, deployment: deployment, host: host}
}

// ContainerLabels returns the labels of the task's container.
func (f *Fake) ContainerLabels(taskID string) (map[string]string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.owned("labels", taskID)
	if err != nil {
		return nil, false
	}
	return maps.Clone(c.labels), true
}

// removeLocked kills c if it runs, keeps its log when saveLog, as Docker's
// Remove saves it into the sandbox, and removes it.
func (f *Fake) removeLocked(c *fakeContainer, saveLog bool) {
	if c.state.Running {
		f.exitLocked(c, 137, false)
	}
	if saveLog {
		f.saved[f.savedKey(c.spec.TaskID)] = slices.Clone(c.logs)
	}
	for _, p := range c.task.Ports {
		delete(f.used, p)
	}
	delete(f.byName, c.name)
}

// savedKey is where f keeps the saved log of a task: each deployment has
// its own sandboxes.
func (f *Fake) savedKey(taskID string) string { return f.deployment + "\x00" + taskID }

// SweepContainers removes, as [Docker.SweepContainers] does, the tasks of
// this Fake's deployment that are not running and ended before cutoff,
// keeping their logs for ReadLogs, and returns their task ids.
func (f *Fake) SweepContainers(ctx context.Context, cutoff time.Time) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("sweep", ""); err != nil {
		return nil, err
	}
	var removed []string
	for _, c := range f.byName {
		if c.foreign || c.state.Running || !ofDeployment(c.labels, f.deployment) || !c.state.FinishedAt.Before(cutoff) ||
			(f.testSweepLabeledOnly && c.labels[LabelDeployment] == "") {
			continue
		}
		f.removeLocked(c, true)
		removed = append(removed, c.spec.TaskID)
	}
	slices.Sort(removed)
	return removed, nil
}
