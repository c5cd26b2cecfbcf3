package cli

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/workflows"
)

func TestUnifiedDiff(t *testing.T) {
	a := []string{"{", "a", "b", "c", "d", "e", "f", "g", "h", "}"}
	b := []string{"{", "a", "B", "c", "d", "e", "f", "g", "h", "i", "}"}
	assert.Equal(t, []string{
		"--- current",
		"+++ proposed",
		"@@ -1,5 +1,5 @@",
		" {",
		" a",
		"-b",
		"+B",
		" c",
		" d",
		"@@ -8,3 +8,4 @@",
		" g",
		" h",
		"+i",
		" }",
	}, unifiedDiff(a, b, 2))
	assert.Equal(t, []string{"--- current", "+++ proposed", "@@ -1,3 +1,3 @@", " {", "-b", "+B", " c"},
		unifiedDiff([]string{"{", "b", "c", "d"}, []string{"{", "B", "c", "d"}, 1), "context stops at n lines")
	assert.Equal(t, []string{"--- current", "+++ proposed"}, unifiedDiff(a, a, 2), "no hunks when nothing differs")
}

func TestChangedFields(t *testing.T) {
	a := map[string]any{"name": "x", "task": map[string]any{"processes": []any{"a"}, "name": "t"}, "gone": 1.0}
	b := map[string]any{"name": "x", "task": map[string]any{"processes": []any{"b"}, "name": "t"}, "new": true}
	assert.Equal(t, []string{"gone", "new", "task.processes"}, changedFields(a, b))
}

func TestProgressLine(t *testing.T) {
	info := workflows.UpdateInfo{Status: workflows.UpdateRollingForward,
		Progress: workflows.UpdateProgress{Total: 9, Done: 3, InFlight: 3, Failed: 1, Batch: 2}}
	assert.Equal(t, "ROLLING_FORWARD: 3 of 9 instances done, 3 in flight, 1 failed, batch 2", progressLine(info))
	info.Progress.Batch = 0
	assert.Equal(t, "ROLLING_FORWARD: 3 of 9 instances done, 3 in flight, 1 failed", progressLine(info))

	var out bytes.Buffer
	p := progressPrinter{w: &out}
	p.update(info)
	p.update(info)
	info.Progress.Done = 4
	p.update(info)
	assert.Equal(t, "ROLLING_FORWARD: 3 of 9 instances done, 3 in flight, 1 failed\nROLLING_FORWARD: 4 of 9 instances done, 3 in flight, 1 failed\n",
		out.String(), "a line only when the progress changes")
}

func TestReportEnd(t *testing.T) {
	for status, code := range map[workflows.UpdateStatus]int{
		workflows.UpdateRolledForward: ExitOK,
		workflows.UpdateRolledBack:    ExitCommandFailure,
		workflows.UpdateAborted:       ExitUnknown,
		workflows.UpdateFailed:        ExitUnknown,
		workflows.UpdateError:         ExitUnknown,
	} {
		var out bytes.Buffer
		info := workflows.UpdateInfo{Status: status, UpdateEvents: []workflows.UpdateEvent{{Status: status, Message: "why"}}}
		assert.Equal(t, code, exitCode(reportEnd(&out, info, "c/r/e/n", "u")), status)
		assert.Equal(t, "Update u of c/r/e/n finished "+string(status)+": why\n", out.String())
	}
}

func TestParseUpdateStatus(t *testing.T) {
	s, err := parseUpdateStatus(" rolled_back ")
	require.NoError(t, err)
	assert.Equal(t, workflows.UpdateRolledBack, s)
	_, err = parseUpdateStatus("DONE")
	assert.Equal(t, ExitInvalidParameter, exitCode(err))
	assert.Len(t, allUpdateStatuses, 11, "docs/semantics.md §5 names eleven states")
}

func TestNewUpdateID(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := newUpdateID(), newUpdateID()
	assert.Regexp(t, uuid, a)
	assert.NotEqual(t, a, b)
}

func TestUpdateCommandErrors(t *testing.T) {
	for _, args := range [][]string{
		{"update", "start", "a/b/c/d"},
		{"update", "wait"},
		{"update", "wait", "a/b/c/d", "id", "extra"},
		{"update", "pause"},
		{"update", "resume", "a/b/c/d", "extra"},
		{"update", "abort"},
		{"update", "rollback"},
		{"update", "pulse"},
		{"update", "info"},
		{"update", "info", "a/b/c/d", "id", "extra"},
		{"update", "list"},
		{"update", "frob"},
		{"job", "diff", "a/b/c/d"},
	} {
		_, stderr, code := run(t, args...)
		assert.Equal(t, ExitInvalidCommand, code, "%v: %s", args, stderr)
	}
	for _, args := range [][]string{
		{"update", "start", "a/b/c/d/x", example("hello_world.yaml")},
		{"update", "pause", "not-a-key"},
		{"update", "wait", "not-a-key"},
		{"update", "info", "a/b/c"},
		{"update", "list", "a/b/c/d", "--status", "DONE"},
		{"update", "start", helloKey, example("hello_world.yaml"), "--bind", "novalue"},
	} {
		_, stderr, code := run(t, args...)
		assert.Equal(t, ExitInvalidParameter, code, "%v: %s", args, stderr)
	}
	_, stderr, code := run(t, "job", "diff", helloKey, "no-such-file.yaml")
	assert.Equal(t, ExitInvalidConfig, code, stderr)
}
