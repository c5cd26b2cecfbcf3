package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strconv"
	"strings"
)

// scalePoint is one size of the scaling figure, in seconds.
type scalePoint struct {
	n                      int
	borealis, swarm, bound float64
}

var (
	white     = color.RGBA{255, 255, 255, 255}
	black     = color.RGBA{0, 0, 0, 255}
	gridGrey  = color.RGBA{225, 225, 225, 255}
	blue      = color.RGBA{31, 119, 180, 255}
	orange    = color.RGBA{255, 127, 14, 255}
	boundGrey = color.RGBA{130, 130, 130, 255}
)

// font3x5 is a tiny bitmap font: five rows of three pixels per glyph.
var font3x5 = map[rune][5]string{
	'A': {"010", "101", "111", "101", "101"}, 'B': {"110", "101", "110", "101", "110"},
	'C': {"011", "100", "100", "100", "011"}, 'D': {"110", "101", "101", "101", "110"},
	'E': {"111", "100", "110", "100", "111"}, 'F': {"111", "100", "110", "100", "100"},
	'G': {"011", "100", "101", "101", "011"}, 'H': {"101", "101", "111", "101", "101"},
	'I': {"111", "010", "010", "010", "111"}, 'J': {"001", "001", "001", "101", "010"},
	'K': {"101", "101", "110", "101", "101"}, 'L': {"100", "100", "100", "100", "111"},
	'M': {"101", "111", "111", "101", "101"}, 'N': {"110", "101", "101", "101", "101"},
	'O': {"010", "101", "101", "101", "010"}, 'P': {"110", "101", "110", "100", "100"},
	'Q': {"010", "101", "101", "110", "011"}, 'R': {"110", "101", "110", "101", "101"},
	'S': {"011", "100", "010", "001", "110"}, 'T': {"111", "010", "010", "010", "010"},
	'U': {"101", "101", "101", "101", "111"}, 'V': {"101", "101", "101", "101", "010"},
	'W': {"101", "101", "111", "111", "101"}, 'X': {"101", "101", "010", "101", "101"},
	'Y': {"101", "101", "010", "010", "010"}, 'Z': {"111", "001", "010", "100", "111"},
	'0': {"111", "101", "101", "101", "111"}, '1': {"010", "110", "010", "010", "111"},
	'2': {"110", "001", "010", "100", "111"}, '3': {"110", "001", "010", "001", "110"},
	'4': {"101", "101", "111", "001", "001"}, '5': {"111", "100", "110", "001", "110"},
	'6': {"011", "100", "111", "101", "111"}, '7': {"111", "001", "010", "010", "010"},
	'8': {"111", "101", "111", "101", "111"}, '9': {"111", "101", "111", "001", "110"},
	'.': {"000", "000", "000", "000", "010"}, ',': {"000", "000", "000", "010", "100"},
	'(': {"001", "010", "010", "010", "001"}, ')': {"100", "010", "010", "010", "100"},
	'-': {"000", "000", "111", "000", "000"}, '=': {"000", "111", "000", "111", "000"},
	'/': {"001", "001", "010", "100", "100"}, ' ': {"000", "000", "000", "000", "000"},
}

type canvas struct{ *image.RGBA }

func (c canvas) rect(x0, y0, x1, y1 int, col color.Color) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			c.Set(x, y, col)
		}
	}
}

// line draws a line of the given width (Bresenham, thickened with squares).
func (c canvas) line(x0, y0, x1, y1, width int, col color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	h := width / 2
	for {
		c.rect(x0-h, y0-h, x0-h+width, y0-h+width, col)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

// text draws s in the tiny font, scale pixels per font pixel, from (x, y)
// its top left; it returns the width drawn.
func (c canvas) text(x, y, scale int, s string, col color.Color) int {
	cx := x
	for _, r := range strings.ToUpper(s) {
		g, ok := font3x5[r]
		if !ok {
			g = font3x5[' ']
		}
		for row, bits := range g {
			for i, bit := range bits {
				if bit == '1' {
					c.rect(cx+i*scale, y+row*scale, cx+(i+1)*scale, y+(row+1)*scale, col)
				}
			}
		}
		cx += 4 * scale
	}
	return cx - x
}

func textWidth(s string, scale int) int { return len([]rune(s)) * 4 * scale }

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

func sign(a int) int {
	switch {
	case a < 0:
		return -1
	case a > 0:
		return 1
	}
	return 0
}

// niceStep is a 1, 2 or 5 times a power of ten giving about 6 ticks up to max.
func niceStep(max float64) float64 {
	raw := max / 6
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// writePlot draws update time against instances: Borealis, Swarm and the
// lower bound, with axes, ticks, labels and a legend.
func writePlot(path string, pts []scalePoint) error {
	const W, H = 900, 560
	const left, right, top, bottom = 90, 40, 90, 80
	c := canvas{image.NewRGBA(image.Rect(0, 0, W, H))}
	c.rect(0, 0, W, H, white)

	maxN, maxY := 0, 0.0
	for _, p := range pts {
		maxN = max(maxN, p.n)
		maxY = max(maxY, p.borealis, p.swarm, p.bound)
	}
	if maxN == 0 || maxY == 0 {
		return fmt.Errorf("nothing to plot")
	}
	step := niceStep(maxY)
	yTop := math.Ceil(maxY/step) * step
	xMax := float64(maxN) * 1.08
	px := func(n float64) int { return left + int(n/xMax*float64(W-left-right)) }
	py := func(s float64) int { return H - bottom - int(s/yTop*float64(H-top-bottom)) }

	// Grid and y ticks.
	for v := 0.0; v <= yTop+step/2; v += step {
		y := py(v)
		c.rect(left, y, W-right, y+1, gridGrey)
		c.rect(left-8, y, left, y+2, black)
		label := strconv.FormatFloat(v, 'f', -1, 64)
		c.text(left-12-textWidth(label, 2), y-5, 2, label, black)
	}
	// Axes.
	c.rect(left, top-10, left+2, H-bottom+1, black)
	c.rect(left, H-bottom, W-right, H-bottom+2, black)
	// X ticks at each measured size.
	for _, p := range pts {
		x := px(float64(p.n))
		c.rect(x, H-bottom, x+2, H-bottom+8, black)
		label := strconv.Itoa(p.n)
		c.text(x-textWidth(label, 2)/2, H-bottom+14, 2, label, black)
	}
	c.text(left+(W-left-right)/2-textWidth("INSTANCES (BATCH 5)", 2)/2, H-bottom+44, 2, "INSTANCES (BATCH 5)", black)
	c.text(left-60, top-40, 2, "SECONDS", black)
	c.text(W/2-textWidth("ROLLING UPDATE TIME", 3)/2, 12, 3, "ROLLING UPDATE TIME", black)

	series := []struct {
		name string
		col  color.Color
		val  func(scalePoint) float64
	}{
		{"BOREALIS", blue, func(p scalePoint) float64 { return p.borealis }},
		{"DOCKER SWARM", orange, func(p scalePoint) float64 { return p.swarm }},
		{"LOWER BOUND", boundGrey, func(p scalePoint) float64 { return p.bound }},
	}
	// A value of 0 is a figure that failed: no point, no line to it.
	for _, s := range series {
		for i, p := range pts {
			x, y := px(float64(p.n)), py(s.val(p))
			if q := pts[max(i-1, 0)]; i > 0 && s.val(p) > 0 && s.val(q) > 0 {
				c.line(px(float64(q.n)), py(s.val(q)), x, y, 3, s.col)
			}
		}
		for _, p := range pts {
			if s.val(p) > 0 {
				x, y := px(float64(p.n)), py(s.val(p))
				c.rect(x-5, y-5, x+6, y+6, s.col)
			}
		}
	}
	// Legend: a coloured box and the name of each series.
	lx := left + 20
	for _, s := range series {
		c.rect(lx, top-40, lx+18, top-22, s.col)
		lx += 26
		lx += c.text(lx, top-36, 2, s.name, black) + 24
	}

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, c); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
