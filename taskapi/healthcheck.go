package taskapi

import (
	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/health"
)

// Kinds of [HealthCheckSpec].
const (
	CheckHTTP  = "http"
	CheckShell = "shell"
	CheckNone  = "none"
)

// HealthCheckFor says how to check one task of job (docs/semantics.md §3): a shell check
// when one is configured, its launch templates ({{thermos.ports[X]}},
// {{mesos.instance}}, {{thermos.task_id}}) filled; else an HTTP check of
// the task's health port on host; else none. host, ports and sandbox are
// StartTask's result. It is pure and deterministic, for workflow code.
func HealthCheckFor(job config.Job, host string, ports map[string]int, sandbox string, instance int, taskID string) HealthCheckSpec {
	hc := job.HealthCheckConfig
	spec := HealthCheckSpec{
		Kind:        CheckNone,
		TimeoutSecs: hc.TimeoutSecs,
		Sandbox:     sandbox,
		Params: health.Params{
			InitialIntervalSecs:     hc.InitialIntervalSecs,
			IntervalSecs:            hc.IntervalSecs,
			MaxConsecutiveFailures:  hc.MaxConsecutiveFailures,
			MinConsecutiveSuccesses: hc.MinConsecutiveSuccesses,
		},
	}
	switch job.HealthChecker() {
	case config.HealthCheckerShell:
		spec.Kind = CheckShell
		spec.ShellCommand = config.FillLaunchTemplates(hc.HealthChecker.Shell.ShellCommand, instance, taskID, ports)
	case config.HealthCheckerHTTP:
		h := config.DefaultHTTPHealthChecker()
		if hc.HealthChecker.HTTP != nil {
			h = *hc.HealthChecker.HTTP
		}
		spec.Kind = CheckHTTP
		spec.Host = host
		spec.Port = ports[config.HealthPortName]
		spec.Endpoint = h.Endpoint
		spec.Expected = h.ExpectedResponse
		spec.ExpectedCode = h.ExpectedResponseCode
	}
	return spec
}
