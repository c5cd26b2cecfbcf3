package workflows_test

import (
	"context"
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/taskapi"
)

// fakeAdmission is the AdmitJob activity of the tests' workers: it admits
// every config with maxInstances (10,000 unless set), refuses those refuse
// has a message for, and records what it was asked.
type fakeAdmission struct {
	mu           sync.Mutex
	refuse       func(taskapi.AdmitJobInput) string
	maxInstances int
	warnings     []string
	asked        []taskapi.AdmitJobInput
	// gate, when set, holds every call until it is closed.
	gate chan struct{}
}

// set changes the fake's policy: refuse says why a config is refused ("":
// admitted), max is jobs.max_instances (0: 10,000), warnings what an
// admitted config draws.
func (f *fakeAdmission) set(refuse func(taskapi.AdmitJobInput) string, max int, warnings ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse, f.maxInstances, f.warnings = refuse, max, warnings
}

// calls returns what the fake was asked so far.
func (f *fakeAdmission) calls() []taskapi.AdmitJobInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]taskapi.AdmitJobInput(nil), f.asked...)
}

// hold makes the calls wait until the returned function is called.
func (f *fakeAdmission) hold() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	gate := make(chan struct{})
	f.gate = gate
	return func() { close(gate) }
}

func (f *fakeAdmission) admitJob(ctx context.Context, in taskapi.AdmitJobInput) (taskapi.AdmitJobResult, error) {
	f.mu.Lock()
	gate := f.gate
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return taskapi.AdmitJobResult{}, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, in)
	if f.refuse != nil {
		if msg := f.refuse(in); msg != "" {
			return taskapi.AdmitJobResult{}, temporal.NewNonRetryableApplicationError(msg, taskapi.ErrTypeRefused, nil)
		}
	}
	max := f.maxInstances
	if max == 0 {
		max = 10_000
	}
	return taskapi.AdmitJobResult{Warnings: f.warnings, MaxInstances: max}, nil
}
