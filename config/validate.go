package config

import (
	"fmt"
	"math"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

// Validation: Aurora's client checks and the rules of docs/semantics.md §1, each problem
// reported with its field path.

// Bounds of the numbers of a job (docs/decisions.md, Configs): each keeps a
// value that passes validation from misbehaving later (a time.Duration that
// overflows, a CPU quota Docker truncates to "unlimited", a loop over
// instances that never ends).
const (
	// MaxInstances is the most instances a job may have.
	MaxInstances = jobkey.MaxInstances
	// MaxCount bounds counts of failures and successes.
	MaxCount = 1_000_000
	// MaxDurationSecs bounds every duration in seconds: 30 days, far below
	// what overflows a time.Duration (about 292 years).
	MaxDurationSecs = 30 * 24 * 60 * 60
	// MinCPU is a thousandth of a core, the finest CPU quota Docker can set
	// (a CFS quota of 1 ms per 1000 ms period); below it Docker refuses the
	// quota or, under a billionth, truncates it to 0, which means unlimited.
	MinCPU = 0.001
	// MaxCPU bounds cpu: no host has more cores, and cpu × 10⁹ must stay
	// far inside the int64 of Docker's NanoCPUs.
	MaxCPU = 1024
	// MaxGPU bounds gpu, like MaxCPU.
	MaxGPU = 1024
	// MaxBytes (1 PiB) bounds ram and disk.
	MaxBytes = 1024 * TB
	// MaxNameBytes bounds process and port names.
	MaxNameBytes = 255
	// MaxStatusCode is the largest HTTP status code.
	MaxStatusCode = 599
)

// ValidateJobs checks every job (paths jobs[i]...) and that job keys are
// distinct. It returns nil or an *Errors listing every problem.
func ValidateJobs(jobs []*Job) error {
	errs := &Errors{}
	if len(jobs) == 0 {
		errs.Add("jobs", "no jobs defined")
	}
	seen := map[string]int{}
	for i, j := range jobs {
		path := indexPath("jobs", i)
		if j == nil {
			errs.Add(path, "is required")
			continue
		}
		validateJob(errs, path, j)
		if prev, ok := seen[j.Key()]; ok {
			errs.Add(path, "duplicate job key %s (also jobs[%d])", shorten(j.Key()), prev)
		} else {
			seen[j.Key()] = i
		}
	}
	return errs.Err()
}

// Validate checks one job; paths are relative to it (task.resources.cpu).
// It returns nil or an *Errors listing every problem.
func (j *Job) Validate() error {
	errs := &Errors{}
	validateJob(errs, "", j)
	return errs.Err()
}

type checker struct {
	errs *Errors
	path string
}

func (c checker) at(field string) checker { return checker{c.errs, childPath(c.path, field)} }
func (c checker) idx(i int) checker       { return checker{c.errs, indexPath(c.path, i)} }

func (c checker) add(format string, args ...any) { c.errs.Add(c.path, format, args...) }

func (c checker) required(s string) bool {
	if strings.TrimSpace(s) == "" {
		c.add("is required")
		return false
	}
	return true
}

// ident checks a job key part or a task name: Aurora's identifiers
// (jobkey.CheckPart).
func (c checker) ident(s string) {
	if c.required(s) {
		c.identOptional(s)
	}
}

func (c checker) identOptional(s string) {
	if msg := jobkey.CheckPart(s); msg != "" {
		c.add("%s", msg)
	}
}

func (c checker) min(v, min int) {
	if v < min {
		if min == 1 {
			c.add("must be > 0, got %d", v)
		} else {
			c.add("must be >= %d, got %d", min, v)
		}
	}
}

// between checks min <= v <= max, with min's message first.
func (c checker) between(v, min, max int) {
	if v < min {
		c.min(v, min)
	} else if v > max {
		c.add("must be at most %d, got %d", max, v)
	}
}

// count checks a count of failures or successes: min <= v <= MaxCount.
func (c checker) count(v, min int) { c.between(v, min, MaxCount) }

// secs checks a duration in whole seconds: min <= v <= 30 days.
func (c checker) secs(v, min int) {
	if v < min {
		c.min(v, min)
	} else if v > MaxDurationSecs {
		c.add("must be at most %d (30 days), got %d", MaxDurationSecs, v)
	}
}

// finite reports whether f is a number (not NaN or ±Inf), recording a
// problem when it is not.
func (c checker) finite(f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		c.add("must be a finite number, got %v", f)
		return false
	}
	return true
}

// floatSecs checks a duration in seconds given as a float: finite, above
// min (or at least min when orEqual) and at most 30 days.
func (c checker) floatSecs(f, min float64, orEqual bool) {
	switch {
	case !c.finite(f):
	case orEqual && f < min:
		c.add("must be >= %v, got %v", min, f)
	case !orEqual && !(f > min):
		c.add("must be > %v, got %v", min, f)
	case f > MaxDurationSecs:
		c.add("must be at most %d (30 days), got %v", MaxDurationSecs, f)
	}
}

// portName checks a port name: not empty, at most 255 bytes, without NUL,
// line breaks, ",", "=" or "/" (which break the labels and name=value lists
// it ends up in) and without spaces (the launch-time pattern
// {{thermos.ports[NAME]}} never matches a name with spaces, so such a port
// would never be filled in). where tells where an empty one is, when the
// path does not.
func (c checker) portName(s, where string) {
	switch i := strings.IndexAny(s, "\x00\n\r,=/ \t"); {
	case s == "":
		c.add("port name%s must not be empty", where)
	case len(s) > MaxNameBytes:
		c.add("port name %s is %d bytes, over the limit of %d", jobkey.Quote(s), len(s), MaxNameBytes)
	case i >= 0:
		c.add("port name %s must not contain %s", jobkey.Quote(s), describeChar(s[i]))
	}
}

func describeChar(b byte) string {
	switch b {
	case 0:
		return "NUL"
	case '\n', '\r':
		return "a line break"
	case ' ', '\t':
		return "spaces"
	case '/':
		return "/"
	}
	return fmt.Sprintf("%q", string(b))
}

func validateJob(errs *Errors, path string, j *Job) {
	c := checker{errs, path}
	c.at("cluster").ident(j.Cluster)
	c.at("role").ident(j.Role)
	c.at("environment").ident(j.Environment)
	c.at("name").ident(j.Name)
	if j.Task == nil {
		c.at("task").add("is required")
	} else {
		validateTask(c.at("task"), j.Task)
	}
	c.at("instances").between(j.Instances, 1, MaxInstances)
	if j.MaxTaskFailures < -1 || j.MaxTaskFailures == 0 {
		c.at("max_task_failures").add("must be -1 (unlimited) or > 0, got %d", j.MaxTaskFailures)
	} else if j.MaxTaskFailures > MaxCount {
		c.at("max_task_failures").add("must be at most %d, got %d", MaxCount, j.MaxTaskFailures)
	}
	if j.Priority < math.MinInt32 || j.Priority > math.MaxInt32 {
		// Aurora's TaskConfig.priority is a 32-bit integer.
		c.at("priority").add("must be between %d and %d (32 bits, as in Aurora), got %d", math.MinInt32, math.MaxInt32, j.Priority)
	}
	if j.Tier != "" {
		// Aurora's scheduler checks a tier as an identifier too.
		c.at("tier").identOptional(j.Tier)
	}
	validateCron(c, j)
	validateHealthCheck(c.at("health_check_config"), j.HealthCheckConfig)
	validateUpdate(c.at("update_config"), j.UpdateConfig, j.Instances)
	if j.UpdateConfig.SlaAware && j.SlaPolicy == nil {
		// Aurora's scheduler refuses such an update with these words.
		c.at("update_config").at("sla_aware").add("%s", errSlaAwareWithoutPolicy)
	}
	if j.SlaPolicy != nil {
		validateSlaPolicy(c.at("sla_policy"), j.SlaPolicy, j.Instances)
	}
	if j.Container != nil {
		validateContainer(c.at("container"), j.Container)
	}
	if p := j.PartitionPolicy; p != nil {
		c.at("partition_policy").at("delay_secs").secs(p.DelaySecs, 0)
	}
	if e := j.ExecutorConfig; e != nil && e.Name != AuroraExecutorName {
		c.at("executor_config").at("name").add("executor %s is not supported: Borealis runs a task's processes "+
			"with its own runner, as Aurora's Thermos executor (%s) does, and runs no other Mesos executor",
			jobkey.Quote(e.Name), AuroraExecutorName)
	}
	if j.Announce != nil {
		if pc := c.at("announce").at("primary_port"); pc.required(j.Announce.PrimaryPort) {
			pc.portName(j.Announce.PrimaryPort, "")
		}
		validatePortmap(c.at("announce"), j.Announce, j.Task)
	}
	for i, m := range j.Metadata {
		c.at("metadata").idx(i).at("key").required(m.Key)
	}
	if h := j.Lifecycle.HTTP; h != nil {
		lc := c.at("lifecycle").at("http")
		if lc.at("port").required(h.Port) {
			lc.at("port").portName(h.Port, "")
		}
		lc.at("graceful_shutdown_endpoint").required(h.GracefulShutdownEndpoint)
		lc.at("shutdown_endpoint").required(h.ShutdownEndpoint)
		lc.at("graceful_shutdown_wait_secs").secs(h.GracefulShutdownWaitSecs, 0)
		lc.at("shutdown_wait_secs").secs(h.ShutdownWaitSecs, 0)
	}
}

func validateHealthCheck(c checker, h HealthCheckConfig) {
	hc := c.at("health_checker")
	switch {
	case h.HealthChecker.HTTP != nil && h.HealthChecker.Shell != nil:
		hc.add("set exactly one of http and shell, not both")
	case h.HealthChecker.HTTP == nil && h.HealthChecker.Shell == nil:
		hc.add("set exactly one of http and shell")
	}
	if s := h.HealthChecker.Shell; s != nil {
		if sc := hc.at("shell").at("shell_command"); sc.required(s.ShellCommand) {
			checkPortRefs(sc, s.ShellCommand)
		}
	}
	if hh := h.HealthChecker.HTTP; hh != nil {
		hc.at("http").at("expected_response_code").between(hh.ExpectedResponseCode, 0, MaxStatusCode)
	}
	c.at("initial_interval_secs").floatSecs(h.InitialIntervalSecs, 0, true)
	c.at("interval_secs").floatSecs(h.IntervalSecs, 0, false)
	c.at("timeout_secs").floatSecs(h.TimeoutSecs, 0, false)
	c.at("max_consecutive_failures").count(h.MaxConsecutiveFailures, 0)
	c.at("min_consecutive_successes").count(h.MinConsecutiveSuccesses, 1)
}

func validateContainer(c checker, ct *Container) {
	switch {
	case ct.Docker != nil && ct.Mesos != nil:
		c.add("set exactly one of docker and mesos, not both")
		return
	case ct.Mesos != nil:
		validateMesos(c.at("mesos"), ct.Mesos)
		return
	case ct.Docker == nil:
		c.add("set docker or mesos (Borealis runs a Mesos container's DockerImage as a Docker container)")
		return
	}
	dc := c.at("docker")
	dc.at("image").required(ct.Docker.Image)
	for i, p := range ct.Docker.Parameters {
		dc.at("parameters").idx(i).at("name").required(p.Name)
	}
}
