package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

// An Announcer's portmap names more endpoints for a task: each key is an
// alias announced as the port its value names, a port name (allocated like
// a {{thermos.ports[NAME]}} the cmdlines reference, whether they do or not)
// or a fixed port number. A value may name another key; Aurora resolves the
// chain, and so does Borealis.

// DefaultPortmapAlias is the alias Aurora announces for the primary port
// when the portmap does not name it (Announcer's default portmap,
// {'aurora': '{{primary_port}}'}).
const DefaultPortmapAlias = "aurora"

// PortTarget is what a portmap alias resolves to: a named port to
// allocate, or a fixed port number (Number > 0).
type PortTarget struct {
	Name   string
	Number int
}

func (t PortTarget) String() string {
	if t.Number > 0 {
		return strconv.Itoa(t.Number)
	}
	return t.Name
}

// ResolvedPortmap is the portmap with every chain followed to a port name
// or number, with Aurora's default alias for the primary port added when
// the portmap lacks it. A cycle is an error naming the aliases in it.
func (a *Announcer) ResolvedPortmap() (map[string]PortTarget, error) {
	out := make(map[string]PortTarget, len(a.Portmap)+1)
	for _, alias := range sortedKeys(a.Portmap) {
		t, err := resolvePortAlias(a.Portmap, alias)
		if err != nil {
			return nil, err
		}
		out[alias] = t
	}
	if _, ok := a.Portmap[DefaultPortmapAlias]; !ok && a.PrimaryPort != "" {
		t, err := resolvePortAlias(map[string]string{DefaultPortmapAlias: a.PrimaryPort}, DefaultPortmapAlias)
		if err == nil {
			if tt, ok := out[a.PrimaryPort]; ok {
				t = tt
			}
			out[DefaultPortmapAlias] = t
		}
	}
	return out, nil
}

// resolvePortAlias follows alias through m to a port name or number.
func resolvePortAlias(m map[string]string, alias string) (PortTarget, error) {
	seen := []string{alias}
	v := m[alias]
	for {
		if n, err := strconv.Atoi(v); err == nil {
			return PortTarget{Number: n}, nil
		}
		next, ok := m[v]
		if !ok {
			return PortTarget{Name: v}, nil
		}
		for _, s := range seen {
			if s == v {
				return PortTarget{}, fmt.Errorf("cycle through %s", jobkey.Quote(alias))
			}
		}
		seen = append(seen, v)
		v = next
	}
}

// PortNames is the sorted, distinct names of the ports a job's tasks get:
// those the cmdlines reference ([Task.PortNames]) and those the announce
// portmap maps aliases to (Aurora allocates both).
func (j *Job) PortNames() []string {
	var names []string
	if j.Task != nil {
		names = j.Task.PortNames()
	}
	if j.Announce == nil || len(j.Announce.Portmap) == 0 {
		return names
	}
	pm, err := j.Announce.ResolvedPortmap()
	if err != nil {
		return names
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for alias, t := range pm {
		if _, set := j.Announce.Portmap[alias]; set && t.Number == 0 && !seen[t.Name] {
			seen[t.Name] = true
			names = append(names, t.Name)
		}
	}
	sort.Strings(names)
	return names
}

// resolvePortAliases replaces, in the job's cmdlines and shell health
// check, each {{thermos.ports[ALIAS]}} of a portmap alias by the port it
// resolves to (Aurora's executor fills an alias with its port's number):
// {{thermos.ports[PORT]}} for a named port, the number for a fixed one.
// The alias health stays: the health port decides HTTP health checking
// and must be a port of its own (validatePortmap says so). A portmap with
// a cycle is left for validation to report.
func (j *Job) resolvePortAliases() {
	if j.Announce == nil || len(j.Announce.Portmap) == 0 || j.Task == nil {
		return
	}
	pm, err := j.Announce.ResolvedPortmap()
	if err != nil {
		return
	}
	fill := func(s string) string {
		if !strings.Contains(s, "{{") {
			return s
		}
		return portRefRE.ReplaceAllStringFunc(s, func(ref string) string {
			name := portRefRE.FindStringSubmatch(ref)[1]
			t, ok := pm[name]
			if _, set := j.Announce.Portmap[name]; !ok || !set || name == HealthPortName {
				return ref
			}
			if t.Number > 0 {
				return strconv.Itoa(t.Number)
			}
			return "{{thermos.ports[" + t.Name + "]}}"
		})
	}
	for i := range j.Task.Processes {
		j.Task.Processes[i].Cmdline = fill(j.Task.Processes[i].Cmdline)
	}
	if sh := j.HealthCheckConfig.HealthChecker.Shell; sh != nil {
		sh.ShellCommand = fill(sh.ShellCommand)
	}
}

// validatePortmap checks an Announcer's portmap: port names or numbers
// 1-65535 as values, no cycle, and no health alias a cmdline references
// (the health port turns on HTTP health checks: it must be a port).
func validatePortmap(c checker, a *Announcer, t *Task) {
	pc := c.at("portmap")
	for _, alias := range sortedKeys(a.Portmap) {
		v := a.Portmap[alias]
		ac := pc.key(alias)
		ac.portName(alias, " (a portmap key)")
		if n, err := strconv.Atoi(v); err == nil {
			if n < 1 || n > 65535 {
				ac.add("port number must be 1 to 65535, got %d", n)
			}
		} else {
			ac.portName(v, "")
		}
	}
	if _, err := a.ResolvedPortmap(); err != nil {
		pc.add("%v", err)
	}
	if t == nil {
		return
	}
	if target, ok := a.Portmap[HealthPortName]; ok && t.HasPort(HealthPortName) {
		pc.key(HealthPortName).add("is an alias of %s, but a cmdline references {{thermos.ports[%s]}}: the health port "+
			"must be a port of its own in Borealis (it turns on HTTP health checks)", jobkey.Quote(target), HealthPortName)
	}
}

// key is the checker of a map's entry: path[<quoted key>].
func (c checker) key(k string) checker {
	return checker{c.errs, c.path + "[" + strconv.Quote(k) + "]"}
}
