package settings

import (
	"fmt"
	"path/filepath"
)

// Entry is one effective setting with where it came from.
type Entry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	Env    string `json:"env"`
}

// Entries lists every setting in a stable order, for `borealis config show`.
// Secrets are masked. A list setting's value is its items joined by commas.
func (s *Settings) Entries() []Entry {
	out := make([]Entry, 0, len(all))
	for _, d := range all {
		val := fmt.Sprint(s.values[d.key])
		if d.key == KeyTemporalAPIKey && val != "" {
			val = "********"
		}
		out = append(out, Entry{Key: d.key, Value: val, Source: s.sources[d.key], Env: EnvName(d.key)})
	}
	return out
}

// SandboxDir is where task sandboxes live.
func (s *Settings) SandboxDir() string { return filepath.Join(s.DataDir, "sandboxes") }
