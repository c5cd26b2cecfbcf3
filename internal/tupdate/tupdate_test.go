package tupdate

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// scripted answers each UpdateWorkflow with the next of its errors (nil:
// the update completes), and records the options it was sent.
type scripted struct {
	errs []error
	sent []client.UpdateWorkflowOptions
}

type handle struct {
	client.WorkflowUpdateHandle
	err error
}

func (h handle) Get(context.Context, any) error { return h.err }

func (s *scripted) UpdateWorkflow(_ context.Context, opts client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	s.sent = append(s.sent, opts)
	err := s.errs[0]
	s.errs = s.errs[1:]
	return handle{err: err}, nil
}

func TestMain(m *testing.M) {
	firstBackoff, maxBackoff = time.Millisecond, 4*time.Millisecond
	os.Exit(m.Run())
}

var taskFailed = serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to unexpected workflow task failure.")

func TestSendRetriesTaskFailuresUnderOneID(t *testing.T) {
	s := &scripted{errs: []error{taskFailed, taskFailed, nil}}
	require.NoError(t, Send(context.Background(), s, client.UpdateWorkflowOptions{WorkflowID: "w", UpdateName: "abort"}, nil))
	require.Len(t, s.sent, 3)
	assert.NotEmpty(t, s.sent[0].UpdateID, "an update id is made")
	for _, o := range s.sent {
		assert.Equal(t, s.sent[0].UpdateID, o.UpdateID, "every retry is the same update")
		assert.Equal(t, client.WorkflowUpdateStageCompleted, o.WaitForStage)
	}
}

func TestSendKeepsTheCallersID(t *testing.T) {
	s := &scripted{errs: []error{taskFailed, nil}}
	require.NoError(t, Send(context.Background(), s, client.UpdateWorkflowOptions{UpdateID: "start-update/u"}, nil))
	assert.Equal(t, "start-update/u", s.sent[1].UpdateID)
}

func TestSendReturnsOtherErrorsAtOnce(t *testing.T) {
	refused := errors.New("update refused")
	s := &scripted{errs: []error{refused}}
	assert.ErrorIs(t, Send(context.Background(), s, client.UpdateWorkflowOptions{}, nil), refused)
	assert.Len(t, s.sent, 1)
}

func TestSendGivesUpAfterRetries(t *testing.T) {
	errs := make([]error, Retries+1)
	for i := range errs {
		errs[i] = taskFailed
	}
	s := &scripted{errs: errs}
	err := Send(context.Background(), s, client.UpdateWorkflowOptions{WorkflowID: "w", UpdateName: "abort"}, nil)
	assert.True(t, Retryable(err), "the last refusal is kept: %v", err)
	assert.ErrorContains(t, err, "update abort of workflow w: 9 workflow task failures in a row")
	assert.Len(t, s.sent, Retries+1)
}

func TestSendStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := &scripted{errs: []error{taskFailed, nil}}
	assert.True(t, Retryable(Send(ctx, s, client.UpdateWorkflowOptions{}, nil)))
	assert.Len(t, s.sent, 1)
}
