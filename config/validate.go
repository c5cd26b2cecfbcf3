package config

import (
	"net/url"
	"sort"

	"regexp"
	"strings"
)

// Validation: Aurora's client checks and the rules of SPEC §1, each problem
// reported with its field path.

var identRE = regexp.MustCompile(`^[\w\-.]+$`)

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
			errs.Add(path, "duplicate job key %s (also jobs[%d])", j.Key(), prev)
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

func (c checker) ident(s string) {
	if c.required(s) && !identRE.MatchString(s) {
		c.add("%q must match %s (letters, digits, _, - and .)", s, identRE)
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
	c.at("instances").min(j.Instances, 1)
	if j.MaxTaskFailures < -1 || j.MaxTaskFailures == 0 {
		c.at("max_task_failures").add("must be -1 (unlimited) or > 0, got %d", j.MaxTaskFailures)
	}
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
	if j.Announce != nil {
		c.at("announce").at("primary_port").required(j.Announce.PrimaryPort)
	}
	for i, m := range j.Metadata {
		c.at("metadata").idx(i).at("key").required(m.Key)
	}
	if h := j.Lifecycle.HTTP; h != nil {
		lc := c.at("lifecycle").at("http")
		lc.at("port").required(h.Port)
		lc.at("graceful_shutdown_endpoint").required(h.GracefulShutdownEndpoint)
		lc.at("shutdown_endpoint").required(h.ShutdownEndpoint)
		lc.at("graceful_shutdown_wait_secs").min(h.GracefulShutdownWaitSecs, 0)
		lc.at("shutdown_wait_secs").min(h.ShutdownWaitSecs, 0)
	}
}

func validateTask(c checker, t *Task) {
	if t.Name != "" && !identRE.MatchString(t.Name) {
		c.at("name").add("%q must match %s (letters, digits, _, - and .)", t.Name, identRE)
	}
	if len(t.Processes) == 0 {
		c.at("processes").add("must have at least one process")
	}
	byName := map[string]*Process{}
	for i := range t.Processes {
		p := &t.Processes[i]
		pc := c.at("processes").idx(i)
		if pc.at("name").required(p.Name) {
			switch {
			case strings.Contains(p.Name, "/"):
				pc.at("name").add("%q must not contain /", p.Name)
			case strings.HasPrefix(p.Name, "."):
				pc.at("name").add("%q must not start with .", p.Name)
			}
			if _, dup := byName[p.Name]; dup {
				pc.at("name").add("duplicate process name %q", p.Name)
			} else {
				byName[p.Name] = p
			}
		}
		pc.at("cmdline").required(p.Cmdline)
		pc.at("max_failures").min(p.MaxFailures, 0)
		pc.at("min_duration").min(p.MinDuration, 0)
	}
	validateConstraints(c.at("constraints"), t.Constraints, byName)
	if t.Resources == nil {
		c.at("resources").add("is required")
	} else {
		rc := c.at("resources")
		if !(t.Resources.CPU > 0) {
			rc.at("cpu").add("must be > 0, got %v", t.Resources.CPU)
		}
		if t.Resources.RAM < MB {
			rc.at("ram").add("must be at least 1 MiB (1048576 bytes), got %d", t.Resources.RAM)
		}
		if t.Resources.Disk < MB {
			rc.at("disk").add("must be at least 1 MiB (1048576 bytes), got %d", t.Resources.Disk)
		}
		rc.at("gpu").min(t.Resources.GPU, 0)
	}
	c.at("max_failures").min(t.MaxFailures, 0)
	c.at("max_concurrency").min(t.MaxConcurrency, 0)
	c.at("finalization_wait").min(t.FinalizationWait, 0)
}

// validateConstraints checks order constraints: known processes, the
// dependency rules of SPEC §1, and no cycles.
func validateConstraints(c checker, cons []Constraint, byName map[string]*Process) {
	after := map[string][]string{} // a → processes that run after a
	for i, con := range cons {
		cc := c.idx(i).at("order")
		ok := true
		for _, name := range con.Order {
			if _, known := byName[name]; !known {
				cc.add("unknown process %q", name)
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
				cc.add("process %q cannot run after itself", a.Name)
			case a.Final != b.Final:
				cc.add("final and regular processes may not depend on each other (%q, %q)", a.Name, b.Name)
			case a.Daemon:
				cc.add("process %q may not depend on daemon process %q", b.Name, a.Name)
			case a.Ephemeral && !b.Ephemeral:
				cc.add("non-ephemeral process %q may not depend on ephemeral process %q", b.Name, a.Name)
			}
			after[a.Name] = append(after[a.Name], b.Name)
		}
	}
	if cycle := findCycle(after); cycle != nil {
		c.add("order constraints form a cycle: %s", strings.Join(cycle, " -> "))
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
		hc.at("shell").at("shell_command").required(s.ShellCommand)
	}
	if hh := h.HealthChecker.HTTP; hh != nil {
		hc.at("http").at("expected_response_code").min(hh.ExpectedResponseCode, 0)
	}
	if h.InitialIntervalSecs < 0 {
		c.at("initial_interval_secs").add("must be >= 0, got %v", h.InitialIntervalSecs)
	}
	if !(h.IntervalSecs > 0) {
		c.at("interval_secs").add("must be > 0, got %v", h.IntervalSecs)
	}
	if !(h.TimeoutSecs > 0) {
		c.at("timeout_secs").add("must be > 0, got %v", h.TimeoutSecs)
	}
	c.at("max_consecutive_failures").min(h.MaxConsecutiveFailures, 0)
	c.at("min_consecutive_successes").min(h.MinConsecutiveSuccesses, 1)
}

func validateUpdate(c checker, u UpdateConfig, instances int) {
	c.at("batch_size").min(u.BatchSize, 1)
	c.at("watch_secs").min(u.WatchSecs, 0)
	c.at("max_per_shard_failures").min(u.MaxPerShardFailures, 0)
	c.at("max_total_failures").min(u.MaxTotalFailures, 0)
	if u.MaxTotalFailures >= instances && instances >= 1 {
		c.at("max_total_failures").add("must be < instances (%d), got %d", instances, u.MaxTotalFailures)
	}
	if p := u.PulseIntervalSecs; p != nil && *p < 60 {
		c.at("pulse_interval_secs").add("must be >= 60 when set, got %d", *p)
	}
	if d := u.HealthyDeadlineSecs; d != nil && *d <= 0 {
		c.at("healthy_deadline_secs").add("must be > 0 when set, got %d", *d)
	}
	if u.UpdateOrder != UpdateOrderStopFirst && u.UpdateOrder != UpdateOrderStartFirst {
		c.at("update_order").add("must be %s or %s, got %q", UpdateOrderStopFirst, UpdateOrderStartFirst, u.UpdateOrder)
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
			sc.at("queue").at("batch_size").min(s.Queue.BatchSize, 1)
		}
		if s.Batch != nil {
			n++
			sc.at("batch").at("batch_size").min(s.Batch.BatchSize, 1)
		}
		if v := s.VariableBatch; v != nil {
			n++
			vc := sc.at("variable_batch").at("batch_sizes")
			if len(v.BatchSizes) == 0 {
				vc.add("must list at least one batch size")
			}
			for i, b := range v.BatchSizes {
				vc.idx(i).min(b, 1)
			}
		}
		if n != 1 {
			sc.add("set exactly one of queue, batch and variable_batch")
		}
	}
}

func validateContainer(c checker, ct *Container) {
	if ct.Docker == nil {
		c.add("set docker (the only container kind Borealis runs)")
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
		}
		cc.at("duration_secs").min(cp.DurationSecs, 0)
	}
	if pp := p.Percentage; pp != nil {
		n++
		pc := c.at("percentage")
		switch pct := pp.Percentage; {
		case !(pct > 0 && pct < 100):
			pc.at("percentage").add("must be > 0 and < 100, got %v", pct)
		case instances >= 1 && float64(instances)-float64(instances)*pct/100 < 1-1e-9: // 1e-9: float rounding
			pc.at("percentage").add("must be at most %v with %d instances so that an instance may be down, got %v",
				float64(instances-1)/float64(instances)*100, instances, pct)
		}
		pc.at("duration_secs").min(pp.DurationSecs, 0)
	}
	if cp := p.Coordinator; cp != nil {
		n++
		cc := c.at("coordinator")
		if cc.at("coordinator_url").required(cp.CoordinatorURL) {
			u, err := url.Parse(strings.TrimSpace(cp.CoordinatorURL))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				cc.at("coordinator_url").add("%q must be an http or https URL", cp.CoordinatorURL)
			}
		}
		cc.at("status_key").required(cp.StatusKey)
	}
	if n != 1 {
		c.add("set exactly one of count, percentage and coordinator")
	}
}
