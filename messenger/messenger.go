// Package messenger runs the SendMessages local activity: it signals
// workflows on behalf of Borealis's workflows, with the worker's Temporal
// client (see workflows.Message and docs/decisions.md).
package messenger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/borealis-dev/borealis/workflows"
)

// Messenger sends workflows' signals for them, as the SendMessages local
// activity (registered as workflows.SendMessagesName). A batch of signals
// sent this way costs the sender one history event (the local activity's
// marker) and no workflow task, where a
// SignalExternalWorkflow costs two events and a workflow task per signal;
// that is what lets an update ask a batch of 100 instances at once.
//
// Delivery is at least once (a retried activity sends again): every signal
// carries a key its receiver made unique, and receivers drop keys they have
// seen.
type Messenger struct {
	Client client.Client
	// Parallel bounds the signals in flight at once (default 16).
	Parallel int
}

// SendMessages signals each message's workflow (its current run). It
// reports, message by message, whether the workflow was there to receive
// it: false when it has ended or never existed. Any other error fails the
// activity, to be retried.
func (m *Messenger) SendMessages(ctx context.Context, msgs []workflows.Message) ([]bool, error) {
	parallel := m.Parallel
	if parallel <= 0 {
		parallel = 16
	}
	delivered := make([]bool, len(msgs))
	errs := make([]error, len(msgs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, msg := range msgs {
		name, arg, err := msg.Signal()
		if err != nil {
			return nil, err
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := m.Client.SignalWorkflow(ctx, msg.WorkflowID, "", name, arg)
			var notFound *serviceerror.NotFound
			switch {
			case err == nil:
				delivered[i] = true
			case errors.As(err, &notFound):
			default:
				errs[i] = fmt.Errorf("signal %s to %s: %w", name, msg.WorkflowID, err)
			}
		}()
	}
	wg.Wait()
	return delivered, errors.Join(errs...)
}
