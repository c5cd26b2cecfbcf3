package poll

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWaitReturnsOnceTrue(t *testing.T) {
	n := 0
	last, ok := Wait(time.Minute, time.Millisecond, func() (bool, string) {
		n++
		return n == 3, strconv.Itoa(n)
	})
	assert.True(t, ok)
	assert.Equal(t, "3", last)
}

func TestWaitGivesUpAtTheDeadline(t *testing.T) {
	start := time.Now()
	n := 0
	last, ok := Wait(50*time.Millisecond, 10*time.Millisecond, func() (bool, string) {
		n++
		return false, "seen " + strconv.Itoa(n)
	})
	assert.False(t, ok)
	assert.Equal(t, "seen "+strconv.Itoa(n), last)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
	assert.GreaterOrEqual(t, n, 2, "checked again at the deadline")
}
