package dockerrun

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/docker/docker/pkg/stdcopy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	ts1 = "2024-05-06T07:08:09.000000001Z"
	ts2 = "2024-05-06T07:08:09.000000002Z"
	ts3 = "2024-05-06T07:08:10.000000000Z"
)

func TestParseEntry(t *testing.T) {
	e, err := parseEntry([]byte(ts1 + " hello world\n"))
	require.NoError(t, err)
	assert.Equal(t, logEntry{ts: ts1, text: []byte("hello world\n")}, e)
	e, err = parseEntry([]byte(ts1 + " "))
	require.NoError(t, err)
	assert.Empty(t, e.text)
	for _, bad := range []string{"hello world\n", "", ts1, "2024-05-06 x\n"} {
		_, err := parseEntry([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

// entries makes log entries of (timestamp, text) pairs.
func entries(pairs ...string) []logEntry {
	var out []logEntry
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, logEntry{ts: pairs[i], text: []byte(pairs[i+1])})
	}
	return out
}

// page collects es from the cursor, without a stream.
func page(from LogCursor, limit int, es []logEntry) LogPage {
	c := newPageCollector(from, limit)
	for _, e := range es {
		if c.add(e) {
			break
		}
	}
	return c.page
}

func TestPageCollectorCursor(t *testing.T) {
	log := entries(ts1, "a\n", ts1, "b\n", ts1, "c\n", ts2, "d\n", ts3, "e\n", ts3, "f\n")

	p := page(LogCursor{}, 4, log)
	assert.Equal(t, LogPage{Data: []byte("a\nb\n"), Next: LogCursor{ts1, 2}, Full: true}, p)
	// Docker's since is inclusive: a read from the cursor sees ts1's
	// entries again and skips the two already read.
	p = page(p.Next, 4, log)
	assert.Equal(t, LogPage{Data: []byte("c\nd\n"), Next: LogCursor{ts2, 1}, Full: true}, p)
	p = page(p.Next, 4, log[3:])
	assert.Equal(t, LogPage{Data: []byte("e\nf\n"), Next: LogCursor{ts3, 2}, Full: true}, p)
	p = page(p.Next, 4, log[4:])
	assert.Equal(t, LogPage{Next: LogCursor{ts3, 2}}, p, "nothing new: the cursor stays")

	// An entry that does not fit waits for the next page; a first one is
	// kept whatever its size.
	p = page(LogCursor{}, 3, entries(ts1, "a\n", ts2, "bb\n"))
	assert.Equal(t, LogPage{Data: []byte("a\n"), Next: LogCursor{ts1, 1}, Full: true}, p)
	p = page(LogCursor{}, 3, entries(ts1, "long line\n", ts2, "b\n"))
	assert.Equal(t, LogPage{Data: []byte("long line\n"), Next: LogCursor{ts1, 1}, Full: true}, p)
}

// frames writes entries as Docker's multiplexed log stream.
func frames(t *testing.T, es ...string) io.Reader {
	var buf bytes.Buffer
	out, errw := stdcopy.NewStdWriter(&buf, stdcopy.Stdout), stdcopy.NewStdWriter(&buf, stdcopy.Stderr)
	for i, e := range es {
		w := out
		if i%2 == 1 {
			w = errw
		}
		_, err := w.Write([]byte(e))
		require.NoError(t, err)
	}
	return &buf
}

// drain reads all entries of a stream with read.
func drain(r io.Reader, read func(io.Reader, func(logEntry) bool) error) ([]logEntry, error) {
	var got []logEntry
	err := read(r, func(e logEntry) bool { got = append(got, e); return true })
	return got, err
}

func TestReadFramedEntries(t *testing.T) {
	got, err := drain(frames(t, ts1+" out\n", ts2+" err\n", ts3+" partial", ts3+" rest\n"), readFramedEntries)
	require.NoError(t, err)
	want := entries(ts1, "out\n", ts2, "err\n", ts3, "partial", ts3, "rest\n")
	for i := range want {
		want[i].stream = []string{streamStdout, streamStderr}[i%2]
	}
	assert.Equal(t, want, got)

	var sysErr bytes.Buffer
	_, _ = stdcopy.NewStdWriter(&sysErr, stdcopy.Systemerr).Write([]byte("daemon broke"))
	_, err = drain(&sysErr, readFramedEntries)
	assert.ErrorContains(t, err, "daemon broke")

	cut := frames(t, ts1+" out\n").(*bytes.Buffer)
	cut.Truncate(cut.Len() - 2)
	_, err = drain(cut, readFramedEntries)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	_, err = drain(frames(t, "no timestamp\n"), readFramedEntries)
	assert.ErrorContains(t, err, "malformed log entry")

	// Stopping after the first entry reads no further.
	var n int
	err = readFramedEntries(frames(t, ts1+" a\n", ts2+" b\n"), func(logEntry) bool { n++; return false })
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func TestReadRawEntries(t *testing.T) {
	got, err := drain(bytes.NewBufferString(ts1+" a\r\n"+ts2+" b\r\n"+ts3+" end"), readRawEntries)
	require.NoError(t, err)
	assert.Equal(t, entries(ts1, "a\r\n", ts2, "b\r\n", ts3, "end"), got)
}

// feed is an entry source whose entries the test sends by hand.
func feed() (*entrySource, chan<- logEntry, chan<- error) {
	in, end := make(chan logEntry), make(chan error, 1)
	src := newEntrySource(func(emit func(logEntry) bool) error {
		for {
			select {
			case e := <-in:
				if !emit(e) {
					return nil
				}
			case err := <-end:
				return err
			}
		}
	}, func() { end <- nil })
	return src, in, end
}

func TestCollect(t *testing.T) {
	ctx := context.Background()

	t.Run("StreamEnd", func(t *testing.T) {
		src, in, end := feed()
		go func() { in <- logEntry{ts: ts1, text: []byte("a\n")}; end <- nil }()
		c := newPageCollector(LogCursor{}, 100)
		ended, err := collect(ctx, src, c, 0)
		require.NoError(t, err)
		assert.True(t, ended)
		assert.Equal(t, "a\n", string(c.page.Data))
	})

	t.Run("StreamError", func(t *testing.T) {
		src, _, end := feed()
		end <- errors.New("broken")
		_, err := collect(ctx, src, newPageCollector(LogCursor{}, 100), 0)
		assert.ErrorContains(t, err, "broken")
	})

	t.Run("IdleAfterData", func(t *testing.T) {
		src, in, _ := feed()
		go func() { in <- logEntry{ts: ts1, text: []byte("a\n")} }()
		began := time.Now()
		c := newPageCollector(LogCursor{}, 100)
		ended, err := collect(ctx, src, c, time.Minute)
		require.NoError(t, err)
		assert.False(t, ended)
		assert.Equal(t, "a\n", string(c.page.Data))
		assert.Less(t, time.Since(began), 10*time.Second)
	})

	t.Run("WaitWithoutData", func(t *testing.T) {
		src, _, _ := feed()
		began := time.Now()
		ended, err := collect(ctx, src, newPageCollector(LogCursor{}, 100), 300*time.Millisecond)
		require.NoError(t, err)
		assert.False(t, ended)
		assert.GreaterOrEqual(t, time.Since(began), 300*time.Millisecond)
	})

	t.Run("Canceled", func(t *testing.T) {
		src, _, _ := feed()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := collect(cctx, src, newPageCollector(LogCursor{}, 100), time.Minute)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestLogEnded(t *testing.T) {
	assert.True(t, logEnded(true, false, false, false), "read a stopped container's log to its end")
	assert.True(t, logEnded(true, true, true, false), "followed a container to its end")
	assert.False(t, logEnded(true, false, true, false), "it may have written more after the read")
	assert.False(t, logEnded(true, true, true, true))
	assert.False(t, logEnded(false, true, false, false), "the read stopped early")
}
