package main

import (
	"io"
	"log/slog"
	"strings"
)

// newLogger is the worker's logger, which the Temporal SDK's logs go
// through too (connect.TemporalOptions): at level (debug, info, warn or
// error; info when it is none of them) on w, as one JSON object a line
// (log/slog's JSONHandler) when format is "json", else as slog's text
// (key=value pairs).
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// loggedError is an error the worker has logged already: it exits without
// printing it again.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }
