package config

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/starlark"
)

// schemaPredeclared are the objects of Aurora's schema that are not a
// constructor of one of the model's types (aurora.go makes those): the task
// helpers of Thermos's schema_helpers.py (SimpleTask, Tasks, combine_tasks,
// concat_tasks, Processes), Aurora's Mode enumeration and its BYTES unit.
func schemaPredeclared() starlark.StringDict {
	return starlark.StringDict{
		"SimpleTask":    starlark.NewBuiltin("SimpleTask", simpleTaskBuiltin),
		"combine_tasks": starlark.NewBuiltin("combine_tasks", combineTasksBuiltin),
		"concat_tasks":  starlark.NewBuiltin("concat_tasks", concatTasksBuiltin),
		"Tasks": &classNamespace{name: "Tasks", members: starlark.StringDict{
			"simple":     starlark.NewBuiltin("Tasks.simple", simpleTaskBuiltin),
			"combine":    starlark.NewBuiltin("Tasks.combine", combineTasksBuiltin),
			"concat":     starlark.NewBuiltin("Tasks.concat", concatTasksBuiltin),
			"sequential": starlark.NewBuiltin("Tasks.sequential", sequentialTasksBuiltin),
		}},
		"Processes": &classNamespace{name: "Processes", members: starlark.StringDict{
			"order": starlark.NewBuiltin("Processes.order", orderBuiltin),
		}},
		"Mode":  starlark.NewBuiltin("Mode", modeBuiltin),
		"BYTES": starlark.MakeInt64(B),
	}
}

// classNamespace is a Python class used for its class methods (Tasks.combine):
// a value whose attributes are built-ins.
type classNamespace struct {
	name    string
	members starlark.StringDict
}

var _ starlark.HasAttrs = (*classNamespace)(nil)

func (n *classNamespace) String() string        { return "<class '" + n.name + "'>" }
func (n *classNamespace) Type() string          { return n.name }
func (n *classNamespace) Freeze()               {}
func (n *classNamespace) Truth() starlark.Bool  { return starlark.True }
func (n *classNamespace) Hash() (uint32, error) { return starlark.String(n.name).Hash() }

func (n *classNamespace) Attr(name string) (starlark.Value, error) {
	return n.members[name], nil // nil: no such attribute
}

func (n *classNamespace) AttrNames() []string {
	names := make([]string, 0, len(n.members))
	for k := range n.members {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// modeBuiltin is Aurora's Mode('RO'|'RW'), an enumeration whose values are
// the strings themselves: Volume(mode = Mode('RO')) is Volume(mode = 'RO').
// As pystachio's Enum, it refuses any other value but lets a template
// through, to be checked once resolved.
func modeBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var v starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &v); err != nil {
		return nil, err
	}
	s, ok := v.(starlark.String)
	switch {
	case !ok:
		return nil, fmt.Errorf("%s: want %q or %q, got %s", b.Name(), VolumeReadOnly, VolumeReadWrite, v.Type())
	case s == VolumeReadOnly, s == VolumeReadWrite, strings.Contains(string(s), "{{"):
		return s, nil
	}
	return nil, fmt.Errorf("%s only accepts the following values: %s, %s (got %s)", b.Name(), VolumeReadOnly, VolumeReadWrite, shorten(s.String()))
}
