package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// LoadOptions tune Load and LoadBytes.
type LoadOptions struct {
	// Binds are --bind name=value template values. A name may be dotted
	// (profile.version); it matches the whole reference text.
	Binds map[string]string
	// Print receives the output of print() in Aurora files; nil discards it.
	Print func(msg string)
	// MaxSteps bounds the Starlark computation of an Aurora file; 0 means
	// 10 million steps.
	MaxSteps uint64
	// Timeout bounds the wall-clock time of running an Aurora file; 0 means
	// 5 seconds.
	Timeout time.Duration
	// Job, a job key, picks one job as Aurora's client does: only that job
	// is returned, and only its problems (and the file's) fail the load, so
	// a job the command does not name cannot block it. Empty: every job.
	Job string
}

// MaxConfigBytes bounds the size of a configuration file: 4 MiB, far more
// than any hand-written or generated config needs, little enough to parse.
const MaxConfigBytes = 4 << 20

// Format is a configuration file format, chosen by the file's extension.
type Format int

const (
	FormatUnknown Format = iota
	FormatAurora         // .aurora
	FormatYAML           // .yaml, .yml
	FormatJSON           // .json
)

// FormatOf picks the format from a file name's extension.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".aurora":
		return FormatAurora
	case ".yaml", ".yml":
		return FormatYAML
	case ".json":
		return FormatJSON
	}
	return FormatUnknown
}

// Load reads the jobs of a configuration file. Errors about the
// configuration (including a file that cannot be read) are *Errors.
func Load(path string, opts LoadOptions) ([]*Job, error) {
	data, errs := readConfig(path)
	if errs != nil {
		return nil, errs
	}
	return LoadBytes(path, data, opts)
}

// readConfig reads a config file, refusing before reading what it cannot
// load: an unknown extension, anything but a regular file (a device such as
// /dev/zero never ends, a FIFO blocks) and a file over MaxConfigBytes. It
// reads at most MaxConfigBytes+1 bytes, so a file that grows meanwhile is
// caught too.
func readConfig(path string) ([]byte, *Errors) {
	if FormatOf(path) == FormatUnknown {
		errs := &Errors{}
		addUnknownFormat(errs, path)
		return nil, errs
	}
	return readConfigFile(path)
}

// readConfigFile reads a config file of any name (an Aurora file's
// include()), with readConfig's checks but the extension's.
func readConfigFile(path string) ([]byte, *Errors) {
	errs := &Errors{}
	fi, err := os.Stat(path)
	if err != nil {
		errs.Add(path, "cannot read config: %v", unwrapPathError(err))
		return nil, errs
	}
	if !checkConfigFile(errs, path, fi) {
		return nil, errs
	}
	f, err := os.Open(path)
	if err != nil {
		errs.Add(path, "cannot read config: %v", unwrapPathError(err))
		return nil, errs
	}
	defer f.Close()
	// The path may name another file now than when it was checked.
	if fi, err = f.Stat(); err != nil {
		errs.Add(path, "cannot read config: %v", unwrapPathError(err))
		return nil, errs
	}
	if !checkConfigFile(errs, path, fi) {
		return nil, errs
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		errs.Add(path, "cannot read config: %v", unwrapPathError(err))
		return nil, errs
	}
	if len(data) > MaxConfigBytes {
		// It grew after it was checked: its size is not known.
		errs.Add(path, "config is over %d bytes, the limit (4 MiB)", MaxConfigBytes)
		return nil, errs
	}
	return data, nil
}

// checkConfigFile refuses a file that is not regular or is too large.
func checkConfigFile(errs *Errors, path string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() {
		errs.Add(path, "cannot read config: not a regular file (%s)", fileKind(fi.Mode()))
		return false
	}
	if fi.Size() > MaxConfigBytes {
		addTooLarge(errs, path, fi.Size())
		return false
	}
	return true
}

func addTooLarge(errs *Errors, name string, size int64) {
	errs.Add(name, "config is %d bytes, over the limit of %d bytes (4 MiB)", size, MaxConfigBytes)
}

// fileKind names the kind of a file that is not regular.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

func addUnknownFormat(errs *Errors, name string) {
	errs.Add(name, "unknown config format %q: use .aurora, .yaml, .yml or .json", shorten(filepath.Ext(name)))
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// LoadBytes reads the jobs of a configuration whose file name is name (its
// extension picks the format). Jobs come back with defaults applied,
// templates resolved and validated; every problem is reported at once in an
// *Errors.
func LoadBytes(name string, data []byte, opts LoadOptions) ([]*Job, error) {
	var root *node
	var errs *Errors
	if len(data) > MaxConfigBytes {
		errs = &Errors{}
		addTooLarge(errs, name, int64(len(data)))
		return nil, errs
	}
	switch FormatOf(name) {
	case FormatAurora:
		root, errs = parseAurora(name, data, opts)
	case FormatJSON:
		// JSON is YAML, but YAML accepts more: check it is JSON first.
		if errs = checkJSON(name, data); errs == nil {
			root, errs = parseYAML(name, data)
		}
	case FormatYAML:
		root, errs = parseYAML(name, data)
	default:
		errs = &Errors{}
		addUnknownFormat(errs, name)
	}
	if root == nil {
		return nil, errs.Err()
	}
	d := &decoder{errs: errs, cliBinds: opts.Binds, objBinds: map[string]*node{}}
	jobs := d.decodeJobs("jobs", root)
	resolveTemplates(jobs, opts.Binds, d.objBinds, errs)
	for _, j := range jobs {
		j.fillDerivedNames()
	}
	loaded := reportedPaths(errs.List)
	verrs := ValidateJobs(jobs)
	for _, ve := range verrsList(verrs) {
		if !coveredBy(ve.Path, loaded) {
			errs.add(ve)
		}
	}
	if opts.Job != "" {
		return pickJob(jobs, errs, opts.Job)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return jobs, nil
}

// pickJob returns the job with the given key and the problems that are
// its own or the file's, leaving out those of the other jobs. A key no job
// has is every problem, or SelectJob's error when there is none.
func pickJob(jobs []*Job, errs *Errors, key string) ([]*Job, error) {
	var picked *Job
	mine := map[string]bool{}
	for i, j := range jobs {
		if j != nil && j.Key() == key {
			if picked == nil {
				picked = j
			}
			mine[indexPath("jobs", i)] = true
		}
	}
	if picked == nil {
		if err := errs.Err(); err != nil {
			return nil, err
		}
		_, err := SelectJob(jobs, key)
		return nil, err
	}
	kept := &Errors{omitted: errs.omitted}
	for _, e := range errs.List {
		if job, ok := jobOfPath(e.Path); !ok || mine[job] {
			kept.add(e)
		}
	}
	if err := kept.Err(); err != nil {
		return nil, err
	}
	return []*Job{picked}, nil
}

// jobOfPath is the jobs[i] a problem's path is under, if it is.
func jobOfPath(path string) (string, bool) {
	if !strings.HasPrefix(path, "jobs[") {
		return "", false
	}
	end := strings.IndexByte(path, ']')
	if end < 0 {
		return "", false
	}
	return path[:end+1], true
}

func verrsList(err error) []FieldError {
	if e, ok := err.(*Errors); ok && e != nil {
		return e.List
	}
	return nil
}

// reportedPaths is the set of paths problems were reported at.
func reportedPaths(errs []FieldError) map[string]bool {
	paths := make(map[string]bool, len(errs))
	for _, e := range errs {
		paths[e.Path] = true
	}
	return paths
}

// coveredBy reports whether a problem at path was already reported while
// loading (at that path or above it), so validation does not repeat it. It
// looks up each path above path (jobs, jobs[0], jobs[0].task, ...) rather
// than comparing with every problem, which was quadratic.
func coveredBy(path string, reported map[string]bool) bool {
	if len(reported) == 0 {
		return false
	}
	for i := 0; i < len(path); i++ {
		if (path[i] == '.' || path[i] == '[') && reported[path[:i]] {
			return true
		}
	}
	return reported[path]
}

// Find returns the job with key cluster/role/environment/name, or nil.
func Find(jobs []*Job, key string) *Job {
	for _, j := range jobs {
		if j.Key() == key {
			return j
		}
	}
	return nil
}

// SelectJob returns the job with the given key. When none matches, the
// error (an *Errors) names the key and lists the keys the config defines.
func SelectJob(jobs []*Job, key string) (*Job, error) {
	if j := Find(jobs, key); j != nil {
		return j, nil
	}
	keys := make([]string, len(jobs))
	for i, j := range jobs {
		keys[i] = j.Key()
	}
	sort.Strings(keys)
	errs := &Errors{}
	if len(keys) == 0 {
		errs.Add("jobs", "job %s not found: the config defines no jobs", key)
	} else {
		errs.Add("jobs", "job %s not found; the config defines: %s", key, strings.Join(keys, ", "))
	}
	return nil, errs
}

// checkJSON reports a JSON syntax error with its line and column.
func checkJSON(name string, data []byte) *Errors {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return nil
	}
	errs := &Errors{}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := 1, 1
		for _, c := range data[:min(int(syn.Offset), len(data))] {
			if c == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
		errs.Add(fmt.Sprintf("%s:%d:%d", name, line, col), "invalid JSON: %v", syn)
		return errs
	}
	errs.Add(name, "invalid JSON: %v", err)
	return errs
}
