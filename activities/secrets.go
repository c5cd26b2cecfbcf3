package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/config/settings"
	"github.com/borealis-dev/borealis/dockerrun"
)

// Secrets (docs/semantics.md §1.6): {{secret[NAME]}} in a process's
// cmdline or an env parameter's value is filled by the task's own worker
// when the task starts, from the file secrets.dir/NAME (a trailing newline
// dropped), else from the worker's environment variable
// BOREALIS_SECRET_<NAME> (upper-cased, other characters than letters and
// digits as _). Values never leave the worker through Temporal: they are
// not in activity inputs, results, errors or logs.

// SecretEnvPrefix starts the worker environment variables secrets are read
// from.
const SecretEnvPrefix = "BOREALIS_SECRET_"

// MaxSecretBytes bounds a secret file.
const MaxSecretBytes = 1 << 20

// SecretEnvName is the worker environment variable secret name is read
// from: BOREALIS_SECRET_ and the name upper-cased, every character but
// ASCII letters and digits turned into _ (db.password → BOREALIS_SECRET_DB_PASSWORD).
func SecretEnvName(name string) string {
	b := []byte(strings.ToUpper(name))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return SecretEnvPrefix + string(b)
}

// errSecretMissing says a secret is in neither place; its message says
// where it was looked for.
var errSecretMissing = errors.New("not found")

// lookupSecret reads secret name: secrets.dir/name (dir may be ""), else
// the environment. A missing secret is an error wrapping errSecretMissing;
// no error ever holds the value.
func lookupSecret(dir, name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || filepath.Base(name) != name {
		return "", fmt.Errorf("secret %q: a secret name is a plain file name, without path separators", name)
	}
	where := "no file in " + settings.KeySecretsDir + " (not set)"
	if dir != "" {
		file := filepath.Join(dir, name)
		v, err := readSecretFile(file)
		switch {
		case err == nil:
			return v, nil
		case !errors.Is(err, iofs.ErrNotExist):
			return "", fmt.Errorf("secret %q: %w", name, err)
		}
		where = "no file " + file
	}
	if v, ok := os.LookupEnv(SecretEnvName(name)); ok {
		return v, nil
	}
	return "", fmt.Errorf("secret %q %w on this worker: %s and no environment variable %s",
		name, errSecretMissing, where, SecretEnvName(name))
}

// readSecretFile reads a secret file, without its trailing line break.
func readSecretFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", err
	} else if st.IsDir() {
		return "", fmt.Errorf("%s is a directory", file)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", file, unwrapPathError(err))
	}
	if len(b) > MaxSecretBytes {
		return "", fmt.Errorf("%s is larger than %d bytes", file, MaxSecretBytes)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// specSecretRefs lists the secrets spec's cmdlines and environment values
// name, sorted.
func specSecretRefs(spec *dockerrun.TaskSpec) []string {
	seen := map[string]bool{}
	for _, p := range spec.Runner.Processes {
		for _, n := range config.SecretRefs(p.Cmdline) {
			seen[n] = true
		}
	}
	for _, v := range spec.Env {
		for _, n := range config.SecretRefs(v) {
			seen[n] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fillSecrets resolves the secrets spec references (specSecretRefs) from
// dir and the environment and fills them in. It returns the values, for
// redacting errors, or an error naming every missing secret (and never a
// value).
func fillSecrets(spec *dockerrun.TaskSpec, dir string) (map[string]string, error) {
	names := specSecretRefs(spec)
	if len(names) == 0 {
		return nil, nil
	}
	values := map[string]string{}
	var errs []error
	for _, n := range names {
		v, err := lookupSecret(dir, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		values[n] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for i := range spec.Runner.Processes {
		spec.Runner.Processes[i].Cmdline = config.FillSecrets(spec.Runner.Processes[i].Cmdline, values)
	}
	for k, v := range spec.Env {
		spec.Env[k] = config.FillSecrets(v, values)
	}
	return values, nil
}

// secretWarnings are AdmitJob's warnings about a job's secrets: each one
// its cmdlines or env parameters name that this worker cannot find now,
// and each reference in another Docker parameter, where it is not filled.
func secretWarnings(job config.Job, dir string) []string {
	var warnings []string
	spec := TaskSpecFor(jobInput(job))
	for _, n := range specSecretRefs(&spec) {
		if _, err := lookupSecret(dir, n); err != nil {
			warnings = append(warnings, fmt.Sprintf("{{secret[%s]}}: %v; its tasks fail to start until it is there", n, err))
		}
	}
	for i, p := range dockerParams(job) {
		if p.Name != paramEnv && len(config.SecretRefs(p.Value)) > 0 {
			warnings = append(warnings, fmt.Sprintf("%s (%s): {{secret[...]}} is not filled here, only in process cmdlines and env parameters",
				paramPath(i), p.Name))
		}
	}
	return warnings
}

// redactSecrets returns err with every secret value in its message
// replaced by [secret NAME]. An error that shows none is returned as it is;
// otherwise the result wraps only the runtime's and the context's
// sentinel errors that err wraps, so that runtimeError classifies it the
// same and the original text is not kept anywhere.
func redactSecrets(err error, values map[string]string) error {
	if err == nil || len(values) == 0 {
		return err
	}
	msg := err.Error()
	names := make([]string, 0, len(values))
	for n, v := range values {
		if v != "" && strings.Contains(msg, v) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return err
	}
	// Longest values first, so that one containing another is replaced whole.
	sort.Slice(names, func(i, j int) bool { return len(values[names[i]]) > len(values[names[j]]) })
	for _, n := range names {
		msg = strings.ReplaceAll(msg, values[n], "[secret "+n+"]")
	}
	r := &redactedError{msg: msg}
	for _, kind := range redactKinds {
		if errors.Is(err, kind) {
			r.kinds = append(r.kinds, kind)
		}
	}
	return r
}

// redactKinds are the sentinel errors a redacted error keeps.
var redactKinds = []error{
	dockerrun.ErrInvalid, dockerrun.ErrConflict, dockerrun.ErrNotFound, dockerrun.ErrUnavailable,
	context.Canceled, context.DeadlineExceeded,
}

// redactedError is an error whose message had secret values removed.
type redactedError struct {
	msg   string
	kinds []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.kinds }
