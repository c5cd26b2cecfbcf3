package config

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validJob() *Job {
	j := DefaultJob()
	j.Cluster, j.Role, j.Environment, j.Name = "c", "r", "e", "n"
	t := DefaultTask()
	a, b := DefaultProcess(), DefaultProcess()
	a.Name, a.Cmdline = "a", "run a"
	b.Name, b.Cmdline = "b", "run b"
	t.Name = "t"
	t.Processes = []Process{a, b}
	t.Resources = &Resources{CPU: 1, RAM: MB, Disk: MB}
	j.Task = &t
	j.Instances = 2
	return &j
}

func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(j *Job)
		path   string
		msg    string
	}{
		{"cluster required", func(j *Job) { j.Cluster = "" }, "cluster", "is required"},
		{"role required", func(j *Job) { j.Role = "" }, "role", "is required"},
		{"environment required", func(j *Job) { j.Environment = "" }, "environment", "is required"},
		{"name required", func(j *Job) { j.Name = "" }, "name", "is required"},
		{"role pattern", func(j *Job) { j.Role = "a b" }, "role", `"a b" must match`},
		{"environment pattern", func(j *Job) { j.Environment = "x/y" }, "environment", `"x/y" must match`},
		{"name pattern", func(j *Job) { j.Name = "n!" }, "name", `"n!" must match`},
		{"task required", func(j *Job) { j.Task = nil }, "task", "is required"},
		{"instances >= 1", func(j *Job) { j.Instances = 0 }, "instances", "must be > 0, got 0"},
		{"max_task_failures not 0", func(j *Job) { j.MaxTaskFailures = 0 }, "max_task_failures", "must be -1 (unlimited) or > 0, got 0"},
		{"max_task_failures >= -1", func(j *Job) { j.MaxTaskFailures = -2 }, "max_task_failures", "must be -1 (unlimited) or > 0, got -2"},
		{"processes required", func(j *Job) { j.Task.Processes = nil }, "task.processes", "must have at least one process"},
		{"process name required", func(j *Job) { j.Task.Processes[0].Name = "" }, "task.processes[0].name", "is required"},
		{"process cmdline required", func(j *Job) { j.Task.Processes[1].Cmdline = " " }, "task.processes[1].cmdline", "is required"},
		{"process name unique", func(j *Job) { j.Task.Processes[1].Name = "a" }, "task.processes[1].name", `duplicate process name "a"`},
		{"process name no slash", func(j *Job) { j.Task.Processes[0].Name = "a/b" }, "task.processes[0].name", `"a/b" must not contain /`},
		{"process name no leading dot", func(j *Job) { j.Task.Processes[0].Name = ".a" }, "task.processes[0].name", `".a" must not start with .`},
		{"process max_failures >= 0", func(j *Job) { j.Task.Processes[0].MaxFailures = -1 }, "task.processes[0].max_failures", "must be >= 0, got -1"},
		{"process min_duration >= 0", func(j *Job) { j.Task.Processes[0].MinDuration = -1 }, "task.processes[0].min_duration", "must be >= 0, got -1"},
		{"task max_failures >= 0", func(j *Job) { j.Task.MaxFailures = -1 }, "task.max_failures", "must be >= 0, got -1"},
		{"task max_concurrency >= 0", func(j *Job) { j.Task.MaxConcurrency = -1 }, "task.max_concurrency", "must be >= 0, got -1"},
		{"task finalization_wait >= 0", func(j *Job) { j.Task.FinalizationWait = -1 }, "task.finalization_wait", "must be >= 0, got -1"},
		{"resources required", func(j *Job) { j.Task.Resources = nil }, "task.resources", "is required"},
		{"cpu > 0", func(j *Job) { j.Task.Resources.CPU = 0 }, "task.resources.cpu", "must be > 0, got 0"},
		{"ram >= 1MiB", func(j *Job) { j.Task.Resources.RAM = MB - 1 }, "task.resources.ram", "must be at least 1 MiB (1048576 bytes), got 1048575"},
		{"disk >= 1MiB", func(j *Job) { j.Task.Resources.Disk = 0 }, "task.resources.disk", "must be at least 1 MiB (1048576 bytes), got 0"},
		{"order names existing processes", func(j *Job) { j.Task.Constraints = []Constraint{{Order: []string{"a", "zz"}}} }, "task.constraints[0].order", `unknown process "zz"`},
		{"order not after itself", func(j *Job) { j.Task.Constraints = []Constraint{{Order: []string{"a", "a"}}} }, "task.constraints[0].order", `process "a" cannot run after itself`},
		{"no dependency on daemon", func(j *Job) {
			j.Task.Processes[0].Daemon = true
			j.Task.Constraints = []Constraint{{Order: []string{"a", "b"}}}
		}, "task.constraints[0].order", `process "b" may not depend on daemon process "a"`},
		{"non-ephemeral not on ephemeral", func(j *Job) {
			j.Task.Processes[0].Ephemeral = true
			j.Task.Constraints = []Constraint{{Order: []string{"a", "b"}}}
		}, "task.constraints[0].order", `non-ephemeral process "b" may not depend on ephemeral process "a"`},
		{"final not on regular", func(j *Job) {
			j.Task.Processes[1].Final = true
			j.Task.Constraints = []Constraint{{Order: []string{"a", "b"}}}
		}, "task.constraints[0].order", `final and regular processes may not depend on each other ("a", "b")`},
		{"regular not on final", func(j *Job) {
			j.Task.Processes[0].Final = true
			j.Task.Constraints = []Constraint{{Order: []string{"a", "b"}}}
		}, "task.constraints[0].order", `final and regular processes may not depend on each other ("a", "b")`},
		{"cycle", func(j *Job) {
			j.Task.Constraints = []Constraint{{Order: []string{"a", "b"}}, {Order: []string{"b", "a"}}}
		}, "task.constraints", "order constraints form a cycle: a -> b -> a"},
		{"health checker exactly one (none)", func(j *Job) { j.HealthCheckConfig.HealthChecker = HealthCheckerConfig{} }, "health_check_config.health_checker", "set exactly one of http and shell"},
		{"health checker exactly one (both)", func(j *Job) {
			j.HealthCheckConfig.HealthChecker.Shell = &ShellHealthChecker{ShellCommand: "true"}
		}, "health_check_config.health_checker", "set exactly one of http and shell, not both"},
		{"shell command required", func(j *Job) {
			j.HealthCheckConfig.HealthChecker = HealthCheckerConfig{Shell: &ShellHealthChecker{}}
		}, "health_check_config.health_checker.shell.shell_command", "is required"},
		{"expected_response_code >= 0", func(j *Job) { j.HealthCheckConfig.HealthChecker.HTTP.ExpectedResponseCode = -1 }, "health_check_config.health_checker.http.expected_response_code", "must be >= 0, got -1"},
		{"initial_interval_secs >= 0", func(j *Job) { j.HealthCheckConfig.InitialIntervalSecs = -1 }, "health_check_config.initial_interval_secs", "must be >= 0, got -1"},
		{"interval_secs > 0", func(j *Job) { j.HealthCheckConfig.IntervalSecs = 0 }, "health_check_config.interval_secs", "must be > 0, got 0"},
		{"timeout_secs > 0", func(j *Job) { j.HealthCheckConfig.TimeoutSecs = -1 }, "health_check_config.timeout_secs", "must be > 0, got -1"},
		{"max_consecutive_failures >= 0", func(j *Job) { j.HealthCheckConfig.MaxConsecutiveFailures = -1 }, "health_check_config.max_consecutive_failures", "must be >= 0, got -1"},
		{"min_consecutive_successes > 0", func(j *Job) { j.HealthCheckConfig.MinConsecutiveSuccesses = 0 }, "health_check_config.min_consecutive_successes", "must be > 0, got 0"},
		{"batch_size > 0", func(j *Job) { j.UpdateConfig.BatchSize = 0 }, "update_config.batch_size", "must be > 0, got 0"},
		{"watch_secs >= 0", func(j *Job) { j.UpdateConfig.WatchSecs = -1 }, "update_config.watch_secs", "must be >= 0, got -1"},
		{"max_per_shard_failures >= 0", func(j *Job) { j.UpdateConfig.MaxPerShardFailures = -1 }, "update_config.max_per_shard_failures", "must be >= 0, got -1"},
		{"max_total_failures >= 0", func(j *Job) { j.UpdateConfig.MaxTotalFailures = -1 }, "update_config.max_total_failures", "must be >= 0, got -1"},
		{"max_total_failures < instances", func(j *Job) { j.UpdateConfig.MaxTotalFailures = 2 }, "update_config.max_total_failures", "must be < instances (2), got 2"},
		{"pulse_interval_secs >= 60", func(j *Job) { j.UpdateConfig.PulseIntervalSecs = intPtr(59) }, "update_config.pulse_interval_secs", "must be >= 60 when set, got 59"},
		{"healthy_deadline_secs > 0", func(j *Job) { j.UpdateConfig.HealthyDeadlineSecs = intPtr(0) }, "update_config.healthy_deadline_secs", "must be > 0 when set, got 0"},
		{"update_order", func(j *Job) { j.UpdateConfig.UpdateOrder = "sideways" }, "update_config.update_order", `must be stop_first or start_first, got "sideways"`},
		{"strategy and wait_for_batch_completion", func(j *Job) {
			j.UpdateConfig.WaitForBatchCompletion = true
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{Queue: &QueueUpdateStrategy{BatchSize: 1}}
		}, "update_config.update_strategy", "set either update_strategy or wait_for_batch_completion, not both"},
		{"strategy exactly one", func(j *Job) { j.UpdateConfig.UpdateStrategy = &UpdateStrategy{} }, "update_config.update_strategy", "set exactly one of queue, batch and variable_batch"},
		{"queue batch_size > 0", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{Queue: &QueueUpdateStrategy{}}
		}, "update_config.update_strategy.queue.batch_size", "must be > 0, got 0"},
		{"batch batch_size > 0", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{Batch: &BatchUpdateStrategy{BatchSize: -1}}
		}, "update_config.update_strategy.batch.batch_size", "must be > 0, got -1"},
		{"variable batch sizes > 0", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{VariableBatch: &VariableBatchUpdateStrategy{BatchSizes: []int{1, 0}}}
		}, "update_config.update_strategy.variable_batch.batch_sizes[1]", "must be > 0, got 0"},
		{"variable batch sizes non-empty", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{VariableBatch: &VariableBatchUpdateStrategy{}}
		}, "update_config.update_strategy.variable_batch.batch_sizes", "must list at least one batch size"},
		{"docker image required", func(j *Job) { j.Container = &Container{Docker: &Docker{}} }, "container.docker.image", "is required"},
		{"container needs docker", func(j *Job) { j.Container = &Container{} }, "container", "set docker"},
		{"docker parameter name", func(j *Job) {
			j.Container = &Container{Docker: &Docker{Image: "x", Parameters: []DockerParameter{{Value: "v"}}}}
		}, "container.docker.parameters[0].name", "is required"},
		{"announcer primary_port", func(j *Job) { j.Announce = &Announcer{} }, "announce.primary_port", "is required"},
		{"metadata key", func(j *Job) { j.Metadata = []Metadata{{Value: "v"}} }, "metadata[0].key", "is required"},
		{"lifecycle port", func(j *Job) { j.Lifecycle.HTTP.Port = "" }, "lifecycle.http.port", "is required"},
		{"lifecycle waits", func(j *Job) { j.Lifecycle.HTTP.ShutdownWaitSecs = -1 }, "lifecycle.http.shutdown_wait_secs", "must be >= 0, got -1"},
	}
	require.NoError(t, validJob().Validate())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			tt.mutate(j)
			err := j.Validate()
			var ce *Errors
			require.True(t, errors.As(err, &ce), "want an *Errors, got %v", err)
			assert.Contains(t, ce.List, FieldError{Path: tt.path, Msg: ce.find(tt.path, tt.msg)}, "errors: %v", err)
			assert.Contains(t, err.Error(), tt.path+": "+tt.msg)
		})
	}
}

// find returns the message at path that starts with prefix, or prefix.
func (e *Errors) find(path, prefix string) string {
	for _, fe := range e.List {
		if fe.Path == path && len(fe.Msg) >= len(prefix) && fe.Msg[:len(prefix)] == prefix {
			return fe.Msg
		}
	}
	return prefix
}

func TestValidateReportsEveryProblem(t *testing.T) {
	j := validJob()
	j.Instances = 0
	j.Task.Resources.CPU = 0
	j.UpdateConfig.BatchSize = 0
	j.HealthCheckConfig.IntervalSecs = 0
	err := ValidateJobs([]*Job{j})
	var ce *Errors
	require.ErrorAs(t, err, &ce)
	paths := []string{}
	for _, fe := range ce.List {
		paths = append(paths, fe.Path)
	}
	assert.Equal(t, []string{
		"jobs[0].task.resources.cpu", "jobs[0].instances",
		"jobs[0].health_check_config.interval_secs", "jobs[0].update_config.batch_size",
	}, paths)
}

func TestValidateJobsKeys(t *testing.T) {
	err := ValidateJobs([]*Job{validJob(), validJob()})
	require.Error(t, err)
	assert.Equal(t, "jobs[1]: duplicate job key c/r/e/n (also jobs[0])", err.Error())
	assert.EqualError(t, ValidateJobs(nil), "jobs: no jobs defined")
}

func TestValidOrderings(t *testing.T) {
	j := validJob()
	c := DefaultProcess()
	c.Name, c.Cmdline, c.Final = "c", "cleanup", true
	d := DefaultProcess()
	d.Name, d.Cmdline, d.Final = "d", "cleanup more", true
	e := DefaultProcess()
	e.Name, e.Cmdline, e.Ephemeral = "e", "side", true
	f := DefaultProcess()
	f.Name, f.Cmdline, f.Ephemeral = "f", "side after", true
	j.Task.Processes = append(j.Task.Processes, c, d, e, f)
	j.Task.Constraints = []Constraint{{Order: []string{"a", "b"}}, {Order: []string{"c", "d"}}, {Order: []string{"e", "f"}}, {Order: []string{"a", "e"}}}
	assert.NoError(t, j.Validate())
}
