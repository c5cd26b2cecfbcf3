package progress

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLine(t *testing.T) {
	p := Progress{State: "ROLLING_FORWARD", Total: 9, Done: 3, InFlight: 3, Failed: 1, Batch: 2}
	assert.Equal(t, "ROLLING_FORWARD: 3 of 9 instances done, 3 in flight, 1 failed, batch 2", Line(p))
	p.Batch = 0
	assert.Equal(t, "ROLLING_FORWARD: 3 of 9 instances done, 3 in flight, 1 failed", Line(p))
	p.Detail = "0=RUNNING 1=STARTING"
	assert.Equal(t, "ROLLING_FORWARD: 3 of 9 instances done, 3 in flight, 1 failed (0=RUNNING 1=STARTING)", Line(p))
}

func TestLinesOnlyOnChange(t *testing.T) {
	var out bytes.Buffer
	r := NewLines(&out)
	p := Progress{State: "RESTARTING", Total: 3, InFlight: 1, Batch: 1}
	r.Update(p)
	r.Update(p)
	p.Done, p.Batch = 1, 2
	r.Update(p)
	r.Update(p)
	p.State = "RESTARTED"
	p.Done, p.InFlight = 3, 0
	r.Update(p)
	r.Done()
	assert.Equal(t, "RESTARTING: 0 of 3 instances done, 1 in flight, 0 failed, batch 1\n"+
		"RESTARTING: 1 of 3 instances done, 1 in flight, 0 failed, batch 2\n"+
		"RESTARTED: 3 of 3 instances done, 0 in flight, 0 failed, batch 2\n", out.String())
}

func TestNewPicksLinesOffTerminal(t *testing.T) {
	var out bytes.Buffer
	_, ok := New(&out).(*Lines)
	assert.True(t, ok, "a buffer is no terminal")
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	assert.False(t, IsTerminal(f), "a regular file is no terminal")
	_, ok = New(f).(*Lines)
	assert.True(t, ok)
}

func TestBar(t *testing.T) {
	var out bytes.Buffer
	b := NewBar(&out)
	b.Done() // before any update: nothing drawn, nothing panics
	assert.Empty(t, out.String())

	b = NewBar(&out)
	b.Update(Progress{State: "ROLLING_FORWARD"}) // no total yet
	b.Update(Progress{State: "ROLLING_FORWARD", Total: 4, InFlight: 2, Batch: 1})
	b.Update(Progress{State: "ROLLING_FORWARD", Total: 4, Done: 2, InFlight: 2, Batch: 2})
	b.Update(Progress{State: "ROLLING_BACK", Total: 4, Done: 1, InFlight: 1, Failed: 1, Batch: 2})
	b.Update(Progress{State: "ROLLED_FORWARD", Total: 4, Done: 4})  // full
	b.Update(Progress{State: "ROLLED_FORWARD", Total: 9, Done: 12}) // more done than total
	b.Done()
	b.Update(Progress{State: "late", Total: 4, Done: 1}) // after Done: ignored
	b.Done()
	s := out.String()
	assert.Contains(t, s, "ROLLING_FORWARD, batch 1: 2 in flight, 0 failed")
	assert.Contains(t, s, "ROLLING_BACK, batch 2: 1 in flight, 1 failed")
	assert.Contains(t, s, "(2/4)")
	assert.Contains(t, s, "ROLLED_FORWARD")
	assert.Contains(t, s, "\r", "redrawn in place")
	assert.True(t, strings.HasSuffix(s, "\n"), "Done ends the line")
	assert.NotContains(t, s, "late")
}

func TestBarConcurrent(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	b := NewBar(lockedWriter{&mu, &out})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				b.Update(Progress{State: "ROLLING_FORWARD", Total: 20, Done: j, InFlight: i})
			}
		}()
	}
	wg.Wait()
	b.Done()
	mu.Lock()
	defer mu.Unlock()
	assert.NotEmpty(t, out.String())
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
