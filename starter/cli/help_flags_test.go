package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cliFlags are the global flags the CLI reads, which its help lists.
var cliFlags = []string{
	"config", "open-browser",
	"temporal-address", "temporal-namespace", "temporal-task-queue",
	"temporal-api-key", "temporal-tls-cert", "temporal-tls-key", "temporal-tls-ca",
	"temporal-tls-server-name", "temporal-web-ui", "cron-catchup-window",
}

// workerFlags are the global flags of the worker's settings, which the CLI
// accepts (settings are loaded and validated as a whole) but does not show.
var workerFlags = []string{
	"docker-host", "data-dir", "sandbox-retention", "runner-path",
	"ports-host-address", "ports-range",
	"flapping-threshold", "flapping-initial-delay", "flapping-max-delay",
	"sla-check-interval", "sla-min-instances", "sla-non-production",
	"worker-metrics-address", "log-level", "log-format",
	"host-name", "deployment-id", "jobs-max-instances", "tasks-uid", "tasks-gid",
	"docker-allowed-parameters", "volumes-allowed-host-paths", "secrets-dir",
}

// TestHelpFlagsAreTheCLIs: borealis --help, and the Global Flags of a
// command's help, list the flags the CLI reads and none of the worker's.
func TestHelpFlagsAreTheCLIs(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"job", "status", "--help"}, {"update", "start", "--help"}} {
		out, stderr, code := run(t, args...)
		require.Equal(t, ExitOK, code, stderr)
		for _, f := range cliFlags {
			assert.Contains(t, out, "--"+f+" ", "borealis %s lists --%s", strings.Join(args, " "), f)
		}
		for _, f := range workerFlags {
			assert.NotContains(t, out, "--"+f, "borealis %s hides --%s", strings.Join(args, " "), f)
		}
	}
}

// TestHelpFlagsAllSorted: every global flag is in cliFlags or workerFlags,
// so that a new setting's flag is a decision, not an accident.
func TestHelpFlagsAllSorted(t *testing.T) {
	root := NewRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	known := map[string]bool{}
	for _, f := range cliFlags {
		known[f] = false
	}
	for _, f := range workerFlags {
		known[f] = true
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		hidden, ok := known[f.Name]
		if assert.True(t, ok, "--%s is in neither cliFlags nor workerFlags", f.Name) {
			assert.Equal(t, hidden, f.Hidden, "--%s hidden", f.Name)
		}
	})
	for f := range known {
		assert.NotNil(t, root.PersistentFlags().Lookup(f), "--%s is declared", f)
	}
}

// TestHiddenFlagsStillParse: a worker flag the CLI hides still parses and
// still reaches the settings, which are validated whole.
func TestHiddenFlagsStillParse(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("BOREALIS_SLA_MIN_INSTANCES", "3")
	got := configShow(t, "--data-dir", "/tmp/borealis-test", "--log-level", "debug")
	assert.Equal(t, "/tmp/borealis-test (flag)", got["data_dir"])
	assert.Equal(t, "debug (flag)", got["log_level"])
	assert.Equal(t, "3 (env)", got["sla.min_instances"])

	_, stderr, code := run(t, "config", "show", "--ports-range", "9-1")
	assert.Equal(t, ExitInvalidParameter, code)
	assert.Contains(t, stderr, "ports.range")
}

// TestCompletionHidesWorkerFlags: flag completion offers the CLI's global
// flags, not the worker's.
func TestCompletionHidesWorkerFlags(t *testing.T) {
	got, _ := complete(t, "job", "status", "--")
	var names []string
	for _, g := range got {
		name, _, _ := strings.Cut(g, "\t")
		names = append(names, name)
	}
	assert.Contains(t, names, "--temporal-address")
	assert.Contains(t, names, "--write-json")
	for _, f := range workerFlags {
		assert.NotContains(t, names, "--"+f)
	}
}
