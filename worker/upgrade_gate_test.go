package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/borealis-dev/borealis/internal/version"
)

func ident(v string, workflows int, host string) string {
	return fmt.Sprintf("borealis-worker/%s/workflows-%d@%s:42", v, workflows, host)
}

func TestOlderWorkers(t *testing.T) {
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	const window = 75 * time.Second
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	old1 := ident("e572208", 1, "a")
	old1b := ident("e572208", 1, "b")
	old0 := ident("0123abc", 0, "c")
	pollers := []queuePoller{
		{Identity: old1b, LastAccess: ago(10 * time.Second)},
		{Identity: old1, LastAccess: ago(70 * time.Second)},   // an idle live worker
		{Identity: old1, LastAccess: ago(time.Second)},        // the same worker's activity poller
		{Identity: old0, LastAccess: ago(76 * time.Second)},   // stopped: out of the window
		{Identity: ident("037a85d", 2, "d"), LastAccess: now}, // the same number: a rolling restart
		{Identity: ident("9999999", 3, "e"), LastAccess: now}, // newer: not ours to stop
		{Identity: "4711@host", LastAccess: now},              // a worker built before identities
		{Identity: "temporal-cli", LastAccess: now},           // another tool
		{Identity: ident("e572208", 1, "f")},                  // no access time
	}
	got := olderWorkers(pollers, now, 2, window)
	assert.Equal(t, []olderWorker{
		{Identity: old1, Version: "e572208", Workflows: 1},
		{Identity: old1b, Version: "e572208", Workflows: 1},
	}, got)

	assert.Empty(t, olderWorkers(pollers, now, 1, window), "workflows 1: nothing is older but the stopped one")
	assert.Equal(t, []olderWorker{{Identity: old0, Version: "0123abc", Workflows: 0}},
		olderWorkers(pollers, now.Add(-time.Second), 1, window), "a second earlier, workflows 0 was still in the window")
	assert.Empty(t, olderWorkers(nil, now, 2, window))
	assert.Empty(t, olderWorkers(pollers, now.Add(2*time.Minute), 2, window), "all gone after the window")
}

// fakeQueue answers DescribeTaskQueue from a list of answers, one per
// check (a check asks for both kinds), repeating the last.
type fakeQueue struct {
	mu      sync.Mutex
	answers [][]*taskqueuepb.PollerInfo
	err     error
	kinds   []enumspb.TaskQueueType
	checks  int
}

func (f *fakeQueue) DescribeTaskQueue(_ context.Context, queue string, kind enumspb.TaskQueueType) (*workflowservice.DescribeTaskQueueResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kinds = append(f.kinds, kind)
	if f.err != nil {
		return nil, f.err
	}
	i := min(f.checks, len(f.answers)-1)
	if kind == enumspb.TASK_QUEUE_TYPE_ACTIVITY {
		f.checks++
	}
	return &workflowservice.DescribeTaskQueueResponse{Pollers: f.answers[i]}, nil
}

func poller(id string, at time.Time) *taskqueuepb.PollerInfo {
	return &taskqueuepb.PollerInfo{Identity: id, LastAccessTime: timestamppb.New(at)}
}

func TestWaitForOlderWorkers(t *testing.T) {
	older := ident("e572208", version.Workflows-1, "a")
	same := ident("abcdef0", version.Workflows, "b")
	now := time.Now()
	f := &fakeQueue{answers: [][]*taskqueuepb.PollerInfo{
		{poller(older, now), poller(same, now)},
		{poller(older, now)},
		{poller(same, now)},
	}}
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	require.True(t, waitForOlderWorkers(context.Background(), f, "q", logger, time.Millisecond))
	assert.Equal(t, 3, f.checks)
	assert.Equal(t, []enumspb.TaskQueueType{
		enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY,
		enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY,
		enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY,
	}, f.kinds)
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	require.Len(t, lines, 2, "one line while waiting (the older worker did not change), one when it is gone:\n%s", log.String())
	assert.Contains(t, lines[0], "waiting for older workers to stop")
	assert.Contains(t, lines[0], older)
	assert.NotContains(t, lines[0], same)
	assert.Contains(t, lines[1], "older workers are gone; starting to poll")

	// No older worker: no line at all.
	log.Reset()
	f = &fakeQueue{answers: [][]*taskqueuepb.PollerInfo{{poller(same, now)}}}
	require.True(t, waitForOlderWorkers(context.Background(), f, "q", logger, time.Millisecond))
	assert.Empty(t, log.String())

	// Temporal cannot say: a warning, and the worker starts.
	f = &fakeQueue{err: errors.New("unavailable")}
	require.True(t, waitForOlderWorkers(context.Background(), f, "q", logger, time.Millisecond))
	assert.Contains(t, log.String(), "cannot list the workers polling the task queue")

	// SIGTERM while waiting: false, promptly.
	f = &fakeQueue{answers: [][]*taskqueuepb.PollerInfo{{poller(older, now.Add(time.Hour))}}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- waitForOlderWorkers(ctx, f, "q", logger, time.Hour) }()
	require.Eventually(t, func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.checks == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case ok := <-done:
		assert.False(t, ok)
	case <-time.After(5 * time.Second):
		t.Fatal("waitForOlderWorkers did not return after cancel")
	}
}
