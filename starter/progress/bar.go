package progress

import (
	"fmt"
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// Bar redraws in place one line, the state, batch, instances in flight and
// failed, a bar of the instances done, the count and the time elapsed, and
// below it the lines of Details: which instances are in flight, which
// failed and why.
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	bar   *progressbar.ProgressBar // nil until the first Update with a total
	total int
	desc  string
	done  bool
	below int // lines drawn below the bar; the cursor stays on the bar's
}

// NewBar returns a Reporter that draws a progress bar on w (a terminal).
func NewBar(w io.Writer) *Bar { return &Bar{w: w} }

// Update redraws the bar with p.
func (b *Bar) Update(p Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	// progressbar refuses a maximum of 0: show one empty slot instead.
	total := max(p.Total, 1)
	done := min(max(p.Done, 0), total)
	desc := barDescription(p)
	if b.bar == nil {
		b.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetRenderBlankState(true),
		)
		b.total, b.desc = total, desc
	}
	if total != b.total {
		b.total = total
		b.bar.ChangeMax(total)
	}
	if desc != b.desc {
		b.desc = desc
		b.bar.Describe(desc)
	}
	// Set redraws (the count is shown), which also advances the elapsed time.
	_ = b.bar.Set(done)
	b.drawBelow(Details(p))
}

// Done leaves the last drawing on screen and ends its line.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	if b.bar != nil {
		_ = b.bar.Exit()
		if b.below > 0 {
			// Down to the last line drawn, which stays.
			fmt.Fprintf(b.w, "\x1b[%dB", b.below)
		}
		fmt.Fprintln(b.w)
	}
}
