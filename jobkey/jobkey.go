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

// namePattern is what every part of a job key must match: Aurora's
// GOOD_IDENTIFIER_PATTERN (api.thrift), ASCII letters, digits, _, - and .
var namePattern = regexp.MustCompile(`^[\w\-\.]+$`)

// MaxPartBytes is the longest a job key part may be: Aurora's scheduler
// refuses longer identifiers (UserProvidedStrings.MAX_IDENTIFIER_LENGTH).
const MaxPartBytes = 255

// CheckPart returns what is wrong with s as a part of a job key (cluster,
// role, environment or name), or "" when it is fine. Besides Aurora's
// pattern and length, a part must not start with ".": parts become path
// components and container names, where "." and ".." are not names.
func CheckPart(s string) string {
	switch {
	case len(s) > MaxPartBytes:
		return fmt.Sprintf("%s is %d bytes, over the limit of %d", Quote(s), len(s), MaxPartBytes)
	case !namePattern.MatchString(s):
		return fmt.Sprintf("%s must match %s (letters, digits, _, - and .)", Quote(s), namePattern)
	case strings.HasPrefix(s, "."):
		return fmt.Sprintf("%s must not start with . (nor be . or ..)", Quote(s))
	}
	return ""
}

// quoteMax is how much of a value Quote shows.
const quoteMax = 64

// Quote quotes s for a message, shortened to its first bytes when it is
// long, so that a huge value does not make a huge message.
func Quote(s string) string {
	if len(s) <= quoteMax {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:quoteMax]) + "..."
}

// String prints the key as cluster/role/env/name.
func (k Key) String() string {
	return k.Cluster + "/" + k.Role + "/" + k.Environment + "/" + k.Name
}

// Parse reads a job key cluster/role/env/name.
func Parse(s string) (Key, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 4 {
		return Key{}, fmt.Errorf("job key %s: want CLUSTER/ROLE/ENV/NAME", Quote(s))
	}
	k := Key{Cluster: parts[0], Role: parts[1], Environment: parts[2], Name: parts[3]}
	for i, p := range parts {
		if msg := CheckPart(p); msg != "" {
			what := [...]string{"cluster", "role", "environment", "name"}[i]
			return Key{}, fmt.Errorf("job key %s: %s %s", Quote(s), what, msg)
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
			return Key{}, nil, fmt.Errorf("instance spec %s: %w", Quote(s), err)
		}
		return k, ids, nil
	default:
		return Key{}, nil, fmt.Errorf("instance spec %s: want CLUSTER/ROLE/ENV/NAME[/INSTANCES]", Quote(s))
	}
}

// MaxInstances is the most instances a job may have (config validation
// refuses more), so instance ids run from 0 to MaxInstances-1.
const MaxInstances = 10_000

// ParseInstances reads a list like "0-2,5" into sorted, distinct ids, each
// below MaxInstances.
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
			return nil, fmt.Errorf("instance %s: want a number ≥ 0 or a range A-B", Quote(part))
		}
		b := a
		if isRange {
			b, err = strconv.Atoi(hi)
			if err != nil || b < a {
				return nil, fmt.Errorf("instance range %s: want A-B with A ≤ B", Quote(part))
			}
		}
		if b >= MaxInstances {
			// Also keeps i++ below from overflowing at the largest int.
			return nil, fmt.Errorf("instance %s: ids go up to %d (a job has at most %d instances)", Quote(part), MaxInstances-1, MaxInstances)
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
