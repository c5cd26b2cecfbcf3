package cli

import (
	"path"
	"strings"
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
