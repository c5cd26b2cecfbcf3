package dockerrun

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// ReadLogs reads the task's log (stdout and stderr, in the order the engine
// logged them) from the cursor: at most limit bytes, but always at least one
// whole entry when there is one, whole entries only. With wait > 0 and a
// running container it follows the log: it returns once the page is full,
// once some data came and no more arrived for a short idle time (~250ms),
// once the container ends (Ended), or after wait with whatever it has
// (possibly nothing). With wait == 0 it returns what the log holds now.
//
// Once the container is removed (Remove, SweepContainers), ReadLogs reads
// the log they saved into the sandbox ([ContainerLogFile]) the same way,
// with Ended set on its last page, and does not wait.
//
// limit must be 1 to [MaxLogPage]. A task with neither a container nor a
// saved log is ErrNotFound; a foreign container of that name, or another
// deployment's, is ErrConflict.
func (d *Docker) ReadLogs(ctx context.Context, taskID string, from LogCursor, limit int, wait time.Duration) (LogPage, error) {
	if err := checkLogArgs(taskID, from, limit, wait); err != nil {
		return LogPage{}, err
	}
	c, err := d.inspectOwned(ctx, "logs", taskID)
	if errors.Is(err, ErrNotFound) {
		page, ferr := readSavedLog(ctx, filepath.Join(d.Sandbox(taskID), filepath.FromSlash(ContainerLogFile)), from, limit)
		if errors.Is(ferr, fs.ErrNotExist) {
			return LogPage{}, err
		}
		if ferr != nil {
			return LogPage{}, &Error{Op: "logs", TaskID: taskID, Msg: "read saved container log", Err: ferr}
		}
		return page, nil
	}
	if err != nil {
		return LogPage{}, err
	}
	followFor := time.Duration(0)
	if wait > 0 && c.State.Running {
		followFor = wait
	}
	src, err := d.logStream(ctx, c, from.Since, followFor > 0)
	if err != nil {
		return LogPage{}, wrap("logs", taskID, err, "read logs of %s", c.Name)
	}
	col := newPageCollector(from, limit)
	streamEnded, err := collect(ctx, src, col, followFor)
	if err != nil {
		return LogPage{}, wrap("logs", taskID, err, "read logs of %s", c.Name)
	}
	if streamEnded {
		running, err := d.running(ctx, c.ID)
		if err != nil {
			return LogPage{}, wrap("logs", taskID, err, "inspect container %s", c.Name)
		}
		col.page.Ended = logEnded(true, followFor > 0, c.State.Running, running)
	}
	return col.page, nil
}

// eachLogEntry reads the container's whole log (not following it) and
// passes every entry to fn until fn returns false.
func (d *Docker) eachLogEntry(ctx context.Context, c container.InspectResponse, fn func(logEntry) bool) error {
	rc, err := d.cli.ContainerLogs(ctx, c.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true})
	if err != nil {
		return err
	}
	defer rc.Close()
	if c.Config.Tty {
		return readRawEntries(rc, fn)
	}
	return readFramedEntries(rc, fn)
}

// logStream opens the container's log from since, with timestamps, and
// reads its entries in a goroutine until the source is stopped.
func (d *Docker) logStream(ctx context.Context, c container.InspectResponse, since string, follow bool) (*entrySource, error) {
	lctx, cancel := context.WithCancel(ctx)
	rc, err := d.cli.ContainerLogs(lctx, c.ID, container.LogsOptions{
		ShowStdout: true, ShowStderr: true, Timestamps: true, Since: since, Follow: follow,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	tty := c.Config.Tty
	return newEntrySource(func(emit func(logEntry) bool) error {
		if tty {
			return readRawEntries(rc, emit)
		}
		return readFramedEntries(rc, emit)
	}, func() { cancel(); _ = rc.Close() }), nil
}

// running tells whether the container runs; a container gone is not.
func (d *Docker) running(ctx context.Context, id string) (bool, error) {
	c, err := d.cli.ContainerInspect(ctx, id)
	if errors.Is(classify(err), ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return c.State != nil && c.State.Running, nil
}

// maxLogFrame bounds one frame of a multiplexed log stream (Docker splits
// log lines at 16 KiB).
const maxLogFrame = 16 << 20

// readFramedEntries reads the multiplexed log stream of a container without
// a TTY (see stdcopy): every frame is one log entry with its timestamp.
// It returns nil at the stream's end or when emit says to stop.
func readFramedEntries(r io.Reader, emit func(logEntry) bool) error {
	br := bufio.NewReaderSize(r, 32<<10)
	var hdr [8]byte
	var buf []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		size := binary.BigEndian.Uint32(hdr[4:])
		if size > maxLogFrame {
			return fmt.Errorf("log stream frame of %d bytes: too big", size)
		}
		buf = slices.Grow(buf[:0], int(size))[:size]
		if _, err := io.ReadFull(br, buf); err != nil {
			return err
		}
		stream := streamStdout
		switch stdcopy.StdType(hdr[0]) {
		case stdcopy.Stdin, stdcopy.Stdout:
		case stdcopy.Stderr:
			stream = streamStderr
		case stdcopy.Systemerr:
			return fmt.Errorf("log stream: %s", buf)
		default:
			return fmt.Errorf("log stream: unknown stream %d", hdr[0])
		}
		if size == 0 {
			continue
		}
		e, err := parseEntry(buf)
		if err != nil {
			return err
		}
		e.stream = stream
		if !emit(e) {
			return nil
		}
	}
}

// readRawEntries reads the raw log stream of a container with a TTY: one
// entry a line. (A line Docker split into pieces has the next piece's
// timestamp inside; a TTY stream cannot tell them apart.)
func readRawEntries(r io.Reader, emit func(logEntry) bool) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			e, perr := parseEntry(line)
			if perr != nil {
				return perr
			}
			if !emit(e) {
				return nil
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
