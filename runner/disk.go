package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"
)

// watchDisk measures the sandbox every diskInterval, when the spec has a
// disk limit, and sends the task's failure reason on over once the sandbox
// holds more than DiskBytes (Aurora's ResourceManager, with Thermos's
// DiskCollector measuring). stop ends the watch and waits for it; without a
// limit over is nil and stop does nothing.
func (t *task) watchDisk() (over <-chan string, stop func()) {
	limit := t.spec.DiskBytes
	if limit <= 0 {
		return nil, func() {}
	}
	ch := make(chan string, 1)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(t.diskInterval)
		defer tick.Stop()
		logged := false
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			used, err := sandboxSize(t.sandbox)
			if err != nil && !logged {
				// The sum of what could be read still counts.
				t.log.Error("measure sandbox", "err", err)
				logged = true
			}
			if used > limit {
				t.log.Error("disk limit exceeded", "used_bytes", used, "limit_bytes", limit)
				ch <- fmt.Sprintf("%s.  Reserved %d bytes vs used %d bytes.", ReasonDiskLimit, limit, used)
				return
			}
		}
	}()
	return ch, func() {
		close(done)
		<-finished
	}
}

// sandboxSize is the sum of the sizes of the regular files under dir,
// symbolic links not followed. Files that vanish during the walk are not
// counted; the error reports the first directory or file that could not be
// read, whose size is then missing from the sum.
func sandboxSize(dir string) (int64, error) {
	var total int64
	var first error
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && first == nil {
				first = err
			}
			if d != nil && d.IsDir() && path != dir {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && first == nil {
				first = err
			}
			return nil
		}
		total += info.Size()
		return nil
	})
	if err == nil {
		err = first
	}
	if err != nil {
		return total, fmt.Errorf("measure sandbox %s: %w", dir, err)
	}
	return total, nil
}
