package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRestartFlagsValidated: job restart takes Aurora's flags, with
// Aurora's defaults, and refuses negative values (exit 6) after the job
// key and before Temporal is dialed.
func TestRestartFlagsValidated(t *testing.T) {
	out, stderr, code := run(t, "job", "restart", "--help")
	require.Equal(t, ExitOK, code, stderr)
	for _, f := range []string{"--batch-size", "--watch-secs", "--max-per-instance-failures", "--max-total-failures", "--timeout"} {
		assert.Contains(t, out, f+" ", "job restart --help lists %s", f)
	}
	assert.Regexp(t, `--restart-threshold int +[^\n]*\(default 60\)`, out)

	// Nothing listens on port 1: a value that passed would fail to dial.
	dial := []string{"job", "restart", "c/r/e/n", "--temporal-address", "127.0.0.1:1"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-per-instance-failures", "-1"}, "--max-per-instance-failures -1: want a number ≥ 0"},
		{[]string{"--max-total-failures", "-2"}, "--max-total-failures -2: want a number ≥ 0"},
		{[]string{"--restart-threshold", "-3"}, "--restart-threshold -3: want a number ≥ 0"},
		{[]string{"--batch-size", "0"}, "--batch-size 0: want a number > 0"},
	} {
		_, stderr, code := run(t, append(dial, tc.args...)...)
		assert.Equal(t, ExitInvalidParameter, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.want, tc.args)
	}
	for _, args := range [][]string{
		{"--max-total-failures", "2", "--restart-threshold", "0", "--max-per-instance-failures", "3"},
		{"--max-total-failures", "0", "--restart-threshold", "120"},
	} {
		_, stderr, code := run(t, append(dial, args...)...)
		assert.NotEqual(t, ExitInvalidParameter, code, "%v is accepted: %s", args, stderr)
		assert.NotEqual(t, ExitInvalidCommand, code, "%v is accepted: %s", args, stderr)
		assert.NotContains(t, stderr, "want a number", args)
	}
	_, stderr, code = run(t, "job", "restart", "not-a-key", "--max-total-failures", "-1")
	assert.Equal(t, ExitInvalidParameter, code, "the job key is checked first: %s", stderr)
	assert.NotContains(t, stderr, "--max-total-failures", "the job key is checked first")
	_, stderr, code = run(t, "job", "restart", "c/r/e/n", "--max-total-failures", "two")
	assert.Equal(t, ExitInvalidCommand, code, "not a number: %s", stderr)
}
