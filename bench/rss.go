package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/borealis-dev/borealis/taskapi"
)

// procStatusKB reads a "Name: N kB" field of /proc/<pid>/status.
func procStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// workerProcess is a bin/borealis-worker started by the bench.
type workerProcess struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// startWorkerProcess runs bin/borealis-worker on queue, as the e2e tests do.
func (b *bench) startWorkerProcess(queue, dir string) (*workerProcess, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "worker.log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(filepath.Join(b.binDir, "borealis-worker"),
		"--temporal-address", b.srv.FrontendHostPort(),
		"--temporal-task-queue", queue,
		"--data-dir", filepath.Join(dir, "data"),
		"--ports-range", rssPorts,
		"--worker-metrics-address", "",
		"--runner-path", filepath.Join(b.binDir, "borealis-runner"),
	)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BOREALIS_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	wp := &workerProcess{cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { _ = cmd.Wait(); close(wp.done) }()
	b.onCleanup("worker process", func(context.Context) error { return wp.stop() })
	return wp, nil
}

// stop sends SIGTERM and waits (SIGKILL after 20 s).
func (wp *workerProcess) stop() error {
	select {
	case <-wp.done:
		return nil
	default:
	}
	_ = wp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-wp.done:
		return nil
	case <-time.After(20 * time.Second):
		_ = wp.cmd.Process.Kill()
		<-wp.done
		return fmt.Errorf("worker %d did not stop within 20 s of SIGTERM; killed", wp.cmd.Process.Pid)
	}
}

// waitStarted waits for the worker's "worker started" line.
func (wp *workerProcess) waitStarted(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		bs, _ := os.ReadFile(wp.log)
		if bytes.Contains(bs, []byte("worker started")) {
			return nil
		}
		select {
		case <-wp.done:
			return fmt.Errorf("worker exited at start:\n%s", bs)
		case <-time.After(100 * time.Millisecond):
		}
	}
	bs, _ := os.ReadFile(wp.log)
	return fmt.Errorf("worker did not start within %s:\n%s", timeout, bs)
}

// figureRSS: the resident memory of bin/borealis-worker with 200 running
// service instances on real Docker.
func (b *bench) figureRSS() error {
	n := b.opt.rssN
	queue := "bench-rss-" + b.session
	wp, err := b.startWorkerProcess(queue, filepath.Join(b.tmp, "rss"))
	if err != nil {
		return err
	}
	if err := wp.waitStarted(30 * time.Second); err != nil {
		return err
	}
	pid := wp.cmd.Process.Pid
	time.Sleep(2 * time.Second)
	idle, err := procStatusKB(pid, "VmRSS")
	if err != nil {
		return err
	}
	key := b.jobKey("rss")
	j, err := loadJob(key, sleeperBody(n, ""))
	if err != nil {
		return err
	}
	t0 := time.Now()
	remove, err := b.createJob(queue, j, taskapi.DefaultRestartPolicy())
	if err != nil {
		return err
	}
	if _, err := b.waitAllRunning(key, n, 20*time.Minute); err != nil {
		return err
	}
	b.logf("rss: %d instances RUNNING after %s", n, time.Since(t0).Round(time.Second))
	// Let the start-up garbage be collected, then sample once per run, 5 s apart.
	time.Sleep(10 * time.Second)
	var samples []float64
	for r := range b.opt.runs {
		if r > 0 {
			time.Sleep(5 * time.Second)
		}
		kb, err := procStatusKB(pid, "VmRSS")
		if err != nil {
			return err
		}
		samples = append(samples, float64(kb)/1024)
	}
	hwm, _ := procStatusKB(pid, "VmHWM")
	threads, _ := procStatusKB(pid, "Threads")
	m := median(samples)
	b.addRow(fmt.Sprintf("Worker RSS with %d running service instances (MiB)", n), fmt.Sprintf("%.0f", m), "—", "—", "≤ 150 MiB", m <= 150)
	b.note("Worker RSS: bin/borealis-worker as its own process (default settings), %d busybox tasks `sleep 100000` without health checks, VmRSS of /proc/<pid>/status read %d time(s) 5 s apart from 10 s after all were RUNNING: %s MiB; idle before the job %.0f MiB, peak (VmHWM) %.0f MiB, %d threads.",
		n, len(samples), floats(samples, "%.0f"), float64(idle)/1024, float64(hwm)/1024, threads)
	remove()
	return wp.stop()
}
