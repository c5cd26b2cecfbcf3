// Command borealis-worker runs Borealis's workflows and activities: it polls
// the task queue on Temporal and runs task containers on the local Docker
// Engine. It serves the SDK's and Borealis's metrics at /metrics on the
// worker.metrics_address setting (empty: off). It shuts down cleanly on
// SIGTERM or SIGINT.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/connect"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/sla"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/worker/registry"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "borealis-worker:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := pflag.NewFlagSet("borealis-worker", pflag.ContinueOnError)
	settings.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := settings.Load(fs)
	if err != nil {
		return err
	}
	for _, n := range st.Notes {
		fmt.Fprintln(os.Stderr, "borealis-worker: note:", n)
	}
	logger := newLogger(st.LogLevel)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	reg := metrics.NewRegistry()
	stopMetrics, err := serveMetrics(st.MetricsAddress, reg, logger)
	if err != nil {
		return err
	}
	defer stopMetrics()

	if _, err := os.Stat(st.RunnerPath); err != nil {
		return fmt.Errorf("runner binary %s: %w (build it with make build, or set %s)", st.RunnerPath, err, settings.EnvName(settings.KeyRunnerPath))
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	docker, err := dockerrun.New(dctx, dockerrun.Options{
		Host:       st.Ports.HostAddress,
		PortRange:  dockerrun.PortRange{Min: st.Ports.Min, Max: st.Ports.Max},
		DataDir:    st.DataDir,
		RunnerPath: st.RunnerPath,
		Endpoint:   st.DockerHost,
		Logger:     logger,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("docker at %s: %w", st.DockerHost, err)
	}
	defer docker.Close()
	if st.SandboxRetention > 0 {
		go docker.SweepSandboxesEvery(ctx, st.SandboxRetention, sweepInterval(st.SandboxRetention))
	}

	opts, err := connect.TemporalOptions(st, logger)
	if err != nil {
		return err
	}
	opts.MetricsHandler = reg.Handler()
	tc, err := connect.Dial(ctx, st, opts)
	if err != nil {
		return err
	}
	defer tc.Close()

	w := worker.New(tc, st.Temporal.TaskQueue, registry.WorkerOptions())
	restart := taskapi.RestartPolicy{
		FlappingThreshold: st.Flapping.Threshold,
		InitialDelay:      st.Flapping.InitialDelay,
		MaxDelay:          st.Flapping.MaxDelay,
	}
	registry.Register(w, &activities.Activities{Runtime: docker, Logger: logger, Restart: restart}, tc,
		registry.WithSLA(sla.Settings{CheckInterval: st.SLA.CheckInterval, MinInstances: st.SLA.MinInstances, NonProduction: st.SLA.NonProduction}))
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	logger.Info("worker started", "temporal", st.Temporal.Address, "namespace", st.Temporal.Namespace,
		"task_queue", st.Temporal.TaskQueue, "data_dir", st.DataDir, "ports", fmt.Sprintf("%s:%d-%d", st.Ports.HostAddress, st.Ports.Min, st.Ports.Max))
	<-ctx.Done()
	logger.Info("shutting down")
	w.Stop()
	return nil
}

// sweepInterval is how often idle sandboxes are looked for: a tenth of the
// retention, between a second and an hour.
func sweepInterval(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Second), time.Hour)
}

// serveMetrics serves reg at http://addr/metrics until the returned stop is
// called: after the worker stopped, so that a last scrape sees its drain.
// With addr "" it serves nothing.
func serveMetrics(addr string, reg *metrics.Registry, logger *slog.Logger) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve metrics: %w (set %s to another address, or to empty to turn metrics off)",
			err, settings.EnvName(settings.KeyWorkerMetricsAddr))
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := metrics.Serve(ctx, ln, reg); err != nil {
			logger.Error("metrics server stopped", "error", err)
		}
	}()
	logger.Info("serving metrics", "address", "http://"+ln.Addr().String()+"/metrics")
	return func() { cancel(); <-served }, nil
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
