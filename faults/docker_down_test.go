package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestDockerUnreachableAtStart stops the worker of a running job and
// starts one whose Docker endpoint does not answer (a unix socket nobody
// listens on, a closed TCP port): it exits non-zero at once with an error
// naming the endpoint. Then a worker with the right endpoint takes the job
// over: the same tasks and containers, nothing lost, nothing doubled.
func TestDockerUnreachableAtStart(t *testing.T) {
	t.Parallel()
	r := scenario(t, "worker started without Docker")
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("nodocker")
	cl.MustRun("job", "create", key, cl.WriteJob(key, "    instances: 2\n"+sleeper), "--wait-until", "RUNNING", "--timeout", "60s")
	before, _ := cl.Consistent(key, 20*time.Second)
	cl.StopWorker()

	dir, err := os.MkdirTemp("", "bf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	for _, host := range []string{"unix://" + filepath.Join(dir, "closed.sock"), "tcp://" + harness.FreeHostPort(t)} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := cl.WorkerCommand("--docker-host", host)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Start()
		if err == nil {
			go func() { <-ctx.Done(); _ = cmd.Process.Kill() }()
			err = cmd.Wait()
		}
		cancel()
		var ee interface{ ExitCode() int }
		switch {
		case err == nil:
			t.Errorf("worker with --docker-host %s: exit 0, want an error:\n%s", host, out.String())
		case !errors.As(err, &ee) || ee.ExitCode() <= 0:
			t.Errorf("worker with --docker-host %s: %v (killed after a minute?), want a non-zero exit:\n%s", host, err, out.String())
		case !strings.Contains(out.String(), host):
			t.Errorf("worker with --docker-host %s: the error does not name the endpoint:\n%s", host, out.String())
		default:
			t.Logf("worker with --docker-host %s: exit %d after %s: %s", host, ee.ExitCode(),
				time.Since(start).Round(time.Millisecond), strings.TrimSpace(out.String()))
		}
		r.add(1, 0, 0)
	}

	cl.StartWorker()
	// The new worker watches the same tasks: nothing replaced...
	harness.Never(t, 5*time.Second, "a task replaced after the worker came back", func() (bool, string) {
		s, err := cl.Status(key)
		if err != nil {
			return true, err.Error()
		}
		return !sameTasks(s, before), s.String()
	})
	s, cs := cl.Consistent(key, 20*time.Second)
	lost, dups := countLostDup(s, cs)
	r.add(0, lost, dups)
	if !sameTasks(s, before) || len(harness.Running(cs)) != 2 || len(cs) != 2 {
		t.Fatalf("want the same 2 tasks and containers as before:\nbefore:\n%snow:\n%s%s", before, s, harness.ListContainers(cs))
	}
	// ...and really watched: a container killed now is restarted.
	checkWatched(t, cl, key, s, 0)
}

// sameTasks tells whether s has exactly the active tasks and containers of
// before and no ended task.
func sameTasks(s, before harness.JobStatus) bool {
	if len(s.Active) != len(before.Active) || len(s.Inactive) != len(before.Inactive) {
		return false
	}
	for _, b := range before.Active {
		a, ok := s.ActiveOf(b.InstanceID)
		if !ok || a.TaskID != b.TaskID || a.ContainerID != b.ContainerID || a.Status != b.Status {
			return false
		}
	}
	return true
}

// checkWatched kills the container of an instance's active task and waits
// until the instance runs a new task, the old one FAILED.
func checkWatched(t *testing.T, cl *harness.Cluster, key string, s harness.JobStatus, instance int) harness.JobStatus {
	t.Helper()
	victim, _ := s.ActiveOf(instance)
	harness.Docker(t, "kill", victim.ContainerID)
	return cl.WaitStatus(key, recovery, fmt.Sprintf("instance %d restarted after docker kill", instance), func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(instance)
		old, found := s.Find(victim.TaskID)
		return ok && a.TaskID != victim.TaskID && a.Status == "RUNNING" && found && old.Status == "FAILED",
			fmt.Sprintf("want instance %d's task %s FAILED and a new one RUNNING", instance, victim.TaskID)
	})
}

// TestDockerCut runs the worker against Docker through a proxy of the
// engine's socket, and cuts the proxy (open connections closed, new ones
// refused) for a while (20 s; long: 60 s, longer than the activities'
// heartbeat timeout), while a container is killed behind Borealis's back.
// Meanwhile no task is LOST, replaced or doubled. After the proxy is
// restored the worker recovers by itself: the exit it missed is noticed
// (that instance gets a new task), and a container killed afterwards is
// restarted too.
func TestDockerCut(t *testing.T) {
	t.Parallel()
	cut := pick(20*time.Second, 60*time.Second)
	r := scenario(t, fmt.Sprintf("Docker unreachable for %s", cut))
	dir, err := os.MkdirTemp("", "bf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p, err := newProxy(filepath.Join(dir, "docker.sock"), dockerSocket())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)

	cl := env.NewCluster(t, harness.Flapping{})
	cl.StopWorker()
	cl.WorkerArgs = []string{"--docker-host", "unix://" + p.path}
	cl.StartWorker()
	key := cl.Job("cut")
	cl.MustRun("job", "create", key, cl.WriteJob(key, "    instances: 3\n"+sleeper), "--wait-until", "RUNNING", "--timeout", "60s")
	before, _ := cl.Consistent(key, 20*time.Second)

	p.cut()
	cutAt := time.Now()
	t.Logf("proxy cut")
	missed, _ := before.ActiveOf(2)
	harness.Docker(t, "kill", missed.ContainerID)
	harness.Never(t, cut, "while Docker is unreachable, a task is LOST, replaced or doubled", func() (bool, string) {
		s, err := cl.Status(key)
		if err != nil {
			return true, err.Error()
		}
		lost, dups := countLostDup(s, harness.Containers(t, key))
		return !sameTasks(s, before) || lost+dups > 0, s.String()
	})
	p.restore()
	t.Logf("proxy restored after %s (%d connections cut)", time.Since(cutAt).Round(time.Millisecond), p.cuts())

	s := cl.WaitStatus(key, recovery, "the exit missed while cut noticed: instance 2 restarted", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(2)
		old, found := s.Find(missed.TaskID)
		return ok && a.TaskID != missed.TaskID && a.Status == "RUNNING" && found && (old.Status == "FAILED" || old.Status == "LOST"),
			"want instance 2's task ended and a new one RUNNING"
	})
	if old, _ := s.Find(missed.TaskID); old.Status != "FAILED" {
		t.Logf("the container killed while Docker was unreachable ended %s:%s", old.Status, old.Events())
	}
	checkWatched(t, cl, key, s, 0)
	s, cs := cl.Consistent(key, 20*time.Second)
	lost, dups := countLostDup(s, cs)
	r.add(1, lost, dups)
	if len(harness.Running(cs)) != 3 || len(s.Active) != 3 {
		t.Errorf("want 3 active tasks and 3 running containers:\n%s%s", s, harness.ListContainers(cs))
	}
	if a, _ := s.ActiveOf(1); a.TaskID != before.Active[1].TaskID {
		t.Errorf("instance 1 was not touched, yet its task changed:\nbefore:\n%snow:\n%s", before, s)
	}
}

// dockerSocket is the path of the engine's unix socket (DOCKER_HOST when it
// names one).
func dockerSocket() string {
	if h, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		return h
	}
	return "/var/run/docker.sock"
}

// proxy forwards connections on a unix socket to another one until it is
// cut: then it closes every connection and refuses new ones (the socket
// file stays, nobody listens) until it is restored.
type proxy struct {
	path, target string

	mu     sync.Mutex
	ln     *net.UnixListener
	conns  map[net.Conn]struct{}
	closed int
	wg     sync.WaitGroup
}

func newProxy(path, target string) (*proxy, error) {
	p := &proxy{path: path, target: target, conns: map[net.Conn]struct{}{}}
	return p, p.listen()
}

func (p *proxy) listen() error {
	_ = os.Remove(p.path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: p.path, Net: "unix"})
	if err != nil {
		return err
	}
	ln.SetUnlinkOnClose(false)
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
	return nil
}

func (p *proxy) forward(c net.Conn) {
	up, err := net.Dial("unix", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, c)
	go pipe(c, up)
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// cut stops listening and closes every open connection.
func (p *proxy) cut() {
	p.mu.Lock()
	ln := p.ln
	p.ln = nil
	for c := range p.conns {
		c.Close()
		p.closed++
	}
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	p.wg.Wait()
}

func (p *proxy) cuts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed / 2
}

func (p *proxy) restore() {
	if err := p.listen(); err != nil {
		panic(fmt.Sprintf("proxy: listen again on %s: %v", p.path, err))
	}
}

func (p *proxy) close() {
	p.cut()
	_ = os.Remove(p.path)
}
