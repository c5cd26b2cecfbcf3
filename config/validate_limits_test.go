package config

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// limitCase is a change to validJob and the problem it must cause.
type limitCase struct {
	name   string
	mutate func(j *Job)
	path   string
	msg    string
}

func runLimitCases(t *testing.T, tests []limitCase) {
	t.Helper()
	require.NoError(t, validJob().Validate())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			tt.mutate(j)
			err := j.Validate()
			var ce *Errors
			require.True(t, errors.As(err, &ce), "want an *Errors, got %v", err)
			found := false
			for _, fe := range ce.List {
				found = found || fe.Path == tt.path && strings.Contains(fe.Msg, tt.msg)
			}
			assert.True(t, found, "want %s: ...%s..., got %v", tt.path, tt.msg, err)
			assert.Less(t, len(err.Error()), 1000, "a long value is quoted shortened")
		})
	}
}

func TestValidateNames(t *testing.T) {
	long := strings.Repeat("x", 256)
	cmd := func(s string) func(j *Job) { return func(j *Job) { j.Task.Processes[0].Cmdline = s } }
	runLimitCases(t, []limitCase{
		{"cluster leading dot", func(j *Job) { j.Cluster = ".c" }, "cluster", `".c" must not start with . (nor be . or ..)`},
		{"role ..", func(j *Job) { j.Role = ".." }, "role", `".." must not start with .`},
		{"environment .", func(j *Job) { j.Environment = "." }, "environment", `"." must not start with .`},
		{"name too long", func(j *Job) { j.Name = long }, "name", `"xxxx`},
		{"name too long (size)", func(j *Job) { j.Name = long }, "name", "is 256 bytes, over the limit of 255"},
		{"cluster charset", func(j *Job) { j.Cluster = "c/d" }, "cluster", `"c/d" must match`},
		{"role NUL", func(j *Job) { j.Role = "r\x00" }, "role", `"r\x00" must match`},
		{"task name leading dot", func(j *Job) { j.Task.Name = ".t" }, "task.name", `".t" must not start with .`},
		{"task name too long", func(j *Job) { j.Task.Name = long }, "task.name", "is 256 bytes, over the limit of 255"},
		{"tier", func(j *Job) { j.Tier = "pre ferred" }, "tier", `"pre ferred" must match`},
		{"process name NUL", func(j *Job) { j.Task.Processes[0].Name = "a\x00b" }, "task.processes[0].name", `"a\x00b" must not contain NUL`},
		{"process name newline", func(j *Job) { j.Task.Processes[0].Name = "a\nb" }, "task.processes[0].name", `"a\nb" must not contain a line break`},
		{"process name comma", func(j *Job) { j.Task.Processes[0].Name = "a,b" }, "task.processes[0].name", `"a,b" must not contain ","`},
		{"process name equals", func(j *Job) { j.Task.Processes[0].Name = "a=b" }, "task.processes[0].name", `"a=b" must not contain "="`},
		{"process name slash", func(j *Job) { j.Task.Processes[0].Name = "a/b" }, "task.processes[0].name", `"a/b" must not contain /`},
		{"process name too long", func(j *Job) { j.Task.Processes[0].Name = long }, "task.processes[0].name", "is 256 bytes, over the limit of 255"},
		{"port name comma", cmd("serve {{thermos.ports[a,b]}}"), "task.processes[0].cmdline",
			`port name "a,b" must not contain ","`},
		{"port name equals", cmd("serve {{thermos.ports[a=b]}}"), "task.processes[0].cmdline", `"a=b" must not contain "="`},
		{"port name slash", cmd("serve {{thermos.ports[a/b]}}"), "task.processes[0].cmdline", `"a/b" must not contain /`},
		{"port name NUL", cmd("serve {{thermos.ports[a\x00b]}}"), "task.processes[0].cmdline", `must not contain NUL`},
		{"port name newline", cmd("serve {{thermos.ports[a\nb]}}"), "task.processes[0].cmdline", `must not contain a line break`},
		{"port name space", cmd("serve {{thermos.ports[a b]}}"), "task.processes[0].cmdline", `must not contain spaces`},
		{"port name empty", cmd("serve {{thermos.ports[]}}"), "task.processes[0].cmdline", `port name in "{{thermos.ports[]}}" must not be empty`},
		{"port name blank", cmd("serve {{ thermos.ports[ ] }}"), "task.processes[0].cmdline", `must not be empty`},
		{"port name too long", cmd("serve {{thermos.ports[" + long + "]}}"), "task.processes[0].cmdline", "is 256 bytes, over the limit of 255"},
		{"port name in shell check", func(j *Job) {
			j.HealthCheckConfig.HealthChecker = HealthCheckerConfig{Shell: &ShellHealthChecker{ShellCommand: "curl localhost:{{thermos.ports[a=b]}}"}}
		}, "health_check_config.health_checker.shell.shell_command", `"a=b" must not contain "="`},
		{"announce port", func(j *Job) { j.Announce = &Announcer{PrimaryPort: "h,ttp"} }, "announce.primary_port", `port name "h,ttp" must not contain ","`},
		{"lifecycle port", func(j *Job) { j.Lifecycle.HTTP.Port = "he=alth" }, "lifecycle.http.port", `port name "he=alth" must not contain "="`},
	})

	// What is allowed stays allowed.
	j := validJob()
	j.Cluster, j.Role, j.Environment, j.Name = "c.1", "www-data", "prod_2", strings.Repeat("n", 255)
	j.Task.Processes[0].Name = "web server (main)"
	j.Task.Processes[0].Cmdline = "serve --port {{thermos.ports[http]}} --admin {{ thermos.ports[ admin-1.x ] }}"
	j.Tier = "preferred"
	assert.NoError(t, j.Validate())
}

func TestValidateNumberBounds(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	const month = "must be at most 2592000 (30 days)"
	runLimitCases(t, []limitCase{
		{"instances", func(j *Job) { j.Instances = 10001 }, "instances", "must be at most 10000, got 10001"},
		{"cpu too small", func(j *Job) { j.Task.Resources.CPU = 0.0005 }, "task.resources.cpu",
			"must be at least 0.001 (a thousandth of a core is the finest CPU quota Docker sets), got 0.0005"},
		{"cpu too large", func(j *Job) { j.Task.Resources.CPU = 1e30 }, "task.resources.cpu",
			"must be at most 1024 (cores; larger quotas overflow Docker's nano-CPU arithmetic), got 1e+30"},
		{"cpu NaN", func(j *Job) { j.Task.Resources.CPU = nan }, "task.resources.cpu", "must be a finite number, got NaN"},
		{"cpu +Inf", func(j *Job) { j.Task.Resources.CPU = inf }, "task.resources.cpu", "must be a finite number, got +Inf"},
		{"ram", func(j *Job) { j.Task.Resources.RAM = 1<<50 + 1 }, "task.resources.ram", "must be at most 1 PiB (1125899906842624 bytes), got 1125899906842625"},
		{"disk", func(j *Job) { j.Task.Resources.Disk = math.MaxInt64 }, "task.resources.disk", "must be at most 1 PiB"},
		{"gpu", func(j *Job) { j.Task.Resources.GPU = 1025 }, "task.resources.gpu", "must be at most 1024, got 1025"},
		{"process max_failures", func(j *Job) { j.Task.Processes[0].MaxFailures = 1_000_001 }, "task.processes[0].max_failures", "must be at most 1000000"},
		{"process min_duration", func(j *Job) { j.Task.Processes[0].MinDuration = 2592001 }, "task.processes[0].min_duration", month + ", got 2592001"},
		{"task max_failures", func(j *Job) { j.Task.MaxFailures = math.MaxInt }, "task.max_failures", "must be at most 1000000"},
		{"task max_concurrency", func(j *Job) { j.Task.MaxConcurrency = 1_000_001 }, "task.max_concurrency", "must be at most 1000000"},
		{"finalization_wait", func(j *Job) { j.Task.FinalizationWait = math.MaxInt64 }, "task.finalization_wait", month},
		{"max_task_failures", func(j *Job) { j.MaxTaskFailures = 1 << 40 }, "max_task_failures", "must be at most 1000000"},
		{"priority", func(j *Job) { j.Priority = 1 << 40 }, "priority", "must be between -2147483648 and 2147483647"},
		{"initial_interval_secs", func(j *Job) { j.HealthCheckConfig.InitialIntervalSecs = 1e12 }, "health_check_config.initial_interval_secs", month + ", got 1e+12"},
		{"initial_interval_secs NaN", func(j *Job) { j.HealthCheckConfig.InitialIntervalSecs = nan }, "health_check_config.initial_interval_secs", "must be a finite number, got NaN"},
		{"interval_secs Inf", func(j *Job) { j.HealthCheckConfig.IntervalSecs = inf }, "health_check_config.interval_secs", "must be a finite number, got +Inf"},
		{"interval_secs NaN", func(j *Job) { j.HealthCheckConfig.IntervalSecs = nan }, "health_check_config.interval_secs", "must be a finite number, got NaN"},
		{"timeout_secs", func(j *Job) { j.HealthCheckConfig.TimeoutSecs = 2592000.5 }, "health_check_config.timeout_secs", month + ", got 2.5920005e+06"},
		{"timeout_secs -Inf", func(j *Job) { j.HealthCheckConfig.TimeoutSecs = math.Inf(-1) }, "health_check_config.timeout_secs", "must be a finite number, got -Inf"},
		{"max_consecutive_failures", func(j *Job) { j.HealthCheckConfig.MaxConsecutiveFailures = 1_000_001 }, "health_check_config.max_consecutive_failures", "must be at most 1000000"},
		{"min_consecutive_successes", func(j *Job) { j.HealthCheckConfig.MinConsecutiveSuccesses = 1_000_001 }, "health_check_config.min_consecutive_successes", "must be at most 1000000"},
		{"expected_response_code", func(j *Job) { j.HealthCheckConfig.HealthChecker.HTTP.ExpectedResponseCode = 1000 }, "health_check_config.health_checker.http.expected_response_code", "must be at most 599, got 1000"},
		{"batch_size", func(j *Job) { j.UpdateConfig.BatchSize = 10001 }, "update_config.batch_size", "must be at most 10000, got 10001"},
		{"watch_secs", func(j *Job) { j.UpdateConfig.WatchSecs = 1 << 40 }, "update_config.watch_secs", month},
		{"max_per_shard_failures", func(j *Job) { j.UpdateConfig.MaxPerShardFailures = 1 << 40 }, "update_config.max_per_shard_failures", "must be at most 1000000"},
		{"pulse_interval_secs", func(j *Job) { j.UpdateConfig.PulseIntervalSecs = intPtr(1 << 40) }, "update_config.pulse_interval_secs", month},
		{"healthy_deadline_secs", func(j *Job) { j.UpdateConfig.HealthyDeadlineSecs = intPtr(2592001) }, "update_config.healthy_deadline_secs", month},
		{"queue batch_size", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{Queue: &QueueUpdateStrategy{BatchSize: 10001}}
		}, "update_config.update_strategy.queue.batch_size", "must be at most 10000"},
		{"batch batch_size", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{Batch: &BatchUpdateStrategy{BatchSize: 10001}}
		}, "update_config.update_strategy.batch.batch_size", "must be at most 10000"},
		{"variable batch_sizes", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{VariableBatch: &VariableBatchUpdateStrategy{BatchSizes: []int{1, 10001}}}
		}, "update_config.update_strategy.variable_batch.batch_sizes[1]", "must be at most 10000"},
		{"sla count duration", func(j *Job) { j.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: 1, DurationSecs: 1 << 40}} }, "sla_policy.count.duration_secs", month},
		{"sla percentage duration", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 10, DurationSecs: 2592001}}
		}, "sla_policy.percentage.duration_secs", month},
		{"sla percentage NaN", func(j *Job) { j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: nan}} }, "sla_policy.percentage.percentage", "must be a finite number, got NaN"},
		{"lifecycle graceful wait", func(j *Job) { j.Lifecycle.HTTP.GracefulShutdownWaitSecs = 1 << 40 }, "lifecycle.http.graceful_shutdown_wait_secs", month},
		{"lifecycle wait", func(j *Job) { j.Lifecycle.HTTP.ShutdownWaitSecs = 2592001 }, "lifecycle.http.shutdown_wait_secs", month},
	})

	// The bounds themselves are allowed.
	j := validJob()
	j.Instances = MaxInstances
	j.Task.Resources = &Resources{CPU: MinCPU, RAM: MaxBytes, Disk: MaxBytes, GPU: MaxGPU}
	j.Task.Processes[0].MinDuration = MaxDurationSecs
	j.HealthCheckConfig.IntervalSecs = MaxDurationSecs
	j.UpdateConfig.WatchSecs = MaxDurationSecs
	j.UpdateConfig.BatchSize = MaxInstances
	j.Priority = math.MinInt32
	assert.NoError(t, j.Validate())
	j.Task.Resources.CPU = MaxCPU
	assert.NoError(t, j.Validate())
}

// Non-finite numbers come in through every format and are refused at load.
func TestNonFiniteNumbersLoad(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"a.yaml", strings.Replace(validYAML, "cpu: 1", "cpu: .nan", 1), "jobs[0].task.resources.cpu: invalid number .nan"},
		{"a.yaml", strings.Replace(validYAML, "cpu: 1", "cpu: -.inf", 1), "jobs[0].task.resources.cpu: invalid number -.inf"},
		{"a.yaml", strings.Replace(validYAML, "cpu: 1", `cpu: "NaN"`, 1), `jobs[0].task.resources.cpu: expected a number, got string "NaN"`},
		{"a.aurora", `jobs = [Job(cluster='c', role='r', environment='e',
  task=Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB)),
  health_check_config=HealthCheckConfig(interval_secs=float('inf'), timeout_secs=float('nan')))]`,
			"jobs[0].health_check_config.interval_secs: must be a finite number, got +Inf\njobs[0].health_check_config.timeout_secs: must be a finite number, got NaN"},
		{"a.aurora", `jobs = [Job(cluster='c', role='r', environment='e', instances=20000,
  task=Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB)))]`,
			"jobs[0].instances: must be at most 10000, got 20000"},
	} {
		_, err := load(t, tc.name, tc.src, nil)
		require.Error(t, err, tc.src)
		assert.True(t, IsConfigError(err))
		assert.Contains(t, err.Error(), tc.want)
	}
}
