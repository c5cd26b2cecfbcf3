package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/syncbuf"

	"github.com/borealis-dev/borealis/internal/harness"
)

// chattyLines is how many numbered lines the task prints first: about
// 390 KiB, more than one page of task logs (256 KiB).
const chattyLines = 60000

// TestTaskIOFromAnotherMachine runs the CLI as on a machine that sees
// neither the task's Docker Engine (DOCKER_HOST is a closed socket) nor its
// sandbox (an empty data directory): task logs, task logs --follow, task
// run and job status still work, as the task's worker answers them.
func TestTaskIOFromAnotherMachine(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("faraway")
	path := cl.WriteJob(key, fmt.Sprintf(`    service: true
    task:
      processes:
        - name: chatty
          cmdline: 'seq 1 %d; echo ready; while [ ! -e stop ]; do sleep 0.1; done; echo stopping'
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`, chattyLines))
	cl.MustRun("job", "create", key, path, "--wait-until", "RUNNING", "--timeout", "60s")
	far := farAway(t)

	// job status: from the workflows alone.
	r := run(t, cl, far, "job", "status", key)
	if r.Code != harness.ExitOK || !strings.Contains(r.Stdout, "RUNNING") {
		t.Fatalf("job status from afar: %s", r)
	}

	// task logs: every line once and in order, across pages.
	harness.Eventually(t, 30*time.Second, "task logs from afar shows the whole output", func() (bool, string) {
		r := run(t, cl, far, "task", "logs", key+"/0")
		return r.Code == harness.ExitOK && strings.HasSuffix(r.Stdout, "ready\n"), r.String()
	})
	r = run(t, cl, far, "task", "logs", key+"/0")
	checkNumbered(t, r.Stdout, "ready\n")

	// task logs --follow prints what comes later and ends with the task.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errOut syncbuf.Buffer
	follow := cl.Command(ctx, far, "task", "logs", "--follow", key+"/0")
	follow.Stdout, follow.Stderr = &out, &errOut
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- follow.Wait() }()
	harness.Eventually(t, 30*time.Second, "task logs --follow caught up", func() (bool, string) {
		return strings.Contains(out.String(), "ready\n"), errOut.String()
	})

	// task run: the command runs in the task's sandbox, templates filled.
	r = run(t, cl, far, "task", "run", key, "echo ran in {{mesos.instance}} at $(pwd); touch stop")
	if r.Code != harness.ExitOK || r.Stdout != "[0] ran in 0 at /sandbox\n" {
		t.Fatalf("task run from afar: %s", r)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("task logs --follow: %v\nstderr: %s", err, errOut.String())
		}
	case <-ctx.Done():
		t.Fatalf("task logs --follow did not end with its task; stdout ends %q", tail(out.String()))
	}
	checkNumbered(t, out.String(), "ready\nstopping\n")
}

// farAway is the environment of a CLI on another machine: a Docker
// endpoint that refuses connections and a data directory with nothing in it.
func farAway(t *testing.T) []string {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return []string{"DOCKER_HOST=unix://" + sock, "BOREALIS_DATA_DIR=" + t.TempDir()}
}

// run runs the CLI with the cluster's settings and env on top.
func run(t *testing.T, cl *harness.Cluster, env []string, args ...string) harness.Result {
	t.Helper()
	r, err := cl.RunWith(2*time.Minute, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkNumbered checks that out, without the runner's own log lines, is
// the lines 1..chattyLines, each once and in order, followed by rest.
func checkNumbered(t *testing.T, out, rest string) {
	t.Helper()
	var task strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		if !strings.Contains(line, "component=borealis-runner") {
			task.WriteString(line)
		}
	}
	out = task.String()
	var want strings.Builder
	for i := 1; i <= chattyLines; i++ {
		fmt.Fprintf(&want, "%d\n", i)
	}
	want.WriteString(rest)
	if out != want.String() {
		got := strings.Split(out, "\n")
		t.Fatalf("want %d numbered lines then %q; got %d lines starting %q, ending %q", chattyLines, rest, len(got), head(out), tail(out))
	}
}

// head is the start of s, for messages.
func head(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// tail is the end of s, for messages.
func tail(s string) string {
	if len(s) > 200 {
		return "..." + s[len(s)-200:]
	}
	return s
}
