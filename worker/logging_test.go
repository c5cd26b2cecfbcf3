package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
)

// jsonLines parses every line of out as a JSON object.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "a line that is not JSON: %q", l)
		lines = append(lines, m)
	}
	return lines
}

// TestNewLoggerJSON: the json format writes a JSON object a line, the
// Temporal SDK's logs (through the adapter the client gets) too, at the
// level asked.
func TestNewLoggerJSON(t *testing.T) {
	var b bytes.Buffer
	logger := newLogger(&b, "warn", "json")
	logger.Info("dropped: below warn")
	logger.Warn("task processes may run as root", "tasks.uid", 0)
	sdklog.NewStructuredLogger(logger).Error("Workflow panic", "Namespace", "default", "WorkflowID", "job/c/r/e/n")
	lines := jsonLines(t, b.String())
	require.Len(t, lines, 2, b.String())
	assert.Equal(t, "WARN", lines[0]["level"])
	assert.Equal(t, "task processes may run as root", lines[0]["msg"])
	assert.Equal(t, 0.0, lines[0]["tasks.uid"])
	assert.Equal(t, "ERROR", lines[1]["level"])
	assert.Equal(t, "Workflow panic", lines[1]["msg"])
	assert.Equal(t, "job/c/r/e/n", lines[1]["WorkflowID"])
	assert.NotEmpty(t, lines[1]["time"])
}

// TestNewLoggerText: the text format (the default) writes key=value pairs;
// an unknown level is info.
func TestNewLoggerText(t *testing.T) {
	var b bytes.Buffer
	logger := newLogger(&b, "chatty", "text")
	logger.Debug("dropped: below info")
	logger.Info("serving metrics", "address", "http://127.0.0.1:9464/metrics")
	assert.Regexp(t, `^time=\S+ level=INFO msg="serving metrics" address=http://127.0.0.1:9464/metrics\n$`, b.String())
}

// isolate keeps the settings of the machine (files and BOREALIS_*
// variables a developer may have) out of a run of the worker.
func isolate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	t.Chdir(dir)
}

// TestRunLogsJSON: with --log-format json every line the worker writes is
// JSON, the error it stops with included (which main then does not print
// again).
func TestRunLogsJSON(t *testing.T) {
	isolate(t)
	var b bytes.Buffer
	err := run([]string{"--log-format", "json", "--worker-metrics-address", "127.0.0.1:0",
		"--runner-path", "/nonexistent/borealis-runner"}, &b)
	require.Error(t, err)
	assert.True(t, errors.As(err, new(loggedError)), "the error is logged: %v", err)
	assert.Contains(t, err.Error(), "runner binary /nonexistent/borealis-runner")
	lines := jsonLines(t, b.String())
	var msgs []string
	for _, l := range lines {
		msgs = append(msgs, l["msg"].(string))
	}
	assert.Equal(t, []string{"serving metrics", "worker stopped"}, msgs, b.String())
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/metrics$`, lines[0]["address"])
	assert.Equal(t, "ERROR", lines[1]["level"])
	assert.Contains(t, lines[1]["error"], "runner binary /nonexistent/borealis-runner")
}

// TestRunLogFormatChecked: a log format other than text or json is refused
// with the settings' other mistakes, before anything is logged; the text
// format returns its error for main to print.
func TestRunLogFormatChecked(t *testing.T) {
	isolate(t)
	var b bytes.Buffer
	err := run([]string{"--log-format", "xml"}, &b)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `log_format: "xml" is not text or json`)
	assert.Empty(t, b.String())

	t.Setenv("BOREALIS_LOG_FORMAT", "text")
	err = run([]string{"--worker-metrics-address", "", "--runner-path", "/nonexistent/borealis-runner"}, &b)
	require.Error(t, err)
	assert.False(t, errors.As(err, new(loggedError)), "text: main prints the error")
	assert.Empty(t, b.String())
}
