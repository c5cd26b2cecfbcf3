package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
)

// scriptedFrames returns a frame function that answers with frames in
// turn (the last one ended), and how many times it was called.
type scriptedFrame struct {
	text  string
	ended bool
	err   error
}

func scriptedFrames(frames ...scriptedFrame) (statusFrameFunc, *int) {
	calls := 0
	return func(_ context.Context, look statusLook) (string, bool, error) {
		f := frames[min(calls, len(frames)-1)]
		calls++
		return f.text, f.ended, f.err
	}, &calls
}

var watchClock = time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)

// Off a terminal a block is printed for each change only, plain lines
// with the time above; a failure to read goes to stderr once and the watch
// goes on; the end of the job ends it.
func TestStatusWatcherPlainPrintsChangesOnly(t *testing.T) {
	frame, calls := scriptedFrames(
		scriptedFrame{text: "A\n"}, scriptedFrame{text: "A\n"},
		scriptedFrame{text: "B\n"},
		scriptedFrame{err: errors.New("worker gone")}, scriptedFrame{err: errors.New("worker gone")},
		scriptedFrame{text: "B\n"},
		scriptedFrame{text: "C\n", ended: true},
	)
	var out, errOut bytes.Buffer
	w := &statusWatcher{out: &out, errOut: &errOut, interval: time.Millisecond, now: func() time.Time { return watchClock }}
	require.NoError(t, w.run(context.Background(), frame))
	assert.Equal(t, 7, *calls)
	assert.Equal(t, "--- 2026-01-02 03:04:05 ---\nA\n\n--- 2026-01-02 03:04:05 ---\nB\n\n--- 2026-01-02 03:04:05 ---\nC\n", out.String())
	assert.Equal(t, "Warning: reading the status failed (trying again every 1ms): worker gone\n", errOut.String())
}

// On a terminal every frame is drawn from the top left, each line cleared
// to its end and the rest of the screen below, under the header.
func TestStatusWatcherTerminalRedraws(t *testing.T) {
	frame, _ := scriptedFrames(
		scriptedFrame{text: "Job x: 2 active\nrow 0\nrow 1\n"},
		scriptedFrame{err: errors.New("no answer")},
		scriptedFrame{text: "Job x: 1 active\nrow 0\n", ended: true},
	)
	var out, errOut bytes.Buffer
	w := &statusWatcher{out: &out, errOut: &errOut, interval: time.Millisecond, terminal: true,
		header: []string{"Every 1ms: borealis job status x", "Web UI: http://ui"}, now: func() time.Time { return watchClock }}
	require.NoError(t, w.run(context.Background(), frame))
	frames := strings.Split(out.String(), ansiHome)
	require.Len(t, frames, 4, "three drawings: %q", out.String())
	assert.Empty(t, frames[0])
	assert.Equal(t, "Every 1ms: borealis job status x    2026-01-02 03:04:05\x1b[K\nWeb UI: http://ui\x1b[K\n\x1b[K\n"+
		"Job x: 2 active\x1b[K\nrow 0\x1b[K\nrow 1\x1b[K\n\x1b[J", frames[1])
	assert.Contains(t, frames[2], "row 1\x1b[K\n\x1b[K\n03:04:05: reading the status failed (trying again every 1ms): no answer\x1b[K\n\x1b[J",
		"a failure shows under the last status")
	assert.True(t, strings.HasSuffix(frames[3], "Job x: 1 active\x1b[K\nrow 0\x1b[K\n\x1b[J"), "%q", frames[3])
	assert.Empty(t, errOut.String(), "nothing on stderr to break the drawing")
}

// The first reading's failure is the command's; an interrupt (the context
// done) ends the watch without error.
func TestStatusWatcherFirstFailureAndInterrupt(t *testing.T) {
	frame, _ := scriptedFrames(scriptedFrame{err: errorf(ExitCommandFailure, "job x not found")})
	w := &statusWatcher{out: &bytes.Buffer{}, errOut: &bytes.Buffer{}, interval: time.Millisecond}
	err := w.run(context.Background(), frame)
	assert.Equal(t, ExitCommandFailure, exitCode(err), err)

	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	var out bytes.Buffer
	w = &statusWatcher{out: &out, errOut: &bytes.Buffer{}, interval: time.Millisecond}
	err = w.run(ctx, func(ctx context.Context, _ statusLook) (string, bool, error) {
		calls++
		if calls == 3 {
			cancel() // Ctrl-C while reading
			return "", false, ctx.Err()
		}
		return fmt.Sprintf("frame %d\n", calls), false, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, calls)
	assert.NotContains(t, out.String(), "frame 3")
	assert.Contains(t, out.String(), "frame 2\n")
}

// --watch refuses --write-json and a watch interval without --watch (exit
// 5, as other flag errors) and too short an interval (exit 6), all before
// anything is contacted; the job key is checked first.
func TestJobStatusWatchFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"a/b/c/d", "--watch", "--write-json"}, ExitInvalidCommand, "--watch and --write-json do not go together"},
		{[]string{"a/b/c/*", "--write-json", "--watch"}, ExitInvalidCommand, "--watch and --write-json do not go together"},
		{[]string{"a/b/c/d", "--watch-interval", "5s"}, ExitInvalidCommand, "--watch-interval goes with --watch"},
		{[]string{"a/b/c/d", "--watch", "--watch-interval", "10ms"}, ExitInvalidParameter, "--watch-interval 10ms: want at least 100ms"},
		{[]string{"a/b/c/d", "--watch", "--watch-interval", "soon"}, ExitInvalidCommand, `invalid argument "soon"`},
		{[]string{"a/b/c/d/0", "--watch", "--write-json"}, ExitInvalidParameter, "job key or pattern"},
	} {
		var out, errOut bytes.Buffer
		args := append([]string{"job", "status", "--temporal-address", "127.0.0.1:1"}, c.args...)
		code := Main(args, strings.NewReader(""), &out, &errOut)
		assert.Equal(t, c.code, code, "%v: %s", c.args, errOut.String())
		assert.Contains(t, errOut.String(), c.msg, c.args)
		assert.Empty(t, out.String(), c.args)
	}
}

// watching is a `job status --watch` running in the background.
type watching struct {
	out, errOut *syncBuffer
	done        <-chan int
}

// startWatch runs `job status ARG --watch` with a short interval.
func startWatch(cl *cluster, arg string) *watching {
	w := &watching{}
	w.out, w.errOut, w.done = cl.start("job", "status", arg, "--watch", "--watch-interval", "100ms")
	return w
}

// wait returns the watch's exit code once it has ended by itself.
func (w *watching) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-w.done:
		return code
	case <-time.After(90 * time.Second):
		t.Fatalf("the watch did not end:\n%s\n%s", w.out, w.errOut)
		return -1
	}
}

var blockHead = regexp.MustCompile(`(?m)^--- \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ---\n`)

// blocks splits a watch's stdout (after its Web UI line) into its blocks.
func blocks(out string) []string {
	var bs []string
	for _, b := range blockHead.Split(out, -1)[1:] {
		bs = append(bs, strings.TrimSuffix(b, "\n"))
	}
	return bs
}

// TestJobStatusWatch: off a terminal `job status --watch` prints a block
// when the job changes, never the same block twice in a row, and ends by
// itself (exit 0) once the job is killed; a pattern's watch ends once no
// running job matches.
func TestJobStatusWatch(t *testing.T) {
	cl := newCluster(t, dockerrun.NewFake(), "")
	key := cl.key("watched")
	cl.mustRun("job", "create", key, cl.writeJob("watched", webJob), "--wait-until", "RUNNING", "--timeout", "60s")
	pattern := "test/" + cl.role
	poll.Until(t, 30*time.Second, "the job is listed as running", func() (bool, string) {
		out, _, _ := cl.run("job", "list", pattern, "--write-json")
		return strings.Contains(out, key), out
	})

	one := startWatch(cl, key)
	all := startWatch(cl, pattern)
	poll.Until(t, 30*time.Second, "the first block shows", func() (bool, string) {
		bs := blocks(one.out.String())
		return len(bs) == 1 && strings.Contains(bs[0], "Job "+key+": 2 active of 2 instances\n"), one.out.String() + one.errOut.String()
	})
	poll.Until(t, 30*time.Second, "the pattern's first block shows", func() (bool, string) {
		return len(blocks(all.out.String())) == 1, all.out.String() + all.errOut.String()
	})

	cl.mustRun("job", "kill", key+"/1")
	poll.Until(t, 30*time.Second, "a new block shows the kill", func() (bool, string) {
		bs := blocks(one.out.String())
		return strings.Contains(bs[len(bs)-1], "Job "+key+": 1 active of 1 instances\n"), one.out.String()
	})
	cl.mustRun("job", "killall", key)
	require.Equal(t, ExitOK, one.wait(t), one.errOut.String())
	require.Equal(t, ExitOK, all.wait(t), all.errOut.String())

	out := one.out.String()
	assert.True(t, strings.HasPrefix(out, "Web UI: http://localhost:8233/namespaces/default/workflows/job%2F"), out)
	assert.Equal(t, 1, strings.Count(out, "Web UI: "), "the address once, above the blocks")
	assert.NotContains(t, out, "\x1b", "no escape codes off a terminal")
	assert.NotContains(t, out, " ago)", "a block leaves out how long ago")
	bs := blocks(out)
	require.GreaterOrEqual(t, len(bs), 3, out)
	for i := 1; i < len(bs); i++ {
		assert.NotEqual(t, bs[i-1], bs[i], "block %d repeats the one before:\n%s", i, out)
	}
	assert.Contains(t, bs[len(bs)-1], "Job "+key+": 0 active of 0 instances (killed)\n", "the last block is the killed job")
	assert.Regexp(t, `(?m)^0\s+\S+\s+KILLED \(ended\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\S+\s+initial\s`, bs[len(bs)-1])

	pbs := blocks(all.out.String())
	require.GreaterOrEqual(t, len(pbs), 2, all.out.String())
	assert.Contains(t, pbs[0], "Job "+key+": 2 active of 2 instances\n")
	assert.Equal(t, "Found no jobs matching "+pattern, pbs[len(pbs)-1], "the pattern's watch ends when none matches")
}
