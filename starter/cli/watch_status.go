package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// statusWatcher shows a status again and again, as `job status --watch`
// does: redrawn in place on a terminal, or, elsewhere, a new block of plain
// lines (no escape codes) each time it changed, so that logs stay readable.
type statusWatcher struct {
	out io.Writer
	// errOut gets, off a terminal, the failures to read the status.
	errOut   io.Writer
	interval time.Duration
	// terminal draws in place; false prints blocks.
	terminal bool
	// header are the lines drawn above each frame on a terminal.
	header []string
	// now is time.Now unless a test sets it.
	now func() time.Time

	// last is the text shown last ("" before the first), lastErr the
	// failure reported last ("" after a success).
	last, lastErr string
}

// statusFrameFunc reads the status and renders it with look; ended says
// the watch is over (the job has ended).
type statusFrameFunc func(ctx context.Context, look statusLook) (text string, ended bool, err error)

// Escape codes of the terminal drawing: cursor home, clear to the end of
// the line, clear to the end of the screen.
const (
	ansiHome       = "\x1b[H"
	ansiClearLine  = "\x1b[K"
	ansiClearBelow = "\x1b[J"
)

// run shows frame's status every interval until it reports the end, or ctx
// is done (Ctrl-C): both return nil. A failure to read the first status is
// returned; later ones are shown and the watch goes on, trying again at the
// next interval.
func (w *statusWatcher) run(ctx context.Context, frame statusFrameFunc) error {
	if w.now == nil {
		w.now = time.Now
	}
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	first := true
	for {
		at := w.now()
		text, ended, err := frame(ctx, statusLook{now: at, steady: !w.terminal})
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case err != nil && first:
			return err
		case err != nil:
			w.failed(at, err)
		default:
			w.show(at, text)
		}
		first = false
		if err == nil && ended {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// show draws text: on a terminal always (SINCE counts on), elsewhere only
// when it differs from the last block.
func (w *statusWatcher) show(at time.Time, text string) {
	w.lastErr = ""
	if w.terminal {
		w.last = text
		w.draw(at, text)
		return
	}
	if text == w.last {
		return
	}
	if w.last != "" {
		fmt.Fprintln(w.out)
	}
	w.last = text
	fmt.Fprintf(w.out, "--- %s ---\n%s", at.Format(time.DateTime), text)
}

// failed shows a failure to read the status: on a terminal below the last
// status drawn, elsewhere on errOut once until a read succeeds again or
// fails otherwise.
func (w *statusWatcher) failed(at time.Time, err error) {
	msg := fmt.Sprintf("reading the status failed (trying again every %s): %v", w.interval, err)
	if w.terminal {
		w.draw(at, w.last+"\n"+at.Format(time.TimeOnly)+": "+escapeText(msg)+"\n")
		return
	}
	if msg != w.lastErr {
		w.lastErr = msg
		fmt.Fprintln(w.errOut, "Warning:", msg)
	}
}

// draw replaces the terminal's screen with the header, the time and text:
// from the top left, each line cleared to its end, then the rest of the
// screen cleared, so that nothing flickers and nothing of a longer earlier
// frame stays.
func (w *statusWatcher) draw(at time.Time, text string) {
	var b strings.Builder
	b.WriteString(ansiHome)
	lines := append([]string{}, w.header...)
	if len(lines) > 0 {
		lines[0] += "    " + at.Format(time.DateTime)
		lines = append(lines, "")
	}
	lines = append(lines, strings.Split(strings.TrimSuffix(text, "\n"), "\n")...)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString(ansiClearLine)
		b.WriteString("\n")
	}
	b.WriteString(ansiClearBelow)
	_, _ = io.WriteString(w.out, b.String())
}
