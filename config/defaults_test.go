package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func intPtr(i int) *int { return &i }

func TestDefaults(t *testing.T) {
	jobs, err := LoadBytes("d.yaml", []byte(`
jobs:
  - {cluster: c, role: r, environment: e,
     task: {processes: [{name: p, cmdline: run}], resources: {cpu: 1, ram: 1MB, disk: 1MB}}}
`), LoadOptions{})
	require.NoError(t, err)
	j := jobs[0]
	p := j.Task.Processes[0]
	http := HTTPHealthChecker{Endpoint: "/health", ExpectedResponse: "ok", ExpectedResponseCode: 0}
	lc := HTTPLifecycleConfig{Port: "health", GracefulShutdownEndpoint: "/quitquitquit", ShutdownEndpoint: "/abortabortabort", GracefulShutdownWaitSecs: 5, ShutdownWaitSecs: 5}
	tests := []struct {
		name      string
		got, want any
	}{
		{"process max_failures", p.MaxFailures, 1},
		{"process min_duration", p.MinDuration, 5},
		{"process daemon", p.Daemon, false},
		{"process ephemeral", p.Ephemeral, false},
		{"process final", p.Final, false},
		{"task name = first process", j.Task.Name, "p"},
		{"task max_failures", j.Task.MaxFailures, 1},
		{"task max_concurrency", j.Task.MaxConcurrency, 0},
		{"task finalization_wait", j.Task.FinalizationWait, 30},
		{"job name = task name", j.Name, "p"},
		{"job instances", j.Instances, 1},
		{"job service", j.Service, false},
		{"job max_task_failures", j.MaxTaskFailures, 1},
		{"job container", j.Container, (*Container)(nil)},
		{"health checker", j.HealthCheckConfig.HealthChecker, HealthCheckerConfig{HTTP: &http}},
		{"health initial_interval_secs", j.HealthCheckConfig.InitialIntervalSecs, 15.0},
		{"health interval_secs", j.HealthCheckConfig.IntervalSecs, 10.0},
		{"health max_consecutive_failures", j.HealthCheckConfig.MaxConsecutiveFailures, 0},
		{"health min_consecutive_successes", j.HealthCheckConfig.MinConsecutiveSuccesses, 1},
		{"health timeout_secs", j.HealthCheckConfig.TimeoutSecs, 1.0},
		{"update batch_size", j.UpdateConfig.BatchSize, 1},
		{"update watch_secs", j.UpdateConfig.WatchSecs, 45},
		{"update max_per_shard_failures", j.UpdateConfig.MaxPerShardFailures, 0},
		{"update max_total_failures", j.UpdateConfig.MaxTotalFailures, 0},
		{"update rollback_on_failure", j.UpdateConfig.RollbackOnFailure, true},
		{"update wait_for_batch_completion", j.UpdateConfig.WaitForBatchCompletion, false},
		{"update pulse_interval_secs", j.UpdateConfig.PulseIntervalSecs, (*int)(nil)},
		{"update update_strategy", j.UpdateConfig.UpdateStrategy, (*UpdateStrategy)(nil)},
		{"update healthy_deadline_secs", j.UpdateConfig.HealthyDeadlineSecs, (*int)(nil)},
		{"update update_order", j.UpdateConfig.UpdateOrder, "stop_first"},
		{"lifecycle", j.Lifecycle, LifecycleConfig{HTTP: &lc}},
		{"announcer", DefaultAnnouncer(), Announcer{PrimaryPort: "http"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.got) })
	}
}

func TestDefaultsInNestedObjects(t *testing.T) {
	jobs, err := LoadBytes("d.aurora", []byte(`
jobs = [Job(cluster='c', role='r', environment='e', name='n', instances=2,
  task=Task(name='t', processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB)),
  health_check_config=HealthCheckConfig(interval_secs=5),
  update_config=UpdateConfig(batch_size=2),
  announce=Announcer(),
  lifecycle=LifecycleConfig(http=HttpLifecycleConfig(port='admin')))]
`), LoadOptions{})
	require.NoError(t, err)
	j := jobs[0]
	want := DefaultHealthCheckConfig()
	want.IntervalSecs = 5
	assert.Equal(t, want, j.HealthCheckConfig)
	wantU := DefaultUpdateConfig()
	wantU.BatchSize = 2
	assert.Equal(t, wantU, j.UpdateConfig)
	assert.Equal(t, &Announcer{PrimaryPort: "http"}, j.Announce)
	wantL := DefaultHTTPLifecycleConfig()
	wantL.Port = "admin"
	assert.Equal(t, LifecycleConfig{HTTP: &wantL}, j.Lifecycle)
}

func TestKey(t *testing.T) {
	j := &Job{Cluster: "devcluster", Role: "www-data", Environment: "prod", Name: "hello"}
	assert.Equal(t, "devcluster/www-data/prod/hello", j.Key())
}

func TestEffectiveStrategy(t *testing.T) {
	tests := []struct {
		name string
		u    UpdateConfig
		want UpdateStrategy
	}{
		{"unset is queue", UpdateConfig{BatchSize: 3}, UpdateStrategy{Queue: &QueueUpdateStrategy{BatchSize: 3}}},
		{"wait_for_batch_completion is batch", UpdateConfig{BatchSize: 2, WaitForBatchCompletion: true}, UpdateStrategy{Batch: &BatchUpdateStrategy{BatchSize: 2}}},
		{"explicit wins", UpdateConfig{BatchSize: 2, UpdateStrategy: &UpdateStrategy{VariableBatch: &VariableBatchUpdateStrategy{BatchSizes: []int{1, 2}}}},
			UpdateStrategy{VariableBatch: &VariableBatchUpdateStrategy{BatchSizes: []int{1, 2}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.u.EffectiveStrategy()) })
	}
}

func TestPortNames(t *testing.T) {
	task := &Task{Processes: []Process{
		{Name: "a", Cmdline: "run -p {{thermos.ports[http]}} -a {{ thermos.ports[admin] }}"},
		{Name: "b", Cmdline: "run {{thermos.ports[http]}} {{thermos.ports[health]}} {{thermos.task_id}}"},
		{Name: "c", Cmdline: "no ports"},
	}}
	assert.Equal(t, []string{"admin", "health", "http"}, task.PortNames())
	assert.True(t, task.HasPort("health"))
	assert.Empty(t, (&Task{}).PortNames())
}

func TestHealthChecker(t *testing.T) {
	withPort := &Task{Processes: []Process{{Name: "a", Cmdline: "x {{thermos.ports[health]}}"}}}
	noPort := &Task{Processes: []Process{{Name: "a", Cmdline: "x {{thermos.ports[http]}}"}}}
	shell := DefaultHealthCheckConfig()
	shell.HealthChecker = HealthCheckerConfig{Shell: &ShellHealthChecker{ShellCommand: "true"}}
	tests := []struct {
		name string
		job  Job
		want HealthCheckerKind
	}{
		{"http with health port", Job{Task: withPort, HealthCheckConfig: DefaultHealthCheckConfig()}, HealthCheckerHTTP},
		{"none without health port", Job{Task: noPort, HealthCheckConfig: DefaultHealthCheckConfig()}, HealthCheckerNone},
		{"shell when configured", Job{Task: noPort, HealthCheckConfig: shell}, HealthCheckerShell},
		{"shell wins over health port", Job{Task: withPort, HealthCheckConfig: shell}, HealthCheckerShell},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.job.HealthChecker()) })
	}
	assert.Equal(t, "shell", HealthCheckerShell.String())
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"128MB", 128 * MB}, {"1GB", GB}, {"512KB", 512 * KB}, {"100B", 100}, {"2048", 2048},
		{"1 TB", TB}, {"1.5GB", GB + GB/2}, {"64MiB", 64 * MB}, {"64m", 64 * MB},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	for _, bad := range []string{"", "MB", "-1MB", "12XB", "1e3"} {
		_, err := ParseSize(bad)
		assert.Error(t, err, bad)
	}
}
