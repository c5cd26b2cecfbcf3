package cli

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/testenv"
	"github.com/borealis-dev/borealis/worker/registry"
)

// The Temporal dev server is started by the first test that needs one and
// shared by the rest; TestMain stops it.
var (
	serverOnce sync.Once
	server     *testsuite.DevServer
	serverErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		_ = server.Stop()
	}
	os.Exit(code)
}

func temporalServer(t *testing.T) *testsuite.DevServer {
	t.Helper()
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		server, serverErr = testenv.NewDevServer(ctx)
	})
	require.NoError(t, serverErr)
	return server
}

var clusterSeq atomic.Int64

// quiet logs only errors, so test output shows what matters.
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

// cluster is a worker on its own task queue of the shared dev server, and
// the settings flags that point the CLI at it.
type cluster struct {
	t     *testing.T
	c     client.Client
	queue string
	role  string
	flags []string
}

// newCluster starts an in-process worker (as bin/borealis-worker runs it)
// over rt, with the CLI's data directory dataDir, and waits until it polls, so that commands see a worker.
// dataDir "" is a new temporary directory.
func newCluster(t *testing.T, rt dockerrun.Runtime, dataDir string, extraFlags ...string) *cluster {
	t.Helper()
	return newClusterWith(t, rt, dataDir, nil, extraFlags...)
}

// newClusterWith is newCluster whose worker also gets what register
// registers (over what the worker registers itself, such as a fake
// activity in place of a real one).
func newClusterWith(t *testing.T, rt dockerrun.Runtime, dataDir string, register func(worker.Registry), extraFlags ...string) *cluster {
	t.Helper()
	srv := temporalServer(t)
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	n := clusterSeq.Add(1)
	c, err := client.Dial(client.Options{
		HostPort:  srv.FrontendHostPort(),
		Namespace: "default",
		Logger:    sdklog.NewStructuredLogger(quiet),
	})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl := &cluster{
		t:     t,
		c:     c,
		queue: fmt.Sprintf("cli-%s-%d", strings.ToLower(t.Name()), n),
		role:  fmt.Sprintf("r%d", n),
	}
	w := worker.New(cl.c, cl.queue, registry.WorkerOptions())
	registry.Register(w, &activities.Activities{Runtime: rt, Logger: quiet, HeartbeatInterval: 200 * time.Millisecond}, cl.c)
	if register != nil {
		register(w)
	}
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	cl.flags = append([]string{
		"--temporal-address", srv.FrontendHostPort(),
		"--temporal-task-queue", cl.queue,
		"--data-dir", dataDir,
	}, extraFlags...)
	require.Eventually(t, func() bool {
		resp, err := cl.c.DescribeTaskQueue(context.Background(), cl.queue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		return err == nil && len(resp.GetPollers()) > 0
	}, 30*time.Second, 50*time.Millisecond, "worker never polled")
	return cl
}

// run runs borealis with the cluster's settings flags placed right after
// the command group and verb (so they precede a `task run` command line).
func (cl *cluster) run(args ...string) (string, string, int) {
	cl.t.Helper()
	cut := min(2, len(args))
	full := append(append(append([]string{}, args[:cut]...), cl.flags...), args[cut:]...)
	var out, errOut bytes.Buffer
	code := Main(full, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), code
}

// mustRun runs a command that must succeed and returns its stdout.
func (cl *cluster) mustRun(args ...string) string {
	cl.t.Helper()
	out, stderr, code := cl.run(args...)
	require.Equal(cl.t, ExitOK, code, "borealis %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, stderr)
	return out
}

// key is a job key private to this cluster.
func (cl *cluster) key(name string) string {
	return "test/" + cl.role + "/prod/" + name
}

// writeJob writes a YAML config of one job and returns its path.
func (cl *cluster) writeJob(name, body string) string {
	cl.t.Helper()
	path := filepath.Join(cl.t.TempDir(), name+".yaml")
	header := fmt.Sprintf("jobs:\n- cluster: test\n  role: %s\n  environment: prod\n  name: %s\n", cl.role, name)
	require.NoError(cl.t, os.WriteFile(path, []byte(header+body), 0o644))
	return path
}
