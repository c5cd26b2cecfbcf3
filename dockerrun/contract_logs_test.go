package dockerrun

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/poll"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// emitLoop is a task that prints the file emit of its sandbox whenever one
// appears and removes it (harness.emit writes it).
const emitLoop = `while true; do if [ -f emit ]; then cat emit; rm -f emit; fi; sleep 0.05; done`

// testLogContract is how every Runtime reads a task's log in pages.
func testLogContract(t *testing.T, h harness) {
	t.Run("LogsPaging", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		task := startEmitter(t, h)
		var want strings.Builder
		for i := range 300 {
			fmt.Fprintf(&want, "line-%03d %s\n", i, strings.Repeat("x", i%40))
		}
		h.emit(t, task, want.String())
		waitForLogs(t, h.rt, task.TaskID, "line-299")
		require.NoError(t, h.rt.Stop(ctx, task.TaskID, 5*time.Second))

		whole, err := h.rt.ReadLogs(ctx, task.TaskID, LogCursor{}, MaxLogPage, 0)
		require.NoError(t, err)
		assert.True(t, whole.Ended, "one page holds the stopped task's whole log")
		assert.False(t, whole.Full)

		const limit = 100
		var got []byte
		var pages int
		page := LogPage{}
		for !page.Ended {
			require.Less(t, pages, 1000, "paging does not end")
			page, err = h.rt.ReadLogs(ctx, task.TaskID, page.Next, limit, 0)
			require.NoError(t, err)
			pages++
			assert.True(t, len(page.Data) <= limit || bytes.Count(page.Data, []byte("\n")) == 1,
				"a page over its bound holds one entry: %q", page.Data)
			assert.True(t, page.Full || page.Ended, "a page of a stopped task's log is full until the end")
			got = append(got, page.Data...)
		}
		assert.Greater(t, pages, 50)
		assert.Equal(t, string(whole.Data), string(got), "pages put together are the whole log")
		assert.Equal(t, want.String(), linesWithPrefix(string(got), "line-"), "every line once, in order")
		assert.Equal(t, whole.Next, page.Next)

		again, err := h.rt.ReadLogs(ctx, task.TaskID, page.Next, limit, time.Second)
		require.NoError(t, err)
		assert.Empty(t, again.Data)
		assert.True(t, again.Ended)
		assert.Equal(t, page.Next, again.Next, "an empty read keeps the cursor")
	})

	t.Run("LogsCursorAddressesEntries", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		task := startEmitter(t, h)
		h.emit(t, task, "a\nb\nc\n")
		h.emit(t, task, "d\n")
		waitForLogs(t, h.rt, task.TaskID, "d\n")
		require.NoError(t, h.rt.Stop(ctx, task.TaskID, 5*time.Second))

		// With max 1 every page is one entry; the cursor before an entry,
		// {its timestamp, entries of that timestamp before it}, reads it again.
		var pages []LogPage
		for p := (LogPage{}); !p.Ended; {
			require.Less(t, len(pages), 200)
			var err error
			p, err = h.rt.ReadLogs(ctx, task.TaskID, p.Next, 1, 0)
			require.NoError(t, err)
			if len(p.Data) > 0 {
				assert.Equal(t, 1, bytes.Count(p.Data, []byte("\n")), "one entry a page: %q", p.Data)
				pages = append(pages, p)
			}
		}
		var all strings.Builder
		for i, p := range pages {
			all.Write(p.Data)
			require.GreaterOrEqual(t, p.Next.Skip, 1)
			before := LogCursor{Since: p.Next.Since, Skip: p.Next.Skip - 1}
			again, err := h.rt.ReadLogs(ctx, task.TaskID, before, 1, 0)
			require.NoError(t, err)
			assert.Equal(t, string(p.Data), string(again.Data), "entry %d read again from %+v", i, before)
			assert.Equal(t, p.Next, again.Next)
		}
		assert.Equal(t, "a\nb\nc\nd\n", linesWithPrefix(all.String(), ""))
	})

	t.Run("LogsFollow", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		task := startEmitter(t, h)
		h.emit(t, task, "first\n")
		waitForLogs(t, h.rt, task.TaskID, "first\n")
		_, cur := readLogs(t, h.rt, task.TaskID, LogCursor{})

		type result struct {
			page LogPage
			err  error
			took time.Duration
		}
		done := make(chan result, 1)
		go func() {
			began := time.Now()
			p, err := h.rt.ReadLogs(ctx, task.TaskID, cur, MaxLogPage, 30*time.Second)
			done <- result{p, err, time.Since(began)}
		}()
		time.Sleep(300 * time.Millisecond)
		h.emit(t, task, "late-1\nlate-2\n")
		r := <-done
		require.NoError(t, r.err)
		assert.Equal(t, "late-1\nlate-2\n", string(r.page.Data), "the output written while following")
		assert.Less(t, r.took, 10*time.Second, "a pause in the output ends the page")
		assert.False(t, r.page.Ended)
		assert.False(t, r.page.Full)

		began := time.Now()
		quiet, err := h.rt.ReadLogs(ctx, task.TaskID, r.page.Next, MaxLogPage, 600*time.Millisecond)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(began), 500*time.Millisecond, "following waits for output")
		assert.Empty(t, quiet.Data)
		assert.False(t, quiet.Ended)
		assert.Equal(t, r.page.Next, quiet.Next)
	})

	t.Run("LogsEnded", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		task := startEmitter(t, h)
		h.emit(t, task, "bye\n")
		waitForLogs(t, h.rt, task.TaskID, "bye\n")
		_, cur := readLogs(t, h.rt, task.TaskID, LogCursor{})

		stopped := make(chan error, 1)
		go func() {
			time.Sleep(300 * time.Millisecond)
			stopped <- h.rt.Stop(ctx, task.TaskID, 5*time.Second)
		}()
		// Following, the reader learns that the task ended.
		page := LogPage{Next: cur}
		deadline := time.Now().Add(time.Minute)
		for !page.Ended {
			require.True(t, time.Now().Before(deadline), "following never saw the end")
			var err error
			page, err = h.rt.ReadLogs(ctx, task.TaskID, page.Next, MaxLogPage, 20*time.Second)
			require.NoError(t, err)
		}
		require.NoError(t, <-stopped)

		began := time.Now()
		after, err := h.rt.ReadLogs(ctx, task.TaskID, page.Next, MaxLogPage, 20*time.Second)
		require.NoError(t, err)
		assert.Less(t, time.Since(began), 10*time.Second, "an ended task's log is not followed")
		assert.Empty(t, after.Data)
		assert.True(t, after.Ended)

		whole, err := h.rt.ReadLogs(ctx, task.TaskID, LogCursor{}, MaxLogPage, 0)
		require.NoError(t, err)
		assert.True(t, whole.Ended)
		assert.Contains(t, string(whole.Data), "bye\n")
	})

	t.Run("LogsBadArguments", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		id := "no-such-task-" + randHex(4)
		for _, limit := range []int{0, -1, MaxLogPage + 1} {
			_, err := h.rt.ReadLogs(ctx, id, LogCursor{}, limit, 0)
			assert.ErrorIs(t, err, ErrInvalid, "max %d", limit)
		}
		_, err := h.rt.ReadLogs(ctx, id, LogCursor{Since: "yesterday"}, 10, 0)
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = h.rt.ReadLogs(ctx, id, LogCursor{Since: "2024-01-02T03:04:05.000000001Z", Skip: -1}, 10, 0)
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = h.rt.ReadLogs(ctx, id, LogCursor{}, 10, -time.Second)
		assert.ErrorIs(t, err, ErrInvalid)
	})
}

// testLocateContract is how every Runtime locates a task's container.
func testLocateContract(t *testing.T, h harness) {
	t.Run("Locate", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		spec := sleeperSpec(newJob(t, h), 0)
		task, err := h.rt.Start(ctx, spec)
		require.NoError(t, err)

		loc, err := h.rt.Locate(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.Equal(t, Location{ContainerID: task.ContainerID, ContainerName: task.Name, Running: true,
			Endpoint: h.endpoint}, loc)

		require.NoError(t, h.rt.Stop(ctx, spec.TaskID, 5*time.Second))
		loc, err = h.rt.Locate(ctx, spec.TaskID)
		require.NoError(t, err)
		assert.False(t, loc.Running)
		assert.Equal(t, task.ContainerID, loc.ContainerID)

		require.NoError(t, h.rt.Remove(ctx, spec.TaskID, RemoveOptions{}))
		_, err = h.rt.Locate(ctx, spec.TaskID)
		assert.ErrorIs(t, err, ErrNotFound)
	})
}

// startEmitter starts an emitLoop task of a new job.
func startEmitter(t *testing.T, h harness) *Task {
	t.Helper()
	task, err := h.rt.Start(testContext(t), taskSpec(newJob(t, h), 0, emitLoop))
	require.NoError(t, err)
	return task
}

// readLogs reads the task's log from the cursor as it is now, page after
// page, and returns it and the cursor after it.
func readLogs(t *testing.T, rt Runtime, taskID string, from LogCursor) (string, LogCursor) {
	t.Helper()
	var b strings.Builder
	for range 1000 {
		p, err := rt.ReadLogs(testContext(t), taskID, from, MaxLogPage, 0)
		require.NoError(t, err)
		b.Write(p.Data)
		from = p.Next
		if !p.Full {
			return b.String(), from
		}
	}
	t.Fatal("the log never ends")
	return "", from
}

// waitForLogs waits until the task's log contains s.
func waitForLogs(t *testing.T, rt Runtime, taskID, s string) {
	t.Helper()
	poll.Until(t, 30*time.Second, "the log holds "+s, func() (bool, string) {
		logs, _ := readLogs(t, rt, taskID, LogCursor{})
		return strings.Contains(logs, s), fmt.Sprintf("logs %q", logs)
	})
}

// linesWithPrefix keeps the lines of s that start with prefix (dropping
// what the runner logs, in a real container).
func linesWithPrefix(s, prefix string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(line, prefix) && !strings.HasPrefix(line, "time=") && line != "" {
			b.WriteString(line)
		}
	}
	return b.String()
}
