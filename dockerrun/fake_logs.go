package dockerrun

import (
	"bytes"
	"context"
	"time"
)

// fakeTimestamp is the layout of a log entry's timestamp, Docker's fixed
// width RFC3339Nano: in UTC, the strings sort as the times do.
const fakeTimestamp = "2006-01-02T15:04:05.000000000Z07:00"

// FakeEndpoint is the [Location.Endpoint] the Fake reports.
const FakeEndpoint = "fake://dockerrun"

// WriteLogs appends s to the task's container output, as its processes
// would print it: one log entry a line (a last line without a newline is
// an entry too), every line of one call stamped with the same timestamp,
// later than the previous call's.
func (f *Fake) WriteLogs(taskID, s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.owned("logs", taskID)
	if err != nil {
		return err
	}
	ts := f.now().UTC()
	if !ts.After(f.lastLog) {
		ts = f.lastLog.Add(time.Nanosecond)
	}
	f.lastLog = ts
	stamp := ts.Format(fakeTimestamp)
	for _, line := range bytes.SplitAfter([]byte(s), []byte("\n")) {
		if len(line) > 0 {
			c.logs = append(c.logs, logEntry{ts: stamp, text: line})
		}
	}
	close(c.logsChanged)
	c.logsChanged = make(chan struct{})
	return nil
}

// ReadLogs implements [Runtime.ReadLogs] over the entries WriteLogs made.
func (f *Fake) ReadLogs(ctx context.Context, taskID string, from LogCursor, limit int, wait time.Duration) (LogPage, error) {
	if err := checkLogArgs(taskID, from, limit, wait); err != nil {
		return LogPage{}, err
	}
	f.mu.Lock()
	if err := f.injected("logs", taskID); err != nil {
		f.mu.Unlock()
		return LogPage{}, err
	}
	c, err := f.owned("logs", taskID)
	if IsNotFound(err) {
		saved, ok := f.saved[f.savedKey(taskID)]
		f.mu.Unlock()
		if !ok {
			return LogPage{}, err
		}
		since := fakeSince(from.Since)
		return endedPage(ctx, from, limit, func(emit func(logEntry) bool) error {
			for _, e := range saved {
				if e.ts >= since && !emit(e) {
					return nil
				}
			}
			return nil
		})
	}
	if err != nil {
		f.mu.Unlock()
		return LogPage{}, err
	}
	runningBefore := c.state.Running
	f.mu.Unlock()

	followFor := time.Duration(0)
	if wait > 0 && runningBefore {
		followFor = wait
	}
	since := fakeSince(from.Since)
	stopped := make(chan struct{})
	src := newEntrySource(func(emit func(logEntry) bool) error {
		f.produceLogs(c, since, followFor > 0, stopped, emit)
		return nil
	}, func() { close(stopped) })
	col := newPageCollector(from, limit)
	streamEnded, err := collect(ctx, src, col, followFor)
	if err != nil {
		return LogPage{}, wrap("logs", taskID, err, "read logs of %s", c.name)
	}
	if streamEnded {
		f.mu.Lock()
		runningAfter := c.state.Running
		f.mu.Unlock()
		col.page.Ended = logEnded(true, followFor > 0, runningBefore, runningAfter)
	}
	return col.page, nil
}

// fakeSince turns a cursor's timestamp into the Fake's layout, so that
// entries compare to it as strings.
func fakeSince(since string) string {
	if since == "" {
		return ""
	}
	t, _ := time.Parse(time.RFC3339Nano, since) // checked by checkLogArgs
	return t.UTC().Format(fakeTimestamp)
}

// produceLogs emits c's entries stamped since or later, as Docker's since
// option does; following, it goes on with new entries until the task stops
// running or stopped closes.
func (f *Fake) produceLogs(c *fakeContainer, since string, follow bool, stopped <-chan struct{}, emit func(logEntry) bool) {
	next := 0
	for {
		f.mu.Lock()
		batch := c.logs[next:len(c.logs):len(c.logs)]
		next = len(c.logs)
		running, changed := c.state.Running, c.logsChanged
		f.mu.Unlock()
		for _, e := range batch {
			if e.ts >= since && !emit(e) {
				return
			}
		}
		if !follow || !running {
			return
		}
		select {
		case <-changed:
		case <-c.done:
		case <-stopped:
			return
		}
	}
}

// Locate implements [Runtime.Locate]; the endpoint is [FakeEndpoint].
func (f *Fake) Locate(ctx context.Context, taskID string) (Location, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("locate", taskID); err != nil {
		return Location{}, err
	}
	c, err := f.owned("locate", taskID)
	if err != nil {
		return Location{}, err
	}
	return Location{ContainerID: c.id, ContainerName: c.name, Running: c.state.Running, Endpoint: FakeEndpoint}, nil
}
