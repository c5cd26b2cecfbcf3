package dockerrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/borealis-dev/borealis/runner"
)

// ContainerLogFile is where, in a task's sandbox, Remove and SweepContainers
// save the container's Docker log before they remove the container, so that
// ReadLogs still reads it afterwards. It holds one JSON object a line, one a
// log entry, in the log's order:
//
//	{"time":"2025-01-02T03:04:05.123456789Z","stream":"stdout","log":"hello\n"}
//
// time is the engine's timestamp of the entry, as ReadLogs cursors hold it;
// stream is stdout or stderr; log is the entry's text (a line with its
// newline, or a piece of a long line). The file keeps at most the log cap
// (Options.LogMaxBytes times LogMaxFiles) of the newest entries.
const ContainerLogFile = runner.LogDir + "/.container.log"

// savedEntry is one line of a [ContainerLogFile]. The field order matters:
// time comes first so that reading skips entries without decoding them.
type savedEntry struct {
	Time   string `json:"time"`
	Stream string `json:"stream"`
	Log    string `json:"log"`
}

// saveLog writes the container's whole Docker log into the task's sandbox
// ([ContainerLogFile]). Failing to read the log from the engine is an
// error (the container must stay until its log is saved); failing to write
// it is not: a task without a sandbox, or a sandbox that cannot take the
// file, must not keep its container forever, so the log is dropped with a
// warning.
func (d *Docker) saveLog(ctx context.Context, taskID string, c container.InspectResponse) error {
	sandbox := d.Sandbox(taskID)
	if _, err := os.Stat(sandbox); errors.Is(err, fs.ErrNotExist) {
		d.log.Warn("container log not saved: the task has no sandbox", "task", taskID, "container", c.ID)
		return nil
	}
	limit := d.opts.LogMaxBytes * int64(d.opts.LogMaxFiles)
	var readErr error
	err := writeSavedLog(filepath.Join(sandbox, filepath.FromSlash(ContainerLogFile)), limit,
		func(emit func(logEntry) bool) error {
			readErr = d.eachLogEntry(ctx, c, emit)
			return readErr
		})
	if err != nil && readErr == nil && ctx.Err() == nil {
		d.log.Warn("container log not saved", "task", taskID, "container", c.ID, "error", err)
		return nil
	}
	return err
}

// writeSavedLog writes the entries produce delivers to path, atomically,
// keeping at most limit bytes of the newest whole lines (limit <= 0: all).
func writeSavedLog(path string, limit int64, produce func(emit func(logEntry) bool) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("make log dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".container.log.tmp*")
	if err != nil {
		return fmt.Errorf("save container log: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 64<<10)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var werr error
	perr := produce(func(e logEntry) bool {
		stream := e.stream
		if stream == "" {
			stream = streamStdout
		}
		werr = enc.Encode(savedEntry{Time: e.ts, Stream: stream, Log: string(e.text)})
		return werr == nil
	})
	if err := firstErr(werr, perr, w.Flush()); err != nil {
		return fmt.Errorf("save container log: %w", err)
	}
	if limit > 0 {
		if err := keepTail(tmp, limit); err != nil {
			return fmt.Errorf("save container log: bound it: %w", err)
		}
	}
	if err := firstErr(tmp.Chmod(specFileMode), tmp.Close()); err != nil {
		return fmt.Errorf("save container log: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save container log: %w", err)
	}
	return nil
}

// keepTail cuts the file f down to its last whole lines of at most limit
// bytes, in place.
func keepTail(f *os.File, limit int64) error {
	fi, err := f.Stat()
	if err != nil || fi.Size() <= limit {
		return err
	}
	// The first line kept starts after the last newline before the cut.
	cut := fi.Size() - limit
	var b [1]byte
	if _, err := f.ReadAt(b[:], cut-1); err != nil {
		return err
	}
	r := bufio.NewReader(io.NewSectionReader(f, cut, limit))
	if b[0] != '\n' {
		skipped, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return err
		}
		cut += int64(len(skipped))
	}
	rest, err := io.ReadAll(io.NewSectionReader(f, cut, fi.Size()-cut))
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(rest, 0); err != nil {
		return err
	}
	return f.Truncate(int64(len(rest)))
}

// readSavedLog reads a page of a saved container log from the cursor, as
// ReadLogs reads a container's; the log has ended, so the page that reaches
// its end has Ended set. A missing file is an fs.ErrNotExist error.
func readSavedLog(ctx context.Context, path string, from LogCursor, limit int) (LogPage, error) {
	f, err := os.Open(path)
	if err != nil {
		return LogPage{}, err
	}
	var since time.Time
	if from.Since != "" {
		since, _ = time.Parse(time.RFC3339Nano, from.Since) // checked by checkLogArgs
	}
	return endedPage(ctx, from, limit, func(emit func(logEntry) bool) error {
		defer f.Close()
		return scanSavedLog(f, since, emit)
	})
}

// endedPage reads a page from the cursor of a log that has ended, whose
// entries produce delivers (those stamped since the cursor or later, at
// least).
func endedPage(ctx context.Context, from LogCursor, limit int, produce func(emit func(logEntry) bool) error) (LogPage, error) {
	col := newPageCollector(from, limit)
	ended, err := collect(ctx, newEntrySource(produce, nil), col, 0)
	if err != nil {
		return LogPage{}, err
	}
	col.page.Ended = ended
	return col.page, nil
}

// scanSavedLog emits the entries of a saved log stamped since or later (all
// when since is zero), as Docker's since option filters a log.
func scanSavedLog(r io.Reader, since time.Time, emit func(logEntry) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			keep := true
			if ts, ok := savedTime(line); ok && !since.IsZero() {
				t, perr := time.Parse(time.RFC3339Nano, ts)
				keep = perr != nil || !t.Before(since)
			}
			if keep {
				var s savedEntry
				if jerr := json.Unmarshal(line, &s); jerr != nil || !validTimestamp(s.Time) {
					return fmt.Errorf("saved container log, line %d: malformed entry", n)
				}
				t, _ := time.Parse(time.RFC3339Nano, s.Time)
				if (since.IsZero() || !t.Before(since)) && !emit(logEntry{ts: s.Time, stream: s.Stream, text: []byte(s.Log)}) {
					return nil
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// savedTime reads the time of a saved entry without decoding it, when the
// line starts as [writeSavedLog] writes it.
func savedTime(line []byte) (string, bool) {
	const prefix = `{"time":"`
	rest, ok := bytes.CutPrefix(line, []byte(prefix))
	if !ok {
		return "", false
	}
	ts, _, ok := bytes.Cut(rest, []byte{'"'})
	return string(ts), ok
}
