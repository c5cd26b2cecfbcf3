package config

import "github.com/borealis-dev/borealis/jobkey"

// Bounds of a RotatePolicy.
const (
	minLogSize    = 1 << 10
	maxLogSize    = 1 << 40
	maxLogBackups = 100
)

func validateLogger(c checker, l *Logger) {
	switch l.Destination {
	case "file", "console", "both":
	default:
		c.at("destination").add("must be file, console or both, got %s", jobkey.Quote(l.Destination))
	}
	switch l.Mode {
	case "standard", "rotate":
	default:
		c.at("mode").add("must be standard or rotate, got %s", jobkey.Quote(l.Mode))
	}
	if r := l.Rotate; r != nil {
		rc := c.at("rotate")
		if r.LogSize < minLogSize || r.LogSize > maxLogSize {
			rc.at("log_size").add("must be 1 KiB to 1 TiB (%d to %d bytes), got %d", minLogSize, maxLogSize, r.LogSize)
		}
		rc.at("backups").between(r.Backups, 0, maxLogBackups)
		if l.Mode != "rotate" {
			rc.add("is set but mode is %s: set mode = 'rotate' for it to apply", jobkey.Quote(l.Mode))
		}
	}
}
