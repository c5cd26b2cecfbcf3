package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/borealis-dev/borealis/internal/harness"
	"github.com/borealis-dev/borealis/internal/testenv"
	"github.com/borealis-dev/borealis/internal/version"
)

// oldCommit is a commit of this repository whose workers know workflows 1
// (internal/version.Workflows), one fewer than this build.
const oldCommit = "e572208"

// buildOldWorker builds the worker of oldCommit from git history into a
// temporary directory (git archive, so no worktree is left behind) and
// returns its path. A clone without the commit (a shallow one) fails the
// test: fetch the history (git fetch --unshallow).
func buildOldWorker(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot()
	if out, err := exec.Command("git", "-C", root, "cat-file", "-e", oldCommit+"^{commit}").CombinedOutput(); err != nil {
		t.Fatalf("commit %s (the old worker of the rolling upgrade) is not in the repository at %s: %v %s; "+
			"a shallow clone lacks it: run git fetch --unshallow", oldCommit, root, err, out)
	}
	var n int
	if out, err := exec.Command("git", "-C", root, "show", oldCommit+":internal/version/version.go").Output(); err != nil {
		t.Fatalf("git show %s:internal/version/version.go: %v", oldCommit, err)
	} else if _, err := fmt.Sscanf(string(out[bytes.Index(out, []byte("const Workflows = ")):]), "const Workflows = %d", &n); err != nil || n >= version.Workflows {
		t.Fatalf("commit %s: want a workflows number below %d, got %d (%v)", oldCommit, version.Workflows, n, err)
	}

	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	archive := exec.CommandContext(ctx, "sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", root, oldCommit, src)
	if out, err := archive.CombinedOutput(); err != nil {
		t.Fatalf("git archive %s: %v\n%s", oldCommit, err, out)
	}
	bin := filepath.Join(dir, "borealis-worker")
	// No -trimpath: without it the dependencies' compiled packages come
	// from the build cache this tree's builds filled (under a minute
	// instead of two on 2 CPUs).
	build := exec.CommandContext(ctx, "go", "build",
		"-ldflags=-X github.com/borealis-dev/borealis/internal/version.linked="+oldCommit, "-o", bin, "./worker")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build the worker of %s: %v\n%s", oldCommit, err, out)
	}
	t.Logf("built the worker of %s (workflows %d) in %s", oldCommit, n, time.Since(start).Round(time.Millisecond))
	return bin
}

// queuePollers is the identities of the pollers (workflow and activity)
// of queue that polled within the last 75 s, the gate's window.
func queuePollers(t *testing.T, queue string) ([]string, error) {
	var ids []string
	for _, kind := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := env.Temporal.DescribeTaskQueue(ctx, queue, kind)
		cancel()
		if err != nil {
			return nil, err
		}
		for _, p := range resp.GetPollers() {
			if time.Since(p.GetLastAccessTime().AsTime()) < 75*time.Second && !slices.Contains(ids, p.GetIdentity()) {
				ids = append(ids, p.GetIdentity())
			}
		}
	}
	return ids, nil
}

// sideWorker is a worker process the test runs beside the cluster's own.
type sideWorker struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// identity reports whether id is this process's worker identity, of this
// build's workflows number.
func (w *sideWorker) identity(id string) bool {
	_, n, ok := version.ParseIdentity(id)
	return ok && n == version.Workflows && strings.HasSuffix(id, fmt.Sprintf(":%d", w.cmd.Process.Pid))
}

func (w *sideWorker) logText() string {
	b, _ := os.ReadFile(w.log)
	return string(b)
}

// startSideWorker starts cl's worker command (bin/borealis-worker unless
// cl.WorkerBin) with its own log; cleanup stops it (SIGTERM, SIGKILL after
// 15 s) before the cluster's cleanup removes the containers.
func startSideWorker(t *testing.T, cl *harness.Cluster) *sideWorker {
	t.Helper()
	w := &sideWorker{log: filepath.Join(cl.Home, "side-worker.log"), done: make(chan struct{})}
	f, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w.cmd = cl.WorkerCommand()
	w.cmd.Stdout, w.cmd.Stderr = f, f
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.err = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.done:
		case <-time.After(15 * time.Second):
			t.Errorf("the new worker did not stop within 15s of SIGTERM; killing it")
			_ = w.cmd.Process.Kill()
			<-w.done
		}
		if t.Failed() {
			t.Logf("new worker log (%s):\n%s", w.log, w.logText())
		}
	})
	return w
}

// TestRollingUpgrade: a worker of this build (workflows 2) started beside
// one of oldCommit (workflows 1) that runs an update waits without polling;
// once the old one stops, it takes over and finishes the update the old one
// began. Not parallel: building the old worker takes both CPUs for a
// minute, which would slow the container tests beside it.
func TestRollingUpgrade(t *testing.T) {
	oldBin := buildOldWorker(t)
	cl := env.NewCluster(t, harness.Flapping{})
	// The cluster started a worker of this build: the old build's replaces
	// it (nothing has run yet, so nothing was recorded by the new build).
	cl.StopWorker()
	cl.WorkerBin = oldBin
	cl.StartWorker()
	cl.WorkerBin = ""
	var oldID string
	harness.Eventually(t, 30*time.Second, "the old worker polls", func() (bool, string) {
		ids, err := queuePollers(t, cl.Queue)
		if err != nil {
			return false, err.Error()
		}
		for _, id := range ids {
			if v, n, ok := version.ParseIdentity(id); ok && n < version.Workflows && v == oldCommit {
				oldID = id
				return true, ""
			}
		}
		return false, fmt.Sprint(ids)
	})

	// 1. The old worker creates the job and runs the update's first batch.
	key := cl.Job("rolling")
	v1 := harness.Demo{Instances: 3, Version: 1, Bad: -1,
		Update: "{update_strategy: {batch: {batch_size: 1, autopause_after_batch: true}}, watch_secs: 1}"}
	before := cl.Create(key, cl.WriteVersion(key, v1))
	v2 := v1
	v2.Version = 2
	_, id := cl.StartUpdate(key, cl.WriteVersion(key, v2))
	cl.WaitStatusIs(key, id, "ROLL_FORWARD_PAUSED", time.Minute)

	// 2. The new worker waits, saying why, and does not poll.
	nw := startSideWorker(t, cl)
	harness.Eventually(t, 30*time.Second, "the new worker waits for the old one", func() (bool, string) {
		log := nw.logText()
		return strings.Contains(log, "waiting for older workers to stop") && strings.Contains(log, oldID), log
	})
	notPolling := func() (bool, string) {
		ids, err := queuePollers(t, cl.Queue)
		if err != nil {
			return false, ""
		}
		for _, id := range ids {
			if nw.identity(id) {
				return true, fmt.Sprintf("the new worker polls beside the old one: %v\n%s", ids, nw.logText())
			}
		}
		return strings.Contains(nw.logText(), "worker started"), nw.logText()
	}
	harness.Never(t, 3*time.Second, "the new worker does not poll while the old one does", notPolling)
	// The old worker runs the second batch meanwhile.
	if r := cl.MustRun("update", "resume", key); !strings.Contains(r.Stdout, "ROLLING_FORWARD") {
		t.Errorf("update resume: %s", r)
	}
	u := cl.WaitUpdate(key, id, time.Minute, "paused after batch 2", func(u harness.UpdateInfo) bool {
		return u.Status == "ROLL_FORWARD_PAUSED" && hasAction(u, 1, "INSTANCE_UPDATED")
	})
	if hasAction(u, 2, "INSTANCE_UPDATING") {
		t.Fatalf("paused after batch 2: instance 2 started:\n%s", u)
	}
	if bad, why := notPolling(); bad {
		t.Fatalf("after batch 2: %s", why)
	}

	// 3. The old worker stops; the new one starts polling within the
	// gate's window (75 s) and a recheck (5 s) of the old one's last poll.
	stopped := time.Now()
	cl.StopWorker()
	harness.Eventually(t, 2*time.Minute, "the new worker polls", func() (bool, string) {
		select {
		case <-nw.done:
			return false, fmt.Sprintf("the new worker exited: %v\n%s", nw.err, nw.logText())
		default:
		}
		ids, err := queuePollers(t, cl.Queue)
		if err != nil {
			return false, err.Error()
		}
		return slices.ContainsFunc(ids, nw.identity), fmt.Sprint(ids)
	})
	t.Logf("handover: the new worker polled %s after the old one stopped", time.Since(stopped).Round(time.Second))
	log := nw.logText()
	if !strings.Contains(log, "older workers are gone; starting to poll") || !strings.Contains(log, "worker started") {
		t.Errorf("new worker log: want the older workers gone and worker started:\n%s", log)
	}

	// The new worker finishes the update the old one began.
	if r := cl.MustRun("update", "resume", key); !strings.Contains(r.Stdout, "ROLLING_FORWARD") {
		t.Errorf("update resume: %s", r)
	}
	if r := cl.Run("update", "wait", key, id); r.Code != harness.ExitOK || !strings.Contains(r.Stdout, "ROLLED_FORWARD") {
		t.Fatalf("update wait: want exit 0, ROLLED_FORWARD: %s", r)
	}
	u = cl.MustInfo(key, id)
	harness.Once(t, u, harness.Span(3), "INSTANCE_UPDATING", "INSTANCE_UPDATED")
	want := []string{"ROLLING_FORWARD", "ROLL_FORWARD_PAUSED", "ROLLING_FORWARD", "ROLL_FORWARD_PAUSED", "ROLLING_FORWARD", "ROLLED_FORWARD"}
	if got := u.Statuses(); !slices.Equal(got, want) {
		t.Errorf("update states %v, want %v", got, want)
	}
	s := cl.Settled(key, harness.All(3, 2), 30*time.Second)
	harness.ReplacedOnce(t, s, before, harness.Span(3), nil)
	if strings.Contains(nw.logText(), "nondeterministic") || strings.Contains(nw.logText(), "non-determinism") {
		t.Errorf("the new worker met a non-determinism error replaying the old one's histories:\n%s", nw.logText())
	}
}
