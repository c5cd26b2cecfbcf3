package cli

import (
	"path"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

// keyPattern matches job keys against Aurora's job list argument,
// CLUSTER[/ROLE[/ENV[/NAME]]], each part a name or a glob (`*`, `?`,
// `[...]`, as path.Match): `devcluster/*/prod` matches every prod job of
// the cluster. The zero value matches every key.
type keyPattern struct {
	parts []string
}

// parseKeyPattern reads a job list argument; an empty one matches all.
func parseKeyPattern(s string) (keyPattern, error) {
	if s == "" {
		return keyPattern{}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) > 4 {
		return keyPattern{}, errorf(ExitInvalidParameter, "job pattern %q: want CLUSTER[/ROLE[/ENV[/NAME]]], got %d parts", s, len(parts))
	}
	for i, p := range parts {
		if p == "" {
			return keyPattern{}, errorf(ExitInvalidParameter, "job pattern %q: part %d is empty", s, i+1)
		}
		if _, err := path.Match(p, ""); err != nil {
			return keyPattern{}, errorf(ExitInvalidParameter, "job pattern %q: part %q is not a valid pattern", s, p)
		}
	}
	return keyPattern{parts: parts}, nil
}

// match reports whether key (cluster/role/env/name) matches: each part
// given matches the key's part; the parts not given match anything.
func (k keyPattern) match(key string) bool {
	got := strings.Split(key, "/")
	if len(got) != 4 {
		return false
	}
	for i, p := range k.parts {
		if ok, _ := path.Match(p, got[i]); !ok {
			return false
		}
	}
	return true
}

// filter returns the keys that match, in their order.
func (k keyPattern) filter(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, key := range keys {
		if k.match(key) {
			out = append(out, key)
		}
	}
	return out
}

// String is the pattern as given ("" for the zero value).
func (k keyPattern) String() string {
	return strings.Join(k.parts, "/")
}

// jobArg is the argument of a command that takes a job key or a pattern of
// keys (`job status`, `update list`): exactly one of key and pattern is set.
type jobArg struct {
	// key is a full job key, without glob characters: the command works on
	// that job as it always did (an unknown one exits 4).
	key string
	// pattern is anything else job list accepts: CLUSTER[/ROLE[/ENV[/NAME]]]
	// with globs, or fewer than four parts.
	pattern *keyPattern
}

// globChars are the characters that make a pattern part a glob (path.Match).
const globChars = `*?[\`

// parseJobArg reads a job key or a pattern of keys. A four-part argument
// without glob characters is a job key and must be a valid one (jobkey.Parse,
// exit 6); anything else must be a valid pattern (parseKeyPattern, exit 6).
// An instance spec (KEY/INSTANCES) is neither.
func parseJobArg(s string) (jobArg, error) {
	if s == "" {
		return jobArg{}, errorf(ExitInvalidParameter, "job key or pattern is empty: want CLUSTER/ROLE/ENV/NAME or CLUSTER[/ROLE[/ENV[/NAME]]]")
	}
	parts := strings.Split(s, "/")
	if len(parts) > 4 {
		return jobArg{}, errorf(ExitInvalidParameter, "job key or pattern %s: want CLUSTER/ROLE/ENV/NAME or CLUSTER[/ROLE[/ENV[/NAME]]] (no instances), got %d parts", jobkey.Quote(s), len(parts))
	}
	if len(parts) == 4 && !strings.ContainsAny(s, globChars) {
		k, err := jobkey.Parse(s)
		if err != nil {
			return jobArg{}, withCode(ExitInvalidParameter, err)
		}
		return jobArg{key: k.String()}, nil
	}
	p, err := parseKeyPattern(s)
	if err != nil {
		return jobArg{}, err
	}
	return jobArg{pattern: &p}, nil
}
