package activities

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/runner"
)

func TestSecretEnvName(t *testing.T) {
	assert.Equal(t, "BOREALIS_SECRET_DB_PASSWORD", SecretEnvName("db.password"))
	assert.Equal(t, "BOREALIS_SECRET_API_KEY_2", SecretEnvName("api-key_2"))
}

func TestLookupSecret(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "crlf"), []byte("v1\r\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "both"), []byte("from-file"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "empty"), nil, 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "adir"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "huge"), make([]byte, MaxSecretBytes+1), 0o600))
	t.Setenv("BOREALIS_SECRET_BOTH", "from-env")
	t.Setenv("BOREALIS_SECRET_ONLY_ENV", "env-value")

	for name, want := range map[string]string{"crlf": "v1", "both": "from-file", "empty": "", "only-env": "env-value"} {
		got, err := lookupSecret(dir, name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	got, err := lookupSecret("", "both")
	require.NoError(t, err)
	assert.Equal(t, "from-env", got, "no secrets.dir: the environment")

	_, err = lookupSecret(dir, "gone")
	assert.ErrorIs(t, err, errSecretMissing)
	assert.EqualError(t, err, `secret "gone" not found on this worker: no file `+filepath.Join(dir, "gone")+
		" and no environment variable BOREALIS_SECRET_GONE")
	_, err = lookupSecret("", "gone")
	assert.EqualError(t, err, `secret "gone" not found on this worker: no file in secrets.dir (not set) and no environment variable BOREALIS_SECRET_GONE`)

	for _, bad := range []string{"../etc/passwd", "a/b", "..", ".", ""} {
		_, err := lookupSecret(dir, bad)
		assert.ErrorContains(t, err, "a secret name is a plain file name", bad)
	}
	_, err = lookupSecret(dir, "adir")
	assert.ErrorContains(t, err, "is a directory")
	_, err = lookupSecret(dir, "huge")
	assert.ErrorContains(t, err, "is larger than 1048576 bytes")
}

func TestFillSecrets(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a"), []byte("AAA\n"), 0o600))
	spec := dockerrun.TaskSpec{
		Runner: runner.TaskSpec{Processes: []runner.ProcessSpec{{Cmdline: "x {{secret[a]}} {{secret[a]}}"}, {Cmdline: "no refs {{secret[../a]}}"}}},
		Env:    map[string]string{"A": "{{secret[a]}}", "B": "plain"},
	}
	values, err := fillSecrets(&spec, dir)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "AAA"}, values)
	assert.Equal(t, "x AAA AAA", spec.Runner.Processes[0].Cmdline)
	assert.Equal(t, "no refs {{secret[../a]}}", spec.Runner.Processes[1].Cmdline, "not a secret reference")
	assert.Equal(t, map[string]string{"A": "AAA", "B": "plain"}, spec.Env)

	spec.Runner.Processes[0].Cmdline = "{{secret[b]}} {{secret[c]}}"
	_, err = fillSecrets(&spec, dir)
	assert.ErrorContains(t, err, `secret "b" not found`)
	assert.ErrorContains(t, err, `secret "c" not found`, "every missing secret")
}

func TestRedactSecrets(t *testing.T) {
	values := map[string]string{"short": "pw", "long": "pw-and-more"}
	err := &dockerrun.Error{Op: "start", Kind: dockerrun.ErrInvalid, Msg: "bad: pw-and-more, pw"}
	red := redactSecrets(err, values)
	assert.EqualError(t, red, "dockerrun: start: bad: [secret long], [secret short]")
	assert.ErrorIs(t, red, dockerrun.ErrInvalid)
	assert.NotErrorIs(t, red, dockerrun.ErrUnavailable)

	plain := errors.New("nothing to hide")
	assert.Same(t, plain, redactSecrets(plain, values))
	assert.ErrorIs(t, redactSecrets(context.Canceled, map[string]string{"c": "context"}), context.Canceled)
}
