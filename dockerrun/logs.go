package dockerrun

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"
)

// MaxLogPage bounds the max of one [Runtime.ReadLogs] call: callers ask for
// at most this many bytes a page.
const MaxLogPage = 256 << 10

// logIdle is how long a following read waits for more output once some
// came before it returns the page.
const logIdle = 250 * time.Millisecond

// LogCursor is where a read of a task's log resumes: after the first Skip
// entries stamped exactly Since (Docker's RFC3339Nano timestamp of an
// entry); the zero cursor is the log's start.
type LogCursor struct {
	Since string `json:"since,omitempty"`
	Skip  int    `json:"skip,omitempty"`
}

// LogPage is one read of a task's log (stdout and stderr, in order).
type LogPage struct {
	// Data holds whole log entries (lines, or the pieces Docker splits a
	// very long line into), timestamps stripped.
	Data []byte
	// Next is where the next read resumes.
	Next LogCursor
	// Full says the page reached its size bound: read again at once.
	Full bool
	// Ended says the container is not running and everything it wrote is
	// in this page or earlier ones.
	Ended bool
}

// logEntry is one entry of a log: its timestamp as the engine wrote it,
// its stream and its text.
type logEntry struct {
	ts     string
	stream string // "stdout" or "stderr"; empty: stdout
	text   []byte
}

// Log streams of a logEntry.
const (
	streamStdout = "stdout"
	streamStderr = "stderr"
)

// parseEntry splits an entry "<RFC3339Nano> <text>" as Docker writes it
// with timestamps on. The text is copied.
func parseEntry(b []byte) (logEntry, error) {
	ts, text, ok := bytes.Cut(b, []byte{' '})
	if !ok || !validTimestamp(string(ts)) {
		return logEntry{}, errors.New("malformed log entry: no timestamp prefix")
	}
	return logEntry{ts: string(ts), text: bytes.Clone(text)}, nil
}

// validTimestamp tells whether s is an RFC3339 timestamp with a zone.
func validTimestamp(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// checkLogArgs rejects a bad ReadLogs request as ErrInvalid.
func checkLogArgs(taskID string, from LogCursor, limit int, wait time.Duration) error {
	switch {
	case limit <= 0 || limit > MaxLogPage:
		return newError("logs", taskID, ErrInvalid, "page size %d: want 1-%d bytes", limit, MaxLogPage)
	case wait < 0:
		return newError("logs", taskID, ErrInvalid, "wait %s is negative", wait)
	case from.Skip < 0:
		return newError("logs", taskID, ErrInvalid, "cursor skip %d is negative", from.Skip)
	case from.Since != "" && !validTimestamp(from.Since):
		return newError("logs", taskID, ErrInvalid, "cursor since %q is not an RFC3339 timestamp", from.Since)
	}
	return nil
}

// pageCollector builds a page from a log read from a cursor: it drops the
// entries the cursor says were read already, keeps whole entries up to the
// size bound and moves the cursor past each entry it keeps.
type pageCollector struct {
	from    LogCursor
	max     int
	skipped int
	page    LogPage
}

func newPageCollector(from LogCursor, limit int) *pageCollector {
	return &pageCollector{from: from, max: limit, page: LogPage{Next: from}}
}

// add takes e into the page and reports whether the page is full. An entry
// that does not fit a page holding something already is left out (the next
// read starts with it); a first entry is kept whatever its size.
func (c *pageCollector) add(e logEntry) (full bool) {
	if e.ts == c.from.Since && c.skipped < c.from.Skip {
		c.skipped++
		return false
	}
	p := &c.page
	if len(p.Data) > 0 && len(p.Data)+len(e.text) > c.max {
		p.Full = true
		return true
	}
	p.Data = append(p.Data, e.text...)
	if e.ts == p.Next.Since {
		p.Next.Skip++
	} else {
		p.Next = LogCursor{Since: e.ts, Skip: 1}
	}
	p.Full = len(p.Data) >= c.max
	return p.Full
}

// entrySource delivers a log's entries from a producer goroutine; entries
// closes at the end of the stream, after err is set (nil at a clean end).
type entrySource struct {
	entries chan logEntry
	done    chan struct{}
	err     error
	once    sync.Once
	onStop  func()
}

// newEntrySource runs produce in a goroutine; produce passes each entry to
// emit and returns when the stream ends or emit returns false (stop was
// called). onStop, if not nil, runs on stop to unblock produce.
func newEntrySource(produce func(emit func(logEntry) bool) error, onStop func()) *entrySource {
	s := &entrySource{entries: make(chan logEntry), done: make(chan struct{}), onStop: onStop}
	go func() {
		defer close(s.entries)
		s.err = produce(func(e logEntry) bool {
			select {
			case s.entries <- e:
				return true
			case <-s.done:
				return false
			}
		})
	}()
	return s
}

// stop makes the producer give up and waits until it has.
func (s *entrySource) stop() {
	s.once.Do(func() {
		close(s.done)
		if s.onStop != nil {
			s.onStop()
		}
	})
	for range s.entries {
	}
}

// collect takes entries from src into c until the page is full or the
// stream ends; with wait > 0 also until no entry came for logIdle after
// some data did, or wait has passed. It reports whether the stream reached
// its end (and the page did not fill). The source is stopped on return.
func collect(ctx context.Context, src *entrySource, c *pageCollector, wait time.Duration) (streamEnded bool, err error) {
	defer src.stop()
	var deadline, idle <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	idleTimer := time.NewTimer(time.Hour)
	idleTimer.Stop()
	defer idleTimer.Stop()
	for {
		select {
		case e, ok := <-src.entries:
			if !ok {
				return src.err == nil, src.err
			}
			if c.add(e) {
				return false, nil
			}
			if wait > 0 && len(c.page.Data) > 0 {
				idleTimer.Reset(logIdle)
				idle = idleTimer.C
			}
		case <-idle:
			return false, nil
		case <-deadline:
			return false, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

// logEnded tells whether a read that reached the stream's end has the whole
// log: the container is not running now and either the read followed the
// log (a followed stream ends only after the container's last output) or
// the container was not running when the read began.
func logEnded(streamEnded, followed, runningBefore, runningAfter bool) bool {
	return streamEnded && !runningAfter && (followed || !runningBefore)
}
