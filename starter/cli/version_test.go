package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/version"
	"github.com/borealis-dev/borealis/worker/registry"
)

// TestVersionCommand: `borealis version` and `borealis --version` print
// the same line, without settings or Temporal.
func TestVersionCommand(t *testing.T) {
	want := version.Line("borealis") + "\n"
	assert.Regexp(t, `^borealis \S+ \(go\S+, workflows \d+\)\n$`, want)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, stderr, code := run(t, append(args, "--temporal-address", "nowhere.invalid:1")...)
		require.Equal(t, ExitOK, code, stderr)
		assert.Equal(t, want, out, args)
		assert.Empty(t, stderr, args)
	}
	_, _, code := run(t, "version", "extra")
	assert.Equal(t, ExitInvalidCommand, code)
	_, _, code = run(t, "job", "--version")
	assert.Equal(t, ExitInvalidCommand, code, "--version is the root's alone")
}

func TestVersionWarning(t *testing.T) {
	self := version.Info{Version: "1a2b3c4", Go: "go1.26.8", Workflows: 2}
	id := func(v string, n int) string { return fmt.Sprintf("borealis-worker/%s/workflows-%d@host:1", v, n) }

	assert.Empty(t, versionWarning("q", nil, self))
	assert.Empty(t, versionWarning("q", []string{id("5d6e7f8", 2), "1234@old-host", "", "borealis-worker/junk"}, self),
		"the same number, and identities of older workers, are no difference")

	assert.Equal(t, `borealis-worker 5d6e7f8 (workflows 1) polls task queue "q" but this is borealis 1a2b3c4 (workflows 2): `+
		`one may send workflow inputs the other does not understand; run the same version of both (docs/operations.md)`,
		versionWarning("q", []string{id("1a2b3c4", 2), id("5d6e7f8", 1), id("5d6e7f8", 1)}, self))

	got := versionWarning("q", []string{id("v9", 3), id("5d6e7f8", 1)}, self)
	assert.True(t, strings.HasPrefix(got, `borealis-worker 5d6e7f8 (workflows 1), borealis-worker v9 (workflows 3) poll task queue "q" but`), got)
}

// TestVersionWarningOnce: a command that checks the workers twice warns
// once; a nil checker warns never.
func TestVersionWarningOnce(t *testing.T) {
	var buf bytes.Buffer
	v := newWorkerVersions(&buf)
	other := []*taskqueuepb.PollerInfo{{Identity: fmt.Sprintf("borealis-worker/old/workflows-%d@h:1", version.Workflows+1)}}
	v.check("q", []*taskqueuepb.PollerInfo{{Identity: version.WorkerIdentity("h", 1)}})
	assert.Empty(t, buf.String(), "a worker of this build")
	v.check("q", other)
	v.check("q", other)
	assert.Equal(t, 1, strings.Count(buf.String(), "\n"), buf.String())
	assert.True(t, strings.HasPrefix(buf.String(), "Warning: borealis-worker old (workflows "), buf.String())
	(*workerVersions)(nil).check("q", other)
}

// TestVersionWarningFromPollers: a worker polling the task queue with
// another workflows number in its identity makes a command that checks
// for workers warn once on stderr; the test cluster's worker, with the
// SDK's default identity, makes none.
func TestVersionWarningFromPollers(t *testing.T) {
	fake := dockerrun.NewFake()
	cl := newCluster(t, fake, "")
	key := cl.key("versions")
	cl.mustRun("job", "create", key, cl.writeJob("versions", webJob), "--wait-until", "running", "--timeout", "60s")
	_, stderr, code := cl.run("job", "status", key)
	require.Equal(t, ExitOK, code, stderr)
	assert.NotContains(t, stderr, "borealis-worker")

	identity := fmt.Sprintf("borealis-worker/0ld1234/workflows-%d@test-host:1", version.Workflows+1)
	w := worker.New(cl.c, cl.queue, worker.Options{Identity: identity})
	registry.Register(w, &activities.Activities{Runtime: fake, Logger: quiet}, cl.c)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	require.Eventually(t, func() bool {
		resp, err := cl.c.DescribeTaskQueue(context.Background(), cl.queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err != nil {
			return false
		}
		for _, p := range resp.GetPollers() {
			if p.GetIdentity() == identity {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "the second worker never polled")

	_, stderr, code = cl.run("job", "status", key)
	require.Equal(t, ExitOK, code, stderr)
	warning := fmt.Sprintf("Warning: borealis-worker 0ld1234 (workflows %d) polls task queue %q but this is borealis %s (workflows %d)",
		version.Workflows+1, cl.queue, version.Get().Version, version.Workflows)
	assert.Equal(t, 1, strings.Count(stderr, warning), stderr)
	cl.mustRun("job", "killall", key)
}
