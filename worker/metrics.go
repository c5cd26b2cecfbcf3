package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/metrics"
	"github.com/borealis-dev/borealis/workflows"
)

// visibilityCollector computes the deployment's job and update gauges
// from Temporal's visibility: its running instance and update workflows.
func visibilityCollector(tc metrics.Lister, st *settings.Settings) *metrics.VisibilityCollector {
	return &metrics.VisibilityCollector{
		Lister:       tc,
		Namespace:    st.Temporal.Namespace,
		TaskQueue:    st.Temporal.TaskQueue,
		InstanceType: workflows.InstanceWorkflowName,
		UpdateType:   workflows.UpdateWorkflowName,
		JobKey:       workflows.JobKeyAttribute.GetName(),
		UpdateStatus: workflows.UpdateStatusAttribute.GetName(),
	}
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
		return nil, fmt.Errorf("serve metrics: %w (another worker runs here? set %s to another address, or pass --%s '' to turn metrics off)",
			err, settings.EnvName(settings.KeyWorkerMetricsAddr), strings.ReplaceAll(strings.ReplaceAll(settings.KeyWorkerMetricsAddr, ".", "-"), "_", "-"))
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
