package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/internal/testenv"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/taskapi"
)

// dockerSetup makes sure the images and a runner binary exist (built from
// this checkout by testenv.Images) and returns the runner's path.
func dockerSetup(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	runner, err := testenv.Images(ctx)
	require.NoError(t, err, "Docker setup (needs a Docker Engine and busybox-static)")
	return runner
}

// TestTaskCommandsDocker runs task run, logs and ssh against real
// containers started by a worker on the real Docker runtime.
func TestTaskCommandsDocker(t *testing.T) {
	runner := dockerSetup(t)
	dataDir := t.TempDir()
	ctx := context.Background()
	docker, err := dockerrun.New(ctx, dockerrun.Options{
		PortRange:  dockerrun.PortRange{Min: 33000, Max: 33999},
		DataDir:    dataDir,
		RunnerPath: runner,
		Logger:     quiet,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = docker.Close() })

	cl := newCluster(t, docker, dataDir, "--runner-path", runner, "--ports-range", "33000-33999")
	key := cl.key("hello")
	k, err := jobkey.Parse(key)
	require.NoError(t, err)
	t.Cleanup(func() {
		tasks, _ := docker.List(ctx, k)
		for _, s := range tasks {
			_ = docker.Remove(ctx, s.TaskID, dockerrun.RemoveOptions{Sandbox: true})
		}
	})
	cfg := cl.writeJob("hello", `  service: true
  instances: 2
  task:
    processes:
    - name: hello
      cmdline: 'echo hello from {{mesos.instance}} on {{thermos.ports[http]}}; while true; do sleep 1; done'
    resources: {cpu: 0.1, ram: 32MB, disk: 32MB}
`)
	cl.mustRun("job", "create", key, cfg, "--wait-until", "RUNNING", "--timeout", "90s")
	job := statusOf(t, cl, key)
	ports := map[int]int{}
	for _, tk := range tasksOf(job, "active") {
		ports[int(tk["instanceId"].(float64))] = int(tk["assignedPorts"].(map[string]any)["http"].(float64))
	}
	require.Len(t, ports, 2)

	// task run: templates filled per task, in the sandbox, prefixed per instance.
	out := cl.mustRun("task", "run", key, "echo", "port", "{{thermos.ports[http]}}", "of", "{{mesos.instance}}", "in", "$(pwd)")
	assert.Equal(t, fmt.Sprintf("[0] port %d of 0 in /sandbox\n[1] port %d of 1 in /sandbox\n", ports[0], ports[1]), out)

	out, stderr, code := cl.run("task", "run", key+"/1", "echo oops >&2; exit 3")
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Equal(t, "[1] oops\n", out)
	assert.Contains(t, stderr, "[1] exit status 3")

	// task logs: what the process printed.
	require.Eventually(t, func() bool {
		out, _, code := cl.run("task", "logs", key+"/0")
		return code == ExitOK && strings.Contains(out, fmt.Sprintf("hello from 0 on %d", ports[0]))
	}, 10*time.Second, 100*time.Millisecond)

	// task ssh --command: the non-interactive path of the shell.
	out = cl.mustRun("task", "ssh", key+"/1", "--command", "echo hi from $(pwd) {{mesos.instance}}")
	assert.Equal(t, "hi from /sandbox 1\n", out)
	_, stderr, code = cl.run("task", "ssh", key+"/1", "--command", "exit 2")
	assert.Equal(t, ExitCommandFailure, code)
	assert.Contains(t, stderr, "status 2")

	// After killall, logs come from the newest ended task; run finds nothing RUNNING.
	cl.mustRun("job", "killall", key)
	out = cl.mustRun("task", "logs", key+"/0")
	assert.Contains(t, out, fmt.Sprintf("hello from 0 on %d", ports[0]))
	_, stderr, code = cl.run("task", "run", key, "true")
	assert.Equal(t, ExitCommandFailure, code)
	assert.Contains(t, stderr, "no RUNNING task")
}

func TestDockerExecArgs(t *testing.T) {
	loc := taskapi.TaskLocation{ContainerID: "c0ffee", Endpoint: "unix:///run/docker.sock", WorkDir: "/sandbox"}
	base := []string{"--host", "unix:///run/docker.sock", "exec", "-i", "-w", "/sandbox"}
	assert.Equal(t, append(base, "-t", "c0ffee", "/bin/sh"), dockerExecArgs(loc, "", true))
	assert.Equal(t, append(base, "c0ffee", "/bin/sh"), dockerExecArgs(loc, "", false))
	assert.Equal(t, append(base, "c0ffee", "/bin/sh", "-c", "ls"), dockerExecArgs(loc, "ls", true))
}

func TestReachable(t *testing.T) {
	host, err := os.Hostname()
	require.NoError(t, err)
	sock := filepath.Join(t.TempDir(), "docker.sock")
	require.NoError(t, os.WriteFile(sock, nil, 0o600))
	ctx := context.Background()
	assert.NoError(t, reachable(ctx, taskapi.TaskLocation{Endpoint: "unix://" + sock, Hostname: host}))
	assert.ErrorContains(t, reachable(ctx, taskapi.TaskLocation{Endpoint: "unix://" + sock, Hostname: host + "-elsewhere"}), "another host")
	assert.Error(t, reachable(ctx, taskapi.TaskLocation{Endpoint: "unix://" + sock + ".missing", Hostname: host}))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	assert.NoError(t, reachable(ctx, taskapi.TaskLocation{Endpoint: "tcp://" + addr}))
	require.NoError(t, l.Close())
	assert.Error(t, reachable(ctx, taskapi.TaskLocation{Endpoint: "tcp://" + addr}))
}

// TestJobStatusHealthDocker shows a running task's health checks, read
// live from the health watch's heartbeat, and the snooze file.
func TestJobStatusHealthDocker(t *testing.T) {
	runner := dockerSetup(t)
	dataDir := t.TempDir()
	ctx := context.Background()
	docker, err := dockerrun.New(ctx, dockerrun.Options{
		PortRange:  dockerrun.PortRange{Min: 34000, Max: 34999},
		DataDir:    dataDir,
		RunnerPath: runner,
		Logger:     quiet,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = docker.Close() })
	cl := newCluster(t, docker, dataDir, "--runner-path", runner)
	key := cl.key("demo")
	k, err := jobkey.Parse(key)
	require.NoError(t, err)
	t.Cleanup(func() {
		tasks, _ := docker.List(ctx, k)
		for _, s := range tasks {
			_ = docker.Remove(ctx, s.TaskID, dockerrun.RemoveOptions{Sandbox: true})
		}
	})
	cfg := cl.writeJob("demo", `  service: true
  container: {docker: {image: 'borealis/demo:latest'}}
  health_check_config: {initial_interval_secs: 1, interval_secs: 0.2}
  lifecycle: {http: {graceful_shutdown_wait_secs: 1, shutdown_wait_secs: 1}}
  task:
    processes:
    - name: demo
      cmdline: 'borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}}'
    resources: {cpu: 0.1, ram: 32MB, disk: 32MB}
`)
	cl.mustRun("job", "create", key, cfg, "--wait-until", "RUNNING", "--timeout", "90s")
	poll.Until(t, 20*time.Second, "a passing check shows", func() (bool, string) {
		out, stderr, code := cl.run("job", "status", key)
		return code == ExitOK && strings.Contains(out, "RUNNING") && strings.Contains(out, " ok (") && strings.Contains(out, "  no\n"), out + stderr
	})

	cl.mustRun("task", "run", key+"/0", "touch .healthchecksnooze")
	poll.Until(t, 60*time.Second, "the snooze shows", func() (bool, string) {
		out, stderr, code := cl.run("job", "status", key)
		return code == ExitOK && strings.Contains(out, "snoozed (") && strings.Contains(out, "  yes\n"), out + stderr
	})
	cl.mustRun("job", "killall", key)
}
