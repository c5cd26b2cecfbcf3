// Command borealis-worker runs Borealis's workflows and activities: it polls
// the task queue on Temporal and runs task containers on the local Docker
// Engine. It shuts down cleanly on SIGTERM or SIGINT.
package main

import (
	"context"
	"fmt"
	"log/slog"
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
	logger := newLogger(st.LogLevel)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if st.DockerHost != "" {
		os.Setenv("DOCKER_HOST", st.DockerHost)
	}
	if _, err := os.Stat(st.RunnerPath); err != nil {
		return fmt.Errorf("runner binary %s: %w (build it with make build, or set %s)", st.RunnerPath, err, settings.EnvName(settings.KeyRunnerPath))
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	docker, err := dockerrun.New(dctx, dockerrun.Options{
		Host:       st.Ports.HostAddress,
		PortRange:  dockerrun.PortRange{Min: st.Ports.Min, Max: st.Ports.Max},
		DataDir:    st.DataDir,
		RunnerPath: st.RunnerPath,
		Logger:     logger,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("docker at %s: %w", st.DockerHost, err)
	}
	defer docker.Close()

	tc, err := connect.Temporal(ctx, st, logger)
	if err != nil {
		return err
	}
	defer tc.Close()

	w := worker.New(tc, st.Temporal.TaskQueue, worker.Options{
		// Health activities heartbeat their counters after every check; a
		// retried activity resumes from the last one the server got.
		MaxHeartbeatThrottleInterval: time.Second,
	})
	registry.Register(w, &activities.Activities{Runtime: docker, Logger: logger})
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

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}
