package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
}

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
	data, err := os.ReadFile(path)
	if err != nil {
		errs := &Errors{}
		errs.Add(path, "cannot read config: %v", unwrapPathError(err))
		return nil, errs
	}
	return LoadBytes(path, data, opts)
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
		errs.Add(name, "unknown config format %q: use .aurora, .yaml, .yml or .json", filepath.Ext(name))
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
	loadErrs := errs.List
	verrs := ValidateJobs(jobs)
	for _, ve := range verrsList(verrs) {
		if !coveredBy(ve.Path, loadErrs) {
			errs.List = append(errs.List, ve)
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return jobs, nil
}

func verrsList(err error) []FieldError {
	if e, ok := err.(*Errors); ok && e != nil {
		return e.List
	}
	return nil
}

// coveredBy reports whether a problem at path was already reported while
// loading (at that path or above it), so validation does not repeat it.
func coveredBy(path string, errs []FieldError) bool {
	for _, e := range errs {
		if path == e.Path || strings.HasPrefix(path, e.Path+".") || strings.HasPrefix(path, e.Path+"[") {
			return true
		}
	}
	return false
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
