package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"sync"
)

// logFile is one of a process's log files, <sandbox>/.logs/<name>.stdout or
// .stderr, with mode [FileMode]. The process's runs share it (a background
// child of an earlier run may still write while the next run does), so it
// is locked.
//
// Output is appended across runs. With a rotation (Aurora's RotatePolicy),
// a file never grows past MaxBytes: a write that would take it past is cut
// there, the file is renamed <file>.1 (the older backups shift to .2, ...,
// up to .Backups; the oldest is dropped), and the rest goes to a new, empty
// file. Backups 0 keeps no old output: the file starts over. The cut is at a
// byte, not at a line, as in Aurora.
type logFile struct {
	path   string
	rotate *LogRotation // nil: no rotation
	log    *slog.Logger

	mu   sync.Mutex
	f    *os.File // nil while closed, or after a failed write
	size int64
}

// open opens the file for a run, unless it is open already and still at
// its path (someone may have moved or removed it since the last run).
func (l *logFile) open() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		open, err1 := l.f.Stat()
		cur, err2 := os.Stat(l.path)
		if err1 == nil && err2 == nil && os.SameFile(open, cur) {
			return nil
		}
		l.f.Close()
		l.f = nil
	}
	return l.openLocked(0)
}

func (l *logFile) openLocked(flag int) error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|flag, FileMode)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

// limit is the size the file may reach, or 0 for no limit.
func (l *logFile) limit() int64 {
	if l.rotate == nil || l.rotate.MaxBytes <= 0 {
		return 0
	}
	return l.rotate.MaxBytes
}

// write appends b, rotating the file as it fills. After a failure (logged)
// the output is dropped until the process's next run opens the file again.
func (l *logFile) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit := l.limit()
	for len(b) > 0 && l.f != nil {
		if limit > 0 && l.size >= limit {
			if err := l.rotateLocked(); err != nil {
				l.failLocked(err)
				return
			}
		}
		n := len(b)
		if limit > 0 {
			n = int(min(int64(n), limit-l.size))
		}
		w, err := l.f.Write(b[:n])
		l.size += int64(w)
		if err != nil {
			l.failLocked(fmt.Errorf("write log: %w", err))
			return
		}
		b = b[n:]
	}
}

// rotateLocked shifts the backups up by one and starts the file afresh.
func (l *logFile) rotateLocked() error {
	if err := l.f.Close(); err != nil {
		l.f = nil
		return fmt.Errorf("rotate log: %w", err)
	}
	l.f = nil
	backups := l.rotate.Backups
	for i := backups - 1; i >= 1; i-- {
		if err := os.Rename(backupName(l.path, i), backupName(l.path, i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log: %w", err)
		}
	}
	if backups > 0 {
		if err := os.Rename(l.path, backupName(l.path, 1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log: %w", err)
		}
	}
	return l.openLocked(os.O_TRUNC)
}

// backupName is the name of the i-th newest backup of the log file path.
func backupName(path string, i int) string {
	return path + "." + strconv.Itoa(i)
}

func (l *logFile) failLocked(err error) {
	l.log.Error("process log", "file", l.path, "err", err)
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// close closes the file; later writes are dropped.
func (l *logFile) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		if err := l.f.Close(); err != nil {
			l.log.Error("process log", "file", l.path, "err", err)
		}
		l.f = nil
	}
}
