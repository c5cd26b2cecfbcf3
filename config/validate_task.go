package config

// Validation of a job's task (validate.go): its processes, their order
// constraints and its resources.

import (
	"sort"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

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
