package config

// Merged tasks' processes and constraints as sets (schema_tasks.go): each
// value kept once, compared by value as pystachio compares structs.

import (
	"strings"

	"go.starlark.net/starlark"
)

// distinctValues is a list of values, each kept once: Aurora merges the tasks'
// processes and constraints as sets, so that a process two tasks share
// runs once. Order is first seen first (Aurora's sets have none).
type distinctValues struct {
	list   []starlark.Value
	groups map[string][]starlark.Value // candidates for equality, by distinctKey
}

func (d *distinctValues) add(eq *valueEquality, v starlark.Value) {
	key := distinctKey(v)
	for _, w := range d.groups[key] {
		if eq.same(v, w, 0) {
			return
		}
	}
	if d.groups == nil {
		d.groups = map[string][]starlark.Value{}
	}
	d.groups[key] = append(d.groups[key], v)
	d.list = append(d.list, v)
}

// distinctKey is cheap and equal for equal values: a process's kind and
// name, a constraint's order; values with different keys are never equal.
func distinctKey(v starlark.Value) string {
	o, ok := v.(*object)
	if !ok {
		return v.Type()
	}
	if n, ok := o.fields["name"].(starlark.String); ok {
		return o.kind + "\x00" + string(n)
	}
	if l, ok := o.fields["order"].(starlark.Indexable); ok {
		var b strings.Builder
		b.WriteString(o.kind)
		for i := range min(l.Len(), 64) {
			if s, ok := l.Index(i).(starlark.String); ok {
				b.WriteString("\x00" + string(s))
			}
		}
		return b.String()
	}
	return o.kind
}

// valueEquality compares values as pystachio compares structs, by value,
// within a budget of elements visited over all comparisons; past it,
// values other than the very same object count as different (two equal
// processes then both stay, and validation names the duplicate).
type valueEquality struct {
	left int
}

func (s *valueEquality) same(a, b starlark.Value, depth int) bool {
	if x, ok := a.(*object); ok {
		if y, ok := b.(*object); ok && x == y {
			return true // free of charge: the common case of a shared process
		}
	}
	if s.left--; s.left < 0 || depth > maxNesting {
		return false
	}
	switch x := a.(type) {
	case *object:
		y, ok := b.(*object)
		if !ok || x.typ != y.typ || len(x.keys) != len(y.keys) || len(x.bkeys) != len(y.bkeys) {
			return false
		}
		return s.sameMaps(x.fields, y.fields, x.keys, depth) && s.sameMaps(x.binds, y.binds, x.bkeys, depth)
	case *starlark.List:
		y, ok := b.(*starlark.List)
		if !ok {
			return false
		}
		return x == y || s.sameSeq(x, y, depth)
	case starlark.Tuple:
		y, ok := b.(starlark.Tuple)
		return ok && s.sameSeq(x, y, depth)
	case *starlark.Dict:
		y, ok := b.(*starlark.Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		if x == y {
			return true
		}
		for _, kv := range x.Items() {
			w, found, err := y.Get(kv[0])
			if err != nil || !found || !s.same(kv[1], w, depth+1) {
				return false
			}
		}
		return true
	case starlark.String, starlark.Int, starlark.Float, starlark.Bool, starlark.NoneType:
		if a.Type() != b.Type() {
			return false
		}
		eq, err := starlark.Equal(a, b)
		return err == nil && eq
	}
	return false
}

func (s *valueEquality) sameMaps(x, y map[string]starlark.Value, keys []string, depth int) bool {
	for _, k := range keys {
		w, ok := y[k]
		if !ok || !s.same(x[k], w, depth+1) {
			return false
		}
	}
	return true
}

func (s *valueEquality) sameSeq(x, y starlark.Indexable, depth int) bool {
	if x.Len() != y.Len() {
		return false
	}
	for i := range x.Len() {
		if !s.same(x.Index(i), y.Index(i), depth+1) {
			return false
		}
	}
	return true
}
