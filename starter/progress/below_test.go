package progress

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// screen is just enough of a terminal to replay what a Bar writes: text,
// carriage return, line feed, and the escapes K, J (erase), A, B, F
// (cursor up, down, up to the line's start).
type screen struct {
	rows     [][]rune
	row, col int
}

func (s *screen) write(t *testing.T, out string) {
	t.Helper()
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '\r':
			s.col = 0
		case '\n':
			s.row, s.col = s.row+1, 0
		case '\x1b':
			require.Less(t, i+1, len(rs))
			require.Equal(t, '[', rs[i+1], "only CSI escapes")
			j := i + 2
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == ';') {
				j++
			}
			require.Less(t, j, len(rs))
			n, err := strconv.Atoi(string(rs[i+2 : j]))
			if err != nil {
				n = 0
			}
			s.csi(t, rs[j], n)
			i = j
		default:
			s.line()
			for len(s.rows[s.row]) <= s.col {
				s.rows[s.row] = append(s.rows[s.row], ' ')
			}
			s.rows[s.row][s.col] = c
			s.col++
		}
	}
}

func (s *screen) csi(t *testing.T, final rune, n int) {
	s.line()
	switch final {
	case 'K':
		if n == 2 {
			s.rows[s.row] = nil
		} else {
			s.rows[s.row] = s.rows[s.row][:min(s.col, len(s.rows[s.row]))]
		}
	case 'J':
		s.rows[s.row] = s.rows[s.row][:min(s.col, len(s.rows[s.row]))]
		s.rows = s.rows[:s.row+1]
	case 'A':
		s.row -= max(n, 1)
	case 'B':
		s.row += max(n, 1)
	case 'F':
		s.row, s.col = s.row-max(n, 1), 0
	case 'm':
	default:
		t.Fatalf("escape %q not expected", final)
	}
	require.GreaterOrEqual(t, s.row, 0, "cursor above the first line")
}

// line makes sure the cursor's row exists.
func (s *screen) line() {
	for len(s.rows) <= s.row {
		s.rows = append(s.rows, nil)
	}
}

// lines are the screen's rows, trailing blanks cut.
func (s *screen) lines() []string {
	out := make([]string, len(s.rows))
	for i, r := range s.rows {
		out[i] = strings.TrimRight(string(r), " ")
	}
	return out
}

// TestBarDrawsBelow: a bar names the instances in flight and the failed
// ones on lines below itself, redrawn in place, each cut to the width;
// Done leaves the last drawing and moves below it.
func TestBarDrawsBelow(t *testing.T) {
	var out bytes.Buffer
	b := NewBar(&out)
	var sc screen
	update := func(p Progress) {
		t.Helper()
		b.Update(p)
		sc.write(t, out.String())
		out.Reset()
	}

	update(Progress{State: "ROLLING_FORWARD", Total: 4, InFlight: 2, Batch: 1, InFlightIDs: []int{0, 1}})
	lines := sc.lines()
	require.Len(t, lines, 2, "%q", lines)
	assert.True(t, strings.HasPrefix(lines[0], "ROLLING_FORWARD, batch 1: 2 in flight, 0 failed"), lines[0])
	assert.Contains(t, lines[0], "(0/4)")
	assert.Equal(t, "in flight: 0 1", lines[1])
	assert.Equal(t, 0, sc.row, "the cursor stays on the bar's line")

	long := "Failed health check: " + strings.Repeat("x", 200)
	update(Progress{State: "ROLLING_FORWARD", Total: 4, Done: 2, InFlight: 2, Failed: 1, Batch: 2,
		InFlightIDs: []int{2, 3}, Failures: []Failure{{Instance: 1, Reason: long}}})
	lines = sc.lines()
	require.Len(t, lines, 3, "%q", lines)
	assert.True(t, strings.HasPrefix(lines[0], "ROLLING_FORWARD, batch 2: 2 in flight, 1 failed"), lines[0])
	assert.Contains(t, lines[0], "(2/4)")
	assert.Equal(t, "in flight: 2 3", lines[1])
	assert.True(t, strings.HasPrefix(lines[2], "failed: 1 (Failed health check: xxx"), lines[2])
	assert.True(t, strings.HasSuffix(lines[2], "…"), "cut to the width: %s", lines[2])
	assert.Len(t, []rune(lines[2]), 79)

	// Fewer lines: those left from before are erased.
	update(Progress{State: "ROLLED_FORWARD", Total: 4, Done: 4, Failed: 1,
		Failures: []Failure{{Instance: 1, Reason: "unhealthy"}}})
	lines = sc.lines()
	require.Len(t, lines, 2, "%q", lines)
	assert.True(t, strings.HasPrefix(lines[0], "ROLLED_FORWARD"), lines[0])
	assert.Equal(t, "failed: 1 (unhealthy)", lines[1])

	b.Done()
	sc.write(t, out.String())
	assert.Equal(t, 2, sc.row, "Done moves below the last line")
	assert.Equal(t, 0, sc.col)
	assert.Equal(t, []string{lines[0], "failed: 1 (unhealthy)"}, sc.lines()[:2], "and leaves the drawing")
}

func TestBarWithoutDetailsWritesNoEscapes(t *testing.T) {
	var out bytes.Buffer
	b := NewBar(&out)
	b.Update(Progress{State: "RESTARTING", Total: 2, InFlight: 1, Batch: 1})
	b.Done()
	assert.NotContains(t, out.String(), "\x1b", "nothing below the bar: nothing to move over")
}

func TestClip(t *testing.T) {
	assert.Equal(t, "abc", clip("abc", 3))
	assert.Equal(t, "ab…", clip("abcd", 3))
	assert.Equal(t, "é…", clip("éèê", 2), "runes, not bytes")
	assert.Equal(t, "", clip("abc", 0))
}
