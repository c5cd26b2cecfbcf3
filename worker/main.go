// Command borealis-worker runs Borealis's workflows and activities: it polls
// the task queue on Temporal and runs task containers on the local Docker
// Engine. It serves the SDK's and Borealis's metrics at /metrics on the
// worker.metrics_address setting (empty: off), with per-job gauges of its
// host's task containers (metrics.JobCollector) and of the deployment's
// jobs and updates as Temporal's visibility lists them
// (metrics.VisibilityCollector), computed at each scrape. It logs on
// stderr, as text or JSON (log_format). It shuts down cleanly on SIGTERM or
// SIGINT.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/worker"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/connect"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/version"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/sla"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/worker/registry"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		if !errors.As(err, new(loggedError)) {
			fmt.Fprintln(os.Stderr, "borealis-worker:", err)
		}
		os.Exit(1)
	}
}

// run runs the worker with the command line args until SIGTERM or SIGINT,
// logging on stderr.
func run(args []string, stderr io.Writer) (err error) {
	fs := pflag.NewFlagSet("borealis-worker", pflag.ContinueOnError)
	settings.AddFlags(fs)
	showVersion := fs.Bool("version", false, "print the worker's version, Go release and workflows number, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Println(version.Line("borealis-worker"))
		return nil
	}
	st, err := settings.Load(fs)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, st.LogLevel, st.LogFormat)
	if st.LogFormat == "json" {
		// Every line of the log is JSON, the last one included.
		defer func() {
			if err != nil {
				logger.Error("worker stopped", "error", err)
				err = loggedError{err}
			}
		}()
	}
	for _, n := range st.Notes {
		if st.LogFormat == "json" {
			logger.Info("note: " + n)
		} else {
			fmt.Fprintln(stderr, "borealis-worker: note:", n)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	reg := metrics.NewRegistry()
	stopMetrics, err := serveMetrics(st.MetricsAddress, reg, logger)
	if err != nil {
		return err
	}
	defer stopMetrics()

	warnHardening(st, logger)
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
		TaskUID:    st.Tasks.UID,
		TaskGID:    st.Tasks.GID,
		RootTasks:  st.Tasks.Root,
		Deployment: st.DeploymentID,
		HostName:   st.HostName,
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

	wo := registry.WorkerOptions()
	// The identity carries the version, for the CLI to compare with its own.
	wo.Identity = version.WorkerIdentity(st.HostName, os.Getpid())
	w := worker.New(tc, st.Temporal.TaskQueue, wo)
	restart := taskapi.RestartPolicy{
		FlappingThreshold: st.Flapping.Threshold,
		InitialDelay:      st.Flapping.InitialDelay,
		MaxDelay:          st.Flapping.MaxDelay,
	}
	tasks := metrics.NewTasks()
	reg.Register(&metrics.JobCollector{Runtime: docker, Host: st.HostName, Tasks: tasks})
	reg.Register(visibilityCollector(tc, st))
	acts := &activities.Activities{Runtime: docker, Logger: logger, Restart: restart,
		Policy: workerPolicy(st), SecretsDir: st.SecretsDir, Tasks: tasks}
	registry.Register(w, acts, tc,
		registry.WithSLA(sla.Settings{CheckInterval: st.SLA.CheckInterval, MinInstances: st.SLA.MinInstances, NonProduction: st.SLA.NonProduction}),
		registry.WithCronCatchupWindow(st.Cron.CatchupWindow))
	// A build with newer workflows never polls beside an older one (upgrade_gate.go).
	if !waitForOlderWorkers(ctx, tc, st.Temporal.TaskQueue, logger, olderWorkerRecheck) {
		logger.Info("shutting down")
		return nil
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	logger.Info("worker started", "identity", wo.Identity, "temporal", st.Temporal.Address, "namespace", st.Temporal.Namespace,
		"task_queue", st.Temporal.TaskQueue, "data_dir", st.DataDir, "ports", fmt.Sprintf("%s:%d-%d", st.Ports.HostAddress, st.Ports.Min, st.Ports.Max),
		"host", st.HostName, "deployment", st.DeploymentID, "task_user", fmt.Sprintf("%d:%d", st.Tasks.UID, st.Tasks.GID),
		"docker_parameters", strings.Join(st.AllowedDockerParameters, ","), "volume_host_paths", strings.Join(st.AllowedHostPaths, ","))
	<-ctx.Done()
	logger.Info("shutting down")
	w.Stop()
	return nil
}

// workerPolicy is the activities' policy from the worker's settings
// (docs/semantics.md §7.5). Besides the allowed host paths it protects the
// worker's own files from volumes: the data directory, the secrets
// directory, the runner binary and the Docker socket.
func workerPolicy(st *settings.Settings) *activities.Policy {
	protected := []string{st.DataDir, st.RunnerPath, "/var/run/docker.sock", "/run/docker.sock"}
	if st.SecretsDir != "" {
		protected = append(protected, st.SecretsDir)
	}
	if sock, ok := strings.CutPrefix(st.DockerHost, "unix://"); ok && sock != "" {
		protected = append(protected, sock)
	}
	var abs []string
	for _, p := range protected {
		if a, err := filepath.Abs(p); err == nil {
			abs = append(abs, a)
		}
	}
	return &activities.Policy{
		AllowedParameters:  st.AllowedDockerParameters,
		AllowedHostPaths:   st.AllowedHostPaths,
		ProtectedHostPaths: abs,
		MaxInstances:       st.MaxInstances,
		RootTasks:          st.Tasks.Root,
	}
}

// warnHardening logs the hardening settings an operator should know are
// weakened or unusable.
func warnHardening(st *settings.Settings, logger *slog.Logger) {
	if st.Tasks.Root {
		logger.Warn("task processes may run as root", "tasks.uid", st.Tasks.UID, "tasks.gid", st.Tasks.GID)
	}
	if slices.Contains(st.AllowedDockerParameters, "cap-add") {
		logger.Warn("jobs may keep Linux capabilities (cap-add is in " + settings.KeyDockerAllowedParameters + ")")
	}
	if st.SecretsDir != "" {
		if fi, err := os.Stat(st.SecretsDir); err != nil || !fi.IsDir() {
			logger.Warn("secrets directory is not a directory; secrets come from the environment only", "secrets.dir", st.SecretsDir)
		}
	}
}

// sweepInterval is how often idle sandboxes are looked for: a tenth of the
// retention, between a second and an hour.
func sweepInterval(retention time.Duration) time.Duration {
	return min(max(retention/10, time.Second), time.Hour)
}
