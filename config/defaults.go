package config

import (
	"regexp"
	"sort"
)

// Aurora's defaults (docs/semantics.md §1, §3, §5). Each constructor returns a fresh value
// with every defaulted field set; required fields are left empty.

// DefaultProcess is Process() with Aurora's defaults.
func DefaultProcess() Process {
	return Process{MaxFailures: 1, MinDuration: 5}
}

// DefaultTask is Task() with Aurora's defaults. Its name, when left empty,
// becomes the first process's name at load time.
func DefaultTask() Task {
	return Task{MaxFailures: 1, MaxConcurrency: 0, FinalizationWait: 30}
}

// DefaultLogger is Logger(): Aurora's destination 'file' and mode 'standard'.
func DefaultLogger() Logger {
	return Logger{Destination: "file", Mode: "standard"}
}

// DefaultHTTPHealthChecker is HttpHealthChecker().
func DefaultHTTPHealthChecker() HTTPHealthChecker {
	return HTTPHealthChecker{Endpoint: "/health", ExpectedResponse: "ok", ExpectedResponseCode: 0}
}

// DefaultHealthCheckConfig is HealthCheckConfig(), with an HTTP checker.
func DefaultHealthCheckConfig() HealthCheckConfig {
	http := DefaultHTTPHealthChecker()
	return HealthCheckConfig{
		HealthChecker:           HealthCheckerConfig{HTTP: &http},
		InitialIntervalSecs:     15.0,
		IntervalSecs:            10.0,
		MaxConsecutiveFailures:  0,
		MinConsecutiveSuccesses: 1,
		TimeoutSecs:             1.0,
	}
}

// DefaultUpdateConfig is UpdateConfig().
func DefaultUpdateConfig() UpdateConfig {
	return UpdateConfig{
		BatchSize:         1,
		WatchSecs:         45,
		RollbackOnFailure: true,
		UpdateOrder:       UpdateOrderStopFirst,
	}
}

// DefaultCoordinatorSlaPolicy is CoordinatorSlaPolicy(): status_key 'drain',
// coordinator_url left empty (it is required).
func DefaultCoordinatorSlaPolicy() CoordinatorSlaPolicy {
	return CoordinatorSlaPolicy{StatusKey: "drain"}
}

// DefaultPartitionPolicy is PartitionPolicy(): reschedule, without delay.
func DefaultPartitionPolicy() PartitionPolicy {
	return PartitionPolicy{Reschedule: true, DelaySecs: 0}
}

// DefaultExecutorConfig is ExecutorConfig(): Aurora's own executor, no data.
func DefaultExecutorConfig() ExecutorConfig {
	return ExecutorConfig{Name: AuroraExecutorName}
}

// DefaultHTTPLifecycleConfig is HttpLifecycleConfig().
func DefaultHTTPLifecycleConfig() HTTPLifecycleConfig {
	return HTTPLifecycleConfig{
		Port:                     "health",
		GracefulShutdownEndpoint: "/quitquitquit",
		ShutdownEndpoint:         "/abortabortabort",
		GracefulShutdownWaitSecs: 5,
		ShutdownWaitSecs:         5,
	}
}

// DefaultLifecycleConfig is a job's lifecycle when none is given:
// LifecycleConfig(http=HttpLifecycleConfig()).
func DefaultLifecycleConfig() LifecycleConfig {
	http := DefaultHTTPLifecycleConfig()
	return LifecycleConfig{HTTP: &http}
}

// DefaultAnnouncer is Announcer().
func DefaultAnnouncer() Announcer {
	return Announcer{PrimaryPort: "http"}
}

// DefaultJob is Job() with Aurora's defaults. Its name, when left empty,
// becomes the task's name at load time.
func DefaultJob() Job {
	return Job{
		Instances:         1,
		MaxTaskFailures:   1,
		HealthCheckConfig: DefaultHealthCheckConfig(),
		UpdateConfig:      DefaultUpdateConfig(),
		Lifecycle:         DefaultLifecycleConfig(),
	}
}

// fillDerivedNames applies the defaults that depend on other fields: a task's
// name is its first process's, a job's name is its task's, a cron job's
// collision policy is KILL_EXISTING, and a Mesos container is the Docker
// container it runs (ResolveMesos).
func (j *Job) fillDerivedNames() {
	j.fillCronDefaults()
	j.ResolveMesos()
	j.resolvePortAliases()
	if j.Task == nil {
		return
	}
	if j.Task.Name == "" && len(j.Task.Processes) > 0 {
		j.Task.Name = j.Task.Processes[0].Name
	}
	if j.Name == "" {
		j.Name = j.Task.Name
	}
}

// fillCronDefaults gives a cron job Aurora's collision policy default,
// KILL_EXISTING. A job that is not a cron job keeps an empty policy, so its
// JSON has no cron keys.
func (j *Job) fillCronDefaults() {
	if j.CronSchedule != "" && j.CronCollisionPolicy == "" {
		j.CronCollisionPolicy = CronKillExisting
	}
}

// Key is the job key cluster/role/environment/name.
func (j *Job) Key() string {
	return j.Cluster + "/" + j.Role + "/" + j.Environment + "/" + j.Name
}

// EffectiveStrategy is the update strategy that applies: update_strategy when
// set, else Batch(batch_size) when wait_for_batch_completion, else
// Queue(batch_size).
func (u UpdateConfig) EffectiveStrategy() UpdateStrategy {
	switch {
	case u.UpdateStrategy != nil:
		return *u.UpdateStrategy
	case u.WaitForBatchCompletion:
		return UpdateStrategy{Batch: &BatchUpdateStrategy{BatchSize: u.BatchSize}}
	default:
		return UpdateStrategy{Queue: &QueueUpdateStrategy{BatchSize: u.BatchSize}}
	}
}

var portRefRE = regexp.MustCompile(`\{\{\s*thermos\.ports\[\s*([^\]\s]+)\s*\]\s*\}\}`)

// HealthPortName is the port whose presence turns on HTTP health checking.
const HealthPortName = "health"

// PortNames is the sorted, distinct names of every {{thermos.ports[NAME]}}
// in the task's process command lines: the ports the task requests (docs/semantics.md §2).
func (t *Task) PortNames() []string {
	seen := map[string]bool{}
	var names []string
	for _, p := range t.Processes {
		for _, m := range portRefRE.FindAllStringSubmatch(p.Cmdline, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				names = append(names, m[1])
			}
		}
	}
	sort.Strings(names)
	return names
}

// HasPort reports whether the task requests a port named name.
func (t *Task) HasPort(name string) bool {
	for _, n := range t.PortNames() {
		if n == name {
			return true
		}
	}
	return false
}

// HealthCheckerKind is which health checker applies to a job's tasks.
type HealthCheckerKind int

const (
	// HealthCheckerNone: no checks; a task is RUNNING once started.
	HealthCheckerNone HealthCheckerKind = iota
	// HealthCheckerHTTP: HealthCheckConfig.HealthChecker.HTTP on the health port.
	HealthCheckerHTTP
	// HealthCheckerShell: HealthCheckConfig.HealthChecker.Shell in the container.
	HealthCheckerShell
)

func (k HealthCheckerKind) String() string {
	switch k {
	case HealthCheckerHTTP:
		return "http"
	case HealthCheckerShell:
		return "shell"
	default:
		return "none"
	}
}

// HealthChecker tells which checker applies (docs/semantics.md §3): a shell checker when
// one is configured, else HTTP when the task has a health port, else none.
// For HTTP, HealthCheckConfig.HealthChecker.HTTP holds the settings, or
// DefaultHTTPHealthChecker when it is nil.
func (j *Job) HealthChecker() HealthCheckerKind {
	if j.HealthCheckConfig.HealthChecker.Shell != nil {
		return HealthCheckerShell
	}
	if j.Task != nil && j.Task.HasPort(HealthPortName) {
		return HealthCheckerHTTP
	}
	return HealthCheckerNone
}
