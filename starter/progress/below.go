package progress

import (
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"
)

// drawBelow draws lines below the bar, each clipped to the terminal's
// width so none wraps, erases what an earlier drawing left further down,
// and puts the cursor back at the start of the bar's line, where the next
// drawing of the bar begins.
func (b *Bar) drawBelow(lines []string) {
	if len(lines) == 0 && b.below == 0 {
		return
	}
	width := termWidth(b.w)
	var s strings.Builder
	for _, l := range lines {
		// Next line, erased, then the text.
		s.WriteString("\n\x1b[2K")
		s.WriteString(clip(l, width-1))
	}
	// Erase to the end of the screen: the lines of a longer drawing.
	s.WriteString("\x1b[J")
	if len(lines) > 0 {
		// Up to the start of the bar's line.
		fmt.Fprintf(&s, "\x1b[%dF", len(lines))
	}
	b.below = len(lines)
	_, _ = io.WriteString(b.w, s.String())
}

// termWidth is the width of the terminal w is open on (80 when unknown).
func termWidth(w io.Writer) int {
	if f, ok := w.(interface{ Fd() uintptr }); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// clip is s cut to width runes, its end marked "…" when cut.
func clip(s string, width int) string {
	r := []rune(s)
	switch {
	case len(r) <= width:
		return s
	case width < 1:
		return ""
	}
	return string(r[:width-1]) + "…"
}
