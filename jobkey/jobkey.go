// Package jobkey parses and prints Aurora job keys (cluster/role/env/name)
// and instance specs (KEY/0-2,5), the names that tie a job's workflows,
// containers and CLI arguments together.
package jobkey

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Key identifies a job: cluster/role/environment/name.
type Key struct {
	Cluster     string `json:"cluster"`
	Role        string `json:"role"`
	Environment string `json:"environment"`
	Name        string `json:"name"`
}

// namePattern is what role, environment and name must match (SPEC §1).
var namePattern = regexp.MustCompile(`^[\w\-\.]+$`)

// String prints the key as cluster/role/env/name.
func (k Key) String() string {
	return k.Cluster + "/" + k.Role + "/" + k.Environment + "/" + k.Name
}

// Parse reads a job key cluster/role/env/name.
func Parse(s string) (Key, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 4 {
		return Key{}, fmt.Errorf("job key %q: want CLUSTER/ROLE/ENV/NAME", s)
	}
	k := Key{Cluster: parts[0], Role: parts[1], Environment: parts[2], Name: parts[3]}
	for i, p := range parts {
		if !namePattern.MatchString(p) {
			what := [...]string{"cluster", "role", "environment", "name"}[i]
			return Key{}, fmt.Errorf("job key %q: %s %q must match %s", s, what, p, namePattern)
		}
	}
	return k, nil
}

// ParseInstanceSpec reads KEY or KEY/INSTANCES. Instances is nil when the
// spec names the whole job.
func ParseInstanceSpec(s string) (Key, []int, error) {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 4:
		k, err := Parse(s)
		return k, nil, err
	case 5:
		k, err := Parse(strings.Join(parts[:4], "/"))
		if err != nil {
			return Key{}, nil, err
		}
		ids, err := ParseInstances(parts[4])
		if err != nil {
			return Key{}, nil, fmt.Errorf("instance spec %q: %w", s, err)
		}
		return k, ids, nil
	default:
		return Key{}, nil, fmt.Errorf("instance spec %q: want CLUSTER/ROLE/ENV/NAME[/INSTANCES]", s)
	}
}

// ParseInstances reads a list like "0-2,5" into sorted, distinct ids.
func ParseInstances(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty instance list")
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("instance %q: want a number ≥ 0 or a range A-B", part)
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(hi)
			if err != nil || b < a {
				return nil, fmt.Errorf("instance range %q: want A-B with A ≤ B", part)
			}
		}
		if b-a > 100000 {
			return nil, fmt.Errorf("instance range %q: too large", part)
		}
		for i := a; i <= b; i++ {
			seen[i] = true
		}
	}
	ids := make([]int, 0, len(seen))
	for i := range seen {
		ids = append(ids, i)
	}
	sort.Ints(ids)
	return ids, nil
}

// FormatInstances prints ids compactly: [0 1 2 5] → "0-2,5".
func FormatInstances(ids []int) string {
	if len(ids) == 0 {
		return ""
	}
	s := append([]int(nil), ids...)
	sort.Ints(s)
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", s[i], s[j])
		} else {
			fmt.Fprintf(&b, "%d", s[i])
		}
		i = j + 1
	}
	return b.String()
}
