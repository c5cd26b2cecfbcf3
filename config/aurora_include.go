package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Aurora's include('other.aurora') runs another file in the including
// file's namespace (Pystachio execs it there). Borealis runs the included
// file first, on its own, and binds its top-level names at the include
// statement, as a Starlark load of every name would: a name the including
// file assigns later wins, an included file sees the builtins but not the
// including file's names, and names starting with _ stay private. The path
// is relative to the including file's directory and may not leave it.

const (
	// maxIncludeDepth bounds how deep includes nest.
	maxIncludeDepth = 16
	// maxIncludedFiles bounds how many files one config includes in all.
	maxIncludedFiles = 100
)

// errIncludeNotStatement is include() anywhere but a top-level statement.
var errIncludeNotStatement = errors.New("include() must be a statement of its own at the top level of a file, " +
	"with one string literal: include('other.aurora')")

// includeBuiltin is include() where it cannot be replaced by the file's
// names (a call inside a function, or used as a value).
func includeBuiltin(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return nil, errIncludeNotStatement
}

// auroraRun runs an Aurora file and the files it includes, on one thread
// (so one step budget and one time limit) with one list of problems.
type auroraRun struct {
	thread      *starlark.Thread
	predeclared starlark.StringDict
	errs        *Errors
	// modules are the included files' globals, by resolved path: the
	// module name of the load statement an include becomes.
	modules map[string]starlark.StringDict
	// running are the files being run, for include cycles.
	running map[string]bool
	files   int
}

func newAuroraRun(thread *starlark.Thread, predeclared starlark.StringDict, errs *Errors) *auroraRun {
	r := &auroraRun{thread: thread, predeclared: predeclared, errs: errs,
		modules: map[string]starlark.StringDict{}, running: map[string]bool{}}
	thread.Load = r.load
	return r
}

// load serves the load statements includes became; a user's own load()
// is refused.
func (r *auroraRun) load(_ *starlark.Thread, module string) (starlark.StringDict, error) {
	if g, ok := r.modules[module]; ok {
		return g, nil
	}
	return nil, errors.New("load() is not supported in Aurora files: use include('other.aurora')")
}

// run runs one file, its includes first, and returns its globals; false
// when it recorded problems.
func (r *auroraRun) run(name string, data []byte, depth int) (starlark.StringDict, bool) {
	// Python's import and class statements become Starlark, line for line
	// (python_translate.go).
	src, perrs := pyTranslate(name, data)
	if len(perrs) > 0 {
		for _, e := range perrs {
			r.errs.Add(e.Pos.String(), "%s", e.Msg)
		}
		return nil, false
	}
	f, err := auroraFileOptions.Parse(name, src, 0)
	if err != nil {
		addStarlarkError(r.errs, name, err)
		return nil, false
	}
	if serrs := guardSyntax(f); len(serrs) > 0 {
		for _, e := range serrs {
			r.errs.Add(e.Pos.String(), "%s", e.Msg)
		}
		return nil, false
	}
	if !r.includes(f, name, depth) {
		return nil, false
	}
	prog, err := starlark.FileProgram(f, r.predeclared.Has)
	if err != nil {
		addStarlarkError(r.errs, name, err)
		return nil, false
	}
	// Globals are not frozen: freezing walks every value, as often as a
	// tuple holds it, and nothing else runs in them.
	globals, err := prog.Init(r.thread, r.predeclared)
	if err != nil {
		addStarlarkError(r.errs, name, err)
		return nil, false
	}
	return globals, true
}

// includes runs the files f includes and turns each top-level
// include('path') statement into a load of the included file's names.
func (r *auroraRun) includes(f *syntax.File, name string, depth int) bool {
	ok := true
	for i, st := range f.Stmts {
		call, arg, isInclude := includeCall(st)
		if !isInclude {
			continue
		}
		pos := call.Fn.(*syntax.Ident).NamePos
		if arg == nil {
			r.errs.Add(pos.String(), "include() takes one string literal, the path of the file to include")
			ok = false
			continue
		}
		load, good := r.include(pos, name, arg, depth)
		if !good {
			ok = false
			continue
		}
		load.Rparen = call.Rparen
		f.Stmts[i] = load
	}
	return ok
}

// includeCall reports whether st is a statement include(...), and its
// string literal argument if it has exactly one.
func includeCall(st syntax.Stmt) (*syntax.CallExpr, *syntax.Literal, bool) {
	es, ok := st.(*syntax.ExprStmt)
	if !ok {
		return nil, nil, false
	}
	call, ok := es.X.(*syntax.CallExpr)
	if !ok {
		return nil, nil, false
	}
	if fn, ok := call.Fn.(*syntax.Ident); !ok || fn.Name != "include" {
		return nil, nil, false
	}
	if len(call.Args) != 1 {
		return call, nil, true
	}
	lit, ok := call.Args[0].(*syntax.Literal)
	if !ok || lit.Token != syntax.STRING {
		return call, nil, true
	}
	return call, lit, true
}

// include runs the file arg names, relative to the including file name,
// and returns the load statement that binds its names.
func (r *auroraRun) include(pos syntax.Position, name string, arg *syntax.Literal, depth int) (*syntax.LoadStmt, bool) {
	rel, _ := arg.Value.(string)
	fail := func(format string, args ...any) (*syntax.LoadStmt, bool) {
		r.errs.Add(pos.String(), "include(%q): %s", shorten(rel), fmt.Sprintf(format, args...))
		return nil, false
	}
	path, err := resolveInclude(name, rel)
	if err != nil {
		return fail("%v", err)
	}
	globals, done := r.modules[path]
	if !done {
		switch {
		case r.running[path]:
			return fail("includes itself: %s is already being included", shorten(path))
		case depth >= maxIncludeDepth:
			return fail("includes nest deeper than %d files", maxIncludeDepth)
		case r.files >= maxIncludedFiles:
			return fail("a config may include at most %d files", maxIncludedFiles)
		}
		r.files++
		file := filepath.Join(filepath.Dir(name), rel)
		data, errs := readConfigFile(file)
		if errs != nil {
			for _, p := range errs.List {
				r.errs.Add(pos.String(), "include(%q): %s", shorten(rel), p.Msg)
			}
			return nil, false
		}
		r.running[path] = true
		g, ok := r.run(file, data, depth+1)
		delete(r.running, path)
		if !ok {
			return nil, false
		}
		globals = g
		r.modules[path] = globals
	}
	load := &syntax.LoadStmt{Load: pos, Module: &syntax.Literal{Token: syntax.STRING, TokenPos: arg.TokenPos, Raw: arg.Raw, Value: path}}
	for _, n := range exportedNames(globals) {
		load.From = append(load.From, &syntax.Ident{NamePos: pos, Name: n})
		load.To = append(load.To, &syntax.Ident{NamePos: pos, Name: n})
	}
	return load, true
}

// exportedNames are a module's global names that an include binds: all
// but those starting with _, sorted.
func exportedNames(g starlark.StringDict) []string {
	names := make([]string, 0, len(g))
	for n := range g {
		if !strings.HasPrefix(n, "_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// resolveInclude checks an include path and returns the file it names
// with symbolic links resolved: relative, inside the directory of the
// including file from.
func resolveInclude(from, rel string) (string, error) {
	switch {
	case rel == "":
		return "", errors.New("the path is empty")
	case filepath.IsAbs(rel):
		return "", errors.New("the path must be relative to the including file's directory")
	case escapes(filepath.Clean(rel)):
		return "", errOutside
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(from))
	if err != nil {
		return "", fmt.Errorf("cannot read the including file's directory: %w", unwrapPathError(err))
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	path, err := filepath.EvalSymlinks(filepath.Join(filepath.Dir(from), rel))
	if err != nil {
		return "", fmt.Errorf("cannot read config: %w", unwrapPathError(err))
	}
	path, err = filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.Rel(dir, path); err != nil || escapes(r) {
		return "", errOutside
	}
	return path, nil
}

var errOutside = errors.New("the file is outside the including file's directory")

// escapes reports whether a clean relative path leaves its directory.
func escapes(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
