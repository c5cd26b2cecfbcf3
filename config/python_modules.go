package config

// The Python modules an Aurora file may import (python_translate.go
// translates the import statements): what configs use them for is knowing
// who runs the client and reading its environment.
//
//	getpass  pyGetuser()
//	os       environ (read-only: e[k], k in e, e.get(k[, default]), keys(),
//	         values(), items(), len, iteration), pyGetenv(name[, default]),
//	         path, sep
//	os.path  join, basename, dirname, split, splitext, isabs, sep
//
// They read the client's environment as it is when the file loads, and
// nothing else of the machine. Variables holding Borealis secrets
// (BOREALIS_SECRET_*) are not visible: a secret must stay out of the job's
// config, which Temporal records; {{secret[NAME]}} fills one in when a task
// starts.

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"sort"
	"strings"

	"go.starlark.net/starlark"
)

// Hooks for tests.
var (
	pythonLookupEnv   = os.LookupEnv
	pythonEnviron     = os.Environ
	pythonCurrentUser = user.Current
)

// pySecretEnvPrefix starts the environment variables that hold secrets
// (activities.SecretEnvPrefix).
const pySecretEnvPrefix = "BOREALIS_SECRET_"

// pythonModules are the names each importable module has, for the
// translator.
var pythonModules = func() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for name, m := range newPythonModules() {
		out[name] = map[string]bool{}
		for k := range m.members {
			out[name][k] = true
		}
	}
	return out
}()

// pythonModuleMembers are a module's names, sorted.
func pythonModuleMembers(module string) []string {
	var names []string
	for k := range pythonModules[module] {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// newPythonModules makes the importable modules.
func newPythonModules() map[string]*pyModule {
	osPath := &pyModule{name: "os.path", members: starlark.StringDict{
		"join":     starlark.NewBuiltin("os.path.join", pyPathJoin),
		"basename": starlark.NewBuiltin("os.path.basename", pyPathFunc(pyPathBasename)),
		"dirname":  starlark.NewBuiltin("os.path.dirname", pyPathFunc(pyPathDirname)),
		"split":    starlark.NewBuiltin("os.path.split", pyPathSplit),
		"splitext": starlark.NewBuiltin("os.path.splitext", pyPathSplitext),
		"isabs":    starlark.NewBuiltin("os.path.isabs", pyPathIsabs),
		"sep":      starlark.String("/"),
	}}
	return map[string]*pyModule{
		"getpass": {name: "getpass", members: starlark.StringDict{
			"getuser": starlark.NewBuiltin("getpass.getuser", pyGetuser),
		}},
		"os": {name: "os", members: starlark.StringDict{
			"environ": pyEnviron{},
			"getenv":  starlark.NewBuiltin("os.getenv", pyGetenv),
			"path":    osPath,
			"sep":     starlark.String("/"),
		}},
		"os.path": osPath,
	}
}

// pyModule is an imported module.
type pyModule struct {
	name    string
	members starlark.StringDict
}

var _ starlark.HasAttrs = (*pyModule)(nil)

func (m *pyModule) String() string        { return "<module '" + m.name + "'>" }
func (m *pyModule) Type() string          { return "module" }
func (m *pyModule) Freeze()               {}
func (m *pyModule) Truth() starlark.Bool  { return starlark.True }
func (m *pyModule) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: module") }
func (m *pyModule) AttrNames() []string   { return m.members.Keys() }

func (m *pyModule) Attr(name string) (starlark.Value, error) {
	if v, ok := m.members[name]; ok {
		return v, nil
	}
	return nil, starlark.NoSuchAttrError(fmt.Sprintf("%s.%s is not supported (%s has: %s)", m.name, name, m.name, strings.Join(m.AttrNames(), ", ")))
}

func pySecretEnvError(fn, name string) error {
	return fmt.Errorf("%s: %s holds a Borealis secret, which a config may not read: write {{secret[NAME]}} in a process cmdline or a Docker parameter value, and the task's worker fills it in", fn, name)
}

// pyGetuser is getpass.getuser(): the first of LOGNAME, USER, LNAME and
// USERNAME that is set and not empty, else the user the client runs as.
func pyGetuser(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0); err != nil {
		return nil, err
	}
	for _, k := range []string{"LOGNAME", "USER", "LNAME", "USERNAME"} {
		if v, ok := pythonLookupEnv(k); ok && v != "" {
			return starlark.String(v), nil
		}
	}
	u, err := pythonCurrentUser()
	if err != nil || u.Username == "" {
		return nil, errors.New("getpass.getuser: cannot tell which user runs the client: set USER")
	}
	return starlark.String(u.Username), nil
}

// pyGetenv is os.getenv(name[, default]).
func pyGetenv(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "key", &name, "default?", &def); err != nil {
		return nil, err
	}
	if strings.HasPrefix(name, pySecretEnvPrefix) {
		return nil, pySecretEnvError(b.Name(), name)
	}
	if v, ok := pythonLookupEnv(name); ok {
		return starlark.String(v), nil
	}
	return def, nil
}

// pyEnviron is os.environ, read-only.
type pyEnviron struct{}

var (
	_ starlark.Mapping  = pyEnviron{}
	_ starlark.Sequence = pyEnviron{}
	_ starlark.HasAttrs = pyEnviron{}
)

func (pyEnviron) String() string        { return "os.environ" }
func (pyEnviron) Type() string          { return "os.environ" }
func (pyEnviron) Freeze()               {}
func (pyEnviron) Truth() starlark.Bool  { return starlark.True }
func (pyEnviron) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: os.environ") }

// names are the variables' names, sorted, secrets left out.
func (pyEnviron) names() []string {
	var names []string
	seen := map[string]bool{}
	for _, kv := range pythonEnviron() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "" || seen[k] || strings.HasPrefix(k, pySecretEnvPrefix) {
			continue
		}
		seen[k] = true
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (e pyEnviron) Len() int { return len(e.names()) }

func (e pyEnviron) Iterate() starlark.Iterator {
	names := e.names()
	vs := make([]starlark.Value, len(names))
	for i, n := range names {
		vs[i] = starlark.String(n)
	}
	return &pyIterator{vs: vs}
}

func (pyEnviron) Get(k starlark.Value) (starlark.Value, bool, error) {
	name, ok := k.(starlark.String)
	if !ok {
		return nil, false, fmt.Errorf("os.environ: keys are strings, got %s", k.Type())
	}
	if strings.HasPrefix(string(name), pySecretEnvPrefix) {
		return nil, false, pySecretEnvError("os.environ", string(name))
	}
	v, found := pythonLookupEnv(string(name))
	if !found {
		return nil, false, nil
	}
	return starlark.String(v), true, nil
}

func (e pyEnviron) AttrNames() []string { return []string{"get", "items", "keys", "values"} }

func (e pyEnviron) Attr(name string) (starlark.Value, error) {
	switch name {
	case "get":
		return starlark.NewBuiltin("os.environ.get", e.get), nil
	case "keys", "values", "items":
		return starlark.NewBuiltin("os.environ."+name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
			if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0); err != nil {
				return nil, err
			}
			var out []starlark.Value
			for _, k := range e.names() {
				v, _ := pythonLookupEnv(k)
				switch name {
				case "keys":
					out = append(out, starlark.String(k))
				case "values":
					out = append(out, starlark.String(v))
				default:
					out = append(out, starlark.Tuple{starlark.String(k), starlark.String(v)})
				}
			}
			l := starlark.NewList(out)
			return l, pyCharge(thread, b.Name(), l)
		}), nil
	}
	return nil, nil
}

func (e pyEnviron) get(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var k starlark.Value
	var def starlark.Value = starlark.None
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &k, &def); err != nil {
		return nil, err
	}
	v, found, err := e.Get(k)
	switch {
	case err != nil:
		return nil, err
	case !found:
		return def, nil
	}
	return v, nil
}

type pyIterator struct {
	vs []starlark.Value
	i  int
}

func (it *pyIterator) Next(p *starlark.Value) bool {
	if it.i >= len(it.vs) {
		return false
	}
	*p = it.vs[it.i]
	it.i++
	return true
}

func (it *pyIterator) Done() {}

// pyCharge checks and charges a value a Python built-in made.
func pyCharge(thread *starlark.Thread, what string, v starlark.Value) error {
	if thread == nil {
		return nil
	}
	if g := threadGuard(thread); g != nil {
		return g.newValue(what, v)
	}
	return nil
}

// pyPathArgs are the string arguments of an os.path function.
func pyPathArgs(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, n int) ([]string, error) {
	if len(kwargs) > 0 {
		return nil, fmt.Errorf("%s: takes no keyword arguments", b.Name())
	}
	if n >= 0 && len(args) != n {
		return nil, fmt.Errorf("%s: takes %d argument(s), got %d", b.Name(), n, len(args))
	}
	out := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(starlark.String)
		if !ok {
			return nil, fmt.Errorf("%s: argument %d: want a string, got %s", b.Name(), i+1, a.Type())
		}
		out[i] = string(s)
	}
	return out, nil
}

// pyPathJoin is os.path.join(a, *p), as Python's posixpath: a part that is
// absolute starts the path again.
func pyPathJoin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	parts, err := pyPathArgs(b, args, kwargs, -1)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%s: takes at least 1 argument", b.Name())
	}
	size := 0
	for _, p := range parts {
		size += len(p) + 1
	}
	if size > maxValueBytes {
		return nil, tooManyBytes(b.Name(), "string", int64(size))
	}
	path := parts[0]
	for _, p := range parts[1:] {
		switch {
		case strings.HasPrefix(p, "/"):
			path = p
		case path == "" || strings.HasSuffix(path, "/"):
			path += p
		default:
			path += "/" + p
		}
	}
	v := starlark.String(path)
	return v, pyCharge(thread, b.Name(), v)
}

// pyPathSplitAt is Python's posixpath.split: the head without its trailing
// slashes (unless it is all slashes) and the tail after the last slash.
func pyPathSplitAt(p string) (string, string) {
	i := strings.LastIndexByte(p, '/') + 1
	head, tail := p[:i], p[i:]
	if head != "" && strings.Trim(head, "/") != "" {
		head = strings.TrimRight(head, "/")
	}
	return head, tail
}

func pyPathBasename(p string) string { _, t := pyPathSplitAt(p); return t }
func pyPathDirname(p string) string  { h, _ := pyPathSplitAt(p); return h }

func pyPathFunc(f func(string) string) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		p, err := pyPathArgs(b, args, kwargs, 1)
		if err != nil {
			return nil, err
		}
		return starlark.String(f(p[0])), nil
	}
}

func pyPathSplit(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := pyPathArgs(b, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	h, t := pyPathSplitAt(p[0])
	return starlark.Tuple{starlark.String(h), starlark.String(t)}, nil
}

// pyPathSplitext is Python's splitext: the extension is from the last dot
// of the last component, unless the component is only dots before it
// (.bashrc has none).
func pyPathSplitext(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	ps, err := pyPathArgs(b, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	p := ps[0]
	sep, dot := strings.LastIndexByte(p, '/'), strings.LastIndexByte(p, '.')
	if dot > sep {
		for i := sep + 1; i < dot; i++ {
			if p[i] != '.' {
				return starlark.Tuple{starlark.String(p[:dot]), starlark.String(p[dot:])}, nil
			}
		}
	}
	return starlark.Tuple{starlark.String(p), starlark.String("")}, nil
}

func pyPathIsabs(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	p, err := pyPathArgs(b, args, kwargs, 1)
	if err != nil {
		return nil, err
	}
	return starlark.Bool(strings.HasPrefix(p[0], "/")), nil
}
