package config

// Struct classes (python_struct.go): Struct, the classes a translated class
// statement makes with __pystachio_class, and their fields.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// pyField is a field of a Struct class.
type pyField struct {
	name     string
	typ      pyType
	required bool
	def      starlark.Value // checked and frozen; nil: none
}

// pyStructType is a Struct class, or Struct itself (base).
type pyStructType struct {
	name   string
	parent *pyStructType // the class it extends; nil for Struct's subclasses
	base   bool          // Struct itself
	fields []*pyField    // inherited ones first
	index  map[string]int
	depth  int
}

var (
	_ pyType            = (*pyStructType)(nil)
	_ starlark.HasAttrs = (*pyStruct)(nil)
	_ starlark.Callable = (*pyStruct)(nil)
)

func (t *pyStructType) typeName() string      { return t.name }
func (t *pyStructType) typeDepth() int        { return t.depth }
func (t *pyStructType) Name() string          { return t.name }
func (t *pyStructType) String() string        { return pyCapShown("<class '" + t.name + "'>") }
func (t *pyStructType) Type() string          { return "class" }
func (t *pyStructType) Freeze()               {}
func (t *pyStructType) Truth() starlark.Bool  { return starlark.True }
func (t *pyStructType) Hash() (uint32, error) { return 0, errors.New("unhashable type: class") }

// isA reports whether t is u or extends it.
func (t *pyStructType) isA(u *pyStructType) bool {
	for c := t; c != nil; c = c.parent {
		if c == u {
			return true
		}
	}
	return false
}

func (t *pyStructType) fieldNames() string {
	names := make([]string, len(t.fields))
	for i, f := range t.fields {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

// CallInternal makes an object of the class.
func (t *pyStructType) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if t.base {
		return nil, fmt.Errorf("%s: Struct is the base of Struct classes: define one (class Name(Struct): ...) and call it", t.name)
	}
	s := &pyStruct{typ: t, vals: map[string]starlark.Value{}, binds: map[string]starlark.Value{}, pos: pyCallerPos(thread)}
	for _, f := range t.fields {
		if f.def != nil {
			s.vals[f.name] = f.def
		}
	}
	c := &pyCoercer{thread: thread, pos: s.pos, left: maxWalk}
	if err := s.update(c, args, kwargs); err != nil {
		return nil, err
	}
	return s, s.made(thread)
}

// pyCallerPos is the position of the call of the built-in running on thread.
func pyCallerPos(thread *starlark.Thread) syntax.Position {
	if thread != nil && thread.CallStackDepth() > 1 {
		return thread.CallFrame(1).Pos
	}
	return syntax.Position{}
}

// pyClass is __pystachio_class(name, base, positions, field=sig, ...),
// which a translated class statement calls. positions are the line:col of
// the class keyword and of each field, space-separated; errors are
// reported there.
func pyClass(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, positions string
	var base starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, nil, 3, &name, &base, &positions); err != nil {
		return nil, err
	}
	file := pyCallerPos(thread).Filename()
	var pos []syntax.Position
	for _, p := range strings.Fields(positions) {
		l, c, _ := strings.Cut(p, ":")
		line, err1 := strconv.Atoi(l)
		col, err2 := strconv.Atoi(c)
		if err1 != nil || err2 != nil {
			pos = nil
			break
		}
		pos = append(pos, syntax.MakePosition(&file, int32(line), int32(col)))
	}
	if len(pos) != len(kwargs)+1 {
		pos = nil
	}
	at := func(i int, format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if pos == nil {
			return errors.New(msg)
		}
		// A syntax.Error carries its own position, which the loader
		// reports (addStarlarkError) instead of the call's.
		return syntax.Error{Pos: pos[i], Msg: msg}
	}
	parent, ok := base.(*pyStructType)
	if !ok {
		return nil, at(0, "class %s: its base is a %s, not Struct or a Struct class", name, base.Type())
	}
	t := &pyStructType{name: name, index: map[string]int{}}
	if !parent.base {
		t.parent = parent
		for _, f := range parent.fields {
			t.index[f.name] = len(t.fields)
			t.fields = append(t.fields, f)
		}
	}
	c := &pyCoercer{thread: thread, left: maxWalk}
	for i, kv := range kwargs {
		fname := string(kv[0].(starlark.String))
		path := name + "." + fname
		f := &pyField{name: fname}
		switch sig := kv[1].(type) {
		case *pySig:
			f.typ, f.required = sig.typ, sig.required
			if sig.def != nil {
				if pos != nil {
					c.pos = pos[i+1]
				}
				v, err := c.coerce(sig.typ, sig.def, path)
				if err != nil {
					return nil, at(i+1, "%v", err)
				}
				v.Freeze()
				f.def = v
			}
		case pyType:
			typ, err := pyAsType(path, sig)
			if err != nil {
				return nil, at(i+1, "%v", err)
			}
			f.typ = typ
		default:
			return nil, at(i+1, "%s: want Default(Type, value), Required(Type) or a type, got %s", path, kv[1].Type())
		}
		if j, ok := t.index[fname]; ok {
			t.fields[j] = f // a subclass changes an inherited field
		} else {
			t.index[fname] = len(t.fields)
			t.fields = append(t.fields, f)
		}
	}
	for _, f := range t.fields {
		t.depth = max(t.depth, f.typ.typeDepth()+1)
	}
	if t.depth > maxNesting {
		return nil, at(0, "class %s: types nest more than %d levels deep", name, maxNesting)
	}
	return t, nil
}
