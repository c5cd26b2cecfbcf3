package runner

import (
	"bytes"
	"io"
	"os"
	"sync"
)

// copyOutput copies a run's output to its log file as it comes and, whole
// lines at a time, to sink. It ends when every holder of the pipe's write end
// (the run and any background children) has closed it. The log file stays
// open for the process's next runs.
func (t *task) copyOutput(r *os.File, log *logFile, sink *lineSink) {
	t.copiers.Add(1)
	go func() {
		defer t.copiers.Done()
		defer r.Close()
		lw := &lineWriter{sink: sink}
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				// A failed write is logged by the log file; the pipe is
				// still drained so the process never blocks.
				log.write(buf[:n])
				lw.write(buf[:n])
			}
			if err != nil {
				break
			}
		}
		lw.flush()
	}()
}

// lineSink serializes whole lines from many processes onto one writer.
type lineSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *lineSink) write(b []byte) {
	if s == nil || s.w == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = s.w.Write(b) // a closed stdout must not stop the task
}

// lineWriter buffers a partial line until its newline arrives.
type lineWriter struct {
	sink *lineSink
	buf  []byte
}

const maxLine = 64 * 1024

func (l *lineWriter) write(b []byte) {
	if l.sink == nil {
		return
	}
	l.buf = append(l.buf, b...)
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		l.sink.write(l.buf[:i+1])
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
	}
	if len(l.buf) >= maxLine {
		l.flush()
	}
}

func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.sink.write(append(l.buf, '\n'))
		l.buf = l.buf[:0]
	}
}
