package config

import (
	"fmt"
	"math"
	"net/url"
	"sort"
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

// checkPortRefs checks the names of the {{thermos.ports[NAME]}} references
// in s, a command line.
func checkPortRefs(c checker, s string) {
	if !strings.Contains(s, "thermos.ports") {
		return
	}
	for _, m := range templateRE.FindAllStringSubmatch(s, -1) {
		ref := strings.TrimSpace(m[1])
		if !IsLaunchTimeRef(ref) || !strings.HasPrefix(ref, "thermos.ports[") {
			continue
		}
		name := strings.TrimSpace(ref[len("thermos.ports[") : len(ref)-1])
		c.portName(name, " in "+jobkey.Quote(m[0]))
	}
}

func validateTask(c checker, t *Task) {
	if t.Name != "" {
		c.at("name").identOptional(t.Name)
	}
	if len(t.Processes) == 0 {
		c.at("processes").add("must have at least one process")
	}
	byName := map[string]*Process{}
	for i := range t.Processes {
		p := &t.Processes[i]
		pc := c.at("processes").idx(i)
		if nc := pc.at("name"); nc.required(p.Name) {
			// Thermos's rule (no / and no leading .), and no character
			// that breaks the labels and lists the name is written into.
			switch i := strings.IndexAny(p.Name, "\x00\n\r,=/"); {
			case strings.HasPrefix(p.Name, "."):
				nc.add("%s must not start with .", jobkey.Quote(p.Name))
			case len(p.Name) > MaxNameBytes:
				nc.add("%s is %d bytes, over the limit of %d", jobkey.Quote(p.Name), len(p.Name), MaxNameBytes)
			case i >= 0:
				nc.add("%s must not contain %s", jobkey.Quote(p.Name), describeChar(p.Name[i]))
			}
			if _, dup := byName[p.Name]; dup {
				nc.add("duplicate process name %s", jobkey.Quote(p.Name))
			} else {
				byName[p.Name] = p
			}
		}
		if pc.at("cmdline").required(p.Cmdline) {
			checkPortRefs(pc.at("cmdline"), p.Cmdline)
		}
		pc.at("max_failures").count(p.MaxFailures, 0)
		pc.at("min_duration").secs(p.MinDuration, 0)
		if p.Logger != nil {
			validateLogger(pc.at("logger"), p.Logger)
		}
		if p.Resources != nil {
			validateProcessResources(pc.at("resources"), p.Resources)
		}
	}
	validateConstraints(c.at("constraints"), t.Constraints, byName)
	if t.Resources == nil {
		c.at("resources").add("is required")
	} else {
		validateResources(c.at("resources"), t.Resources)
	}
	c.at("max_failures").count(t.MaxFailures, 0)
	c.at("max_concurrency").count(t.MaxConcurrency, 0)
	c.at("finalization_wait").secs(t.FinalizationWait, 0)
}

func validateResources(rc checker, r *Resources) {
	switch cc := rc.at("cpu"); {
	case !cc.finite(r.CPU):
	case !(r.CPU > 0):
		cc.add("must be > 0, got %v", r.CPU)
	case r.CPU < MinCPU:
		cc.add("must be at least %v (a thousandth of a core is the finest CPU quota Docker sets), got %v", MinCPU, r.CPU)
	case r.CPU > MaxCPU:
		cc.add("must be at most %d (cores; larger quotas overflow Docker's nano-CPU arithmetic), got %v", MaxCPU, r.CPU)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"ram", r.RAM}, {"disk", r.Disk}} {
		switch {
		case f.v < MB:
			rc.at(f.name).add("must be at least 1 MiB (1048576 bytes), got %d", f.v)
		case f.v > MaxBytes:
			rc.at(f.name).add("must be at most 1 PiB (%d bytes), got %d", MaxBytes, f.v)
		}
	}
	rc.at("gpu").between(r.GPU, 0, MaxGPU)
}

// validateConstraints checks order constraints: known processes, the
// dependency rules of docs/semantics.md §1, and no cycles.
func validateConstraints(c checker, cons []Constraint, byName map[string]*Process) {
	after := map[string][]string{} // a → processes that run after a
	for i, con := range cons {
		cc := c.idx(i).at("order")
		ok := true
		for _, name := range con.Order {
			if _, known := byName[name]; !known {
				cc.add("unknown process %s", jobkey.Quote(name))
				ok = false
			}
		}
		if !ok {
			continue
		}
		for k := 1; k < len(con.Order); k++ {
			a, b := byName[con.Order[k-1]], byName[con.Order[k]]
			switch {
			case a.Name == b.Name:
				cc.add("process %s cannot run after itself", jobkey.Quote(a.Name))
			case a.Final != b.Final:
				cc.add("final and regular processes may not depend on each other (%s, %s)", jobkey.Quote(a.Name), jobkey.Quote(b.Name))
			case a.Daemon:
				cc.add("process %s may not depend on daemon process %s", jobkey.Quote(b.Name), jobkey.Quote(a.Name))
			case a.Ephemeral && !b.Ephemeral:
				cc.add("non-ephemeral process %s may not depend on ephemeral process %s", jobkey.Quote(b.Name), jobkey.Quote(a.Name))
			}
			after[a.Name] = append(after[a.Name], b.Name)
		}
	}
	if cycle := findCycle(after); cycle != nil {
		c.add("order constraints form a cycle: %s", shorten(strings.Join(cycle, " -> ")))
	}
}

// findCycle returns one cycle of the graph (first node repeated at the end),
// or nil; self loops are reported elsewhere and skipped here.
func findCycle(edges map[string][]string) []string {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var stack []string
	var found []string
	var visit func(n string) bool
	visit = func(n string) bool {
		state[n] = active
		stack = append(stack, n)
		for _, m := range edges[n] {
			if m == n {
				continue
			}
			switch state[m] {
			case active:
				for i, s := range stack {
					if s == m {
						found = append(append([]string{}, stack[i:]...), m)
					}
				}
				return true
			case unseen:
				if visit(m) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return false
	}
	names := make([]string, 0, len(edges))
	for n := range edges {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if state[n] == unseen && visit(n) {
			return found
		}
	}
	return nil
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

func validateUpdate(c checker, u UpdateConfig, instances int) {
	c.at("batch_size").between(u.BatchSize, 1, MaxInstances)
	c.at("watch_secs").secs(u.WatchSecs, 0)
	c.at("max_per_shard_failures").count(u.MaxPerShardFailures, 0)
	c.at("max_total_failures").count(u.MaxTotalFailures, 0)
	if u.MaxTotalFailures >= instances && instances >= 1 {
		c.at("max_total_failures").add("must be < instances (%d), got %d", instances, u.MaxTotalFailures)
	}
	if p := u.PulseIntervalSecs; p != nil && *p < 60 {
		c.at("pulse_interval_secs").add("must be >= 60 when set, got %d", *p)
	} else if p != nil {
		c.at("pulse_interval_secs").secs(*p, 60)
	}
	if d := u.HealthyDeadlineSecs; d != nil && *d <= 0 {
		c.at("healthy_deadline_secs").add("must be > 0 when set, got %d", *d)
	} else if d != nil {
		c.at("healthy_deadline_secs").secs(*d, 1)
	}
	if u.UpdateOrder != UpdateOrderStopFirst && u.UpdateOrder != UpdateOrderStartFirst {
		c.at("update_order").add("must be %s or %s, got %s", UpdateOrderStopFirst, UpdateOrderStartFirst, jobkey.Quote(u.UpdateOrder))
	}
	if s := u.UpdateStrategy; s != nil {
		sc := c.at("update_strategy")
		if u.WaitForBatchCompletion {
			sc.add("set either update_strategy or wait_for_batch_completion, not both")
		}
		if u.BatchSize > 1 {
			// Aurora's client refuses it too: "Ambiguous update configuration.
			// Cannot combine update strategy with batch size."
			c.add("batch_size and update_strategy are both set; set the batch size inside update_strategy " +
				"and leave batch_size at 1 (Aurora cannot combine update strategy with batch size)")
		}
		n := 0
		if s.Queue != nil {
			n++
			sc.at("queue").at("batch_size").between(s.Queue.BatchSize, 1, MaxInstances)
		}
		if s.Batch != nil {
			n++
			sc.at("batch").at("batch_size").between(s.Batch.BatchSize, 1, MaxInstances)
		}
		if v := s.VariableBatch; v != nil {
			n++
			vc := sc.at("variable_batch").at("batch_sizes")
			if len(v.BatchSizes) == 0 {
				vc.add("must list at least one batch size")
			}
			for i, b := range v.BatchSizes {
				vc.idx(i).between(b, 1, MaxInstances)
			}
		}
		if n != 1 {
			sc.add("set exactly one of queue, batch and variable_batch")
		}
	}
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

// errSlaAwareWithoutPolicy is Aurora's scheduler's answer to an SLA-aware
// update of a job without an SLA policy.
const errSlaAwareWithoutPolicy = "slaAware is true, but no task slaPolicy is specified."

// validateSlaPolicy checks an SLA policy as Aurora's scheduler does: a count
// or percentage SLA must let at least one of the job's instances be down
// (Aurora refuses one that "will not allow any instances to be killed").
func validateSlaPolicy(c checker, p *SlaPolicy, instances int) {
	n := 0
	if cp := p.Count; cp != nil {
		n++
		cc := c.at("count")
		if cp.Count < 1 {
			cc.at("count").min(cp.Count, 1)
		} else if instances >= 1 && cp.Count >= instances {
			cc.at("count").add("must be < instances (%d) so that an instance may be down, got %d", instances, cp.Count)
		} else if cp.Count > MaxCount {
			cc.at("count").add("must be at most %d, got %d", MaxCount, cp.Count)
		}
		cc.at("duration_secs").secs(cp.DurationSecs, 0)
	}
	if pp := p.Percentage; pp != nil {
		n++
		pc := c.at("percentage")
		switch pct := pp.Percentage; {
		case !pc.at("percentage").finite(pct):
		case !(pct > 0 && pct < 100):
			pc.at("percentage").add("must be > 0 and < 100, got %v", pct)
		case instances >= 1 && float64(instances)-float64(instances)*pct/100 < 1-1e-9: // 1e-9: float rounding
			pc.at("percentage").add("must be at most %v with %d instances so that an instance may be down, got %v",
				float64(instances-1)/float64(instances)*100, instances, pct)
		}
		pc.at("duration_secs").secs(pp.DurationSecs, 0)
	}
	if cp := p.Coordinator; cp != nil {
		n++
		cc := c.at("coordinator")
		if cc.at("coordinator_url").required(cp.CoordinatorURL) {
			u, err := url.Parse(strings.TrimSpace(cp.CoordinatorURL))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				cc.at("coordinator_url").add("%s must be an http or https URL", jobkey.Quote(cp.CoordinatorURL))
			}
		}
		cc.at("status_key").required(cp.StatusKey)
	}
	if n != 1 {
		c.add("set exactly one of count, percentage and coordinator")
	}
}
