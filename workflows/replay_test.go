package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/borealis-dev/borealis/workflows"
)

// historiesDir holds histories recorded from real runs. Replaying them
// proves a change to workflow code does not break workflows already running.
// Refresh them with BOREALIS_RECORD_HISTORIES=1 go test ./workflows/ when a
// change is meant to be incompatible (and version it: docs/operations.md).
const historiesDir = "testdata/histories"

// recording is one recorded run. The workflow id matters: workflows use it
// (as the reply address of their requests), so a replay must run under it.
// HistoryLimit is the history length past which the run continued as new,
// when a test lowered it (0: the default): replay needs the same.
type recording struct {
	WorkflowID   string          `json:"workflow_id"`
	RunID        string          `json:"run_id"`
	HistoryLimit int             `json:"history_limit,omitempty"`
	History      json.RawMessage `json:"history"`
}

func replayHistory(t *testing.T, workflowID, runID string, h *historypb.History, limit int) error {
	t.Helper()
	if limit > 0 {
		defer workflows.SetHistoryLimit(limit)()
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(workflows.JobWorkflow, workflow.RegisterOptions{Name: workflows.JobWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.InstanceWorkflow, workflow.RegisterOptions{Name: workflows.InstanceWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.UpdateWorkflow, workflow.RegisterOptions{Name: workflows.UpdateWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.CronRunWorkflow, workflow.RegisterOptions{Name: workflows.CronRunWorkflowName})
	return r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: workflowID, RunID: runID},
	})
}

// TestReplayRecordedHistories replays every committed history.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in %s", historiesDir)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			var rec recording
			require.NoError(t, json.Unmarshal(data, &rec))
			h, err := client.HistoryFromJSON(bytes.NewReader(rec.History), client.HistoryJSONOptions{})
			require.NoError(t, err)
			require.NoError(t, replayHistory(t, rec.WorkflowID, rec.RunID, h, rec.HistoryLimit))
		})
	}
}

// replay fetches the latest run of a workflow, replays it against the
// current code, and records it under name when BOREALIS_RECORD_HISTORIES is set.
func (e *env) replay(workflowID, name string) {
	e.t.Helper()
	desc, err := e.c.DescribeWorkflow(context.Background(), workflowID, "")
	require.NoError(e.t, err)
	e.replayRun(workflowID, desc.WorkflowExecution.RunID, name, 0)
}

// replayRun is replay of one run of a workflow, which continued as new past
// limit events (0: the default).
func (e *env) replayRun(workflowID, runID, name string, limit int) {
	e.t.Helper()
	it := e.c.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(e.t, err)
		h.Events = append(h.Events, ev)
	}
	require.NoError(e.t, replayHistory(e.t, workflowID, runID, h, limit), "replay %s", workflowID)
	if os.Getenv("BOREALIS_RECORD_HISTORIES") == "" {
		return
	}
	hist, err := protojson.Marshal(h)
	require.NoError(e.t, err)
	data, err := json.MarshalIndent(recording{WorkflowID: workflowID, RunID: runID, HistoryLimit: limit, History: hist}, "", " ")
	require.NoError(e.t, err)
	require.NoError(e.t, os.MkdirAll(historiesDir, 0o755))
	require.NoError(e.t, os.WriteFile(filepath.Join(historiesDir, name+".json"), data, 0o644))
}
