package config

// Pystachio's types (python_struct.go): String, Integer, Float, Boolean,
// List(T) and Map(K, V), which convert a value when called, and the
// signatures of a Struct class's fields, Default(T, value) and
// Required(T).

import (
	"errors"
	"fmt"

	"go.starlark.net/starlark"
)

// pyType is a Pystachio type: String, Integer, Float, Boolean, List(T),
// Map(K, V) or a Struct class.
type pyType interface {
	starlark.Callable
	typeName() string
	typeDepth() int
}

// pySimple is String, Integer, Float or Boolean.
type pySimple struct{ name string }

var (
	pyString  = &pySimple{"String"}
	pyInteger = &pySimple{"Integer"}
	pyFloat   = &pySimple{"Float"}
	pyBoolean = &pySimple{"Boolean"}
)

// pyList is List(T).
type pyList struct{ elem pyType }

// pyMap is Map(K, V).
type pyMap struct{ key, val pyType }

func (t *pySimple) typeName() string { return t.name }
func (t *pyList) typeName() string   { return "List(" + t.elem.typeName() + ")" }
func (t *pyMap) typeName() string {
	return "Map(" + t.key.typeName() + ", " + t.val.typeName() + ")"
}

func (t *pySimple) typeDepth() int { return 1 }
func (t *pyList) typeDepth() int   { return 1 + t.elem.typeDepth() }
func (t *pyMap) typeDepth() int    { return 1 + max(t.key.typeDepth(), t.val.typeDepth()) }

func (t *pySimple) Name() string { return t.name }
func (t *pyList) Name() string   { return "List" }
func (t *pyMap) Name() string    { return "Map" }

func (t *pySimple) String() string { return t.name }
func (t *pyList) String() string   { return pyCapShown(t.typeName()) }
func (t *pyMap) String() string    { return pyCapShown(t.typeName()) }

func (t *pySimple) Type() string { return "type" }
func (t *pyList) Type() string   { return "type" }
func (t *pyMap) Type() string    { return "type" }

func (t *pySimple) Freeze() {}
func (t *pyList) Freeze()   {}
func (t *pyMap) Freeze()    {}

func (t *pySimple) Truth() starlark.Bool { return starlark.True }
func (t *pyList) Truth() starlark.Bool   { return starlark.True }
func (t *pyMap) Truth() starlark.Bool    { return starlark.True }

func (t *pySimple) Hash() (uint32, error) { return 0, errors.New("unhashable type: type") }
func (t *pyList) Hash() (uint32, error)   { return 0, errors.New("unhashable type: type") }
func (t *pyMap) Hash() (uint32, error)    { return 0, errors.New("unhashable type: type") }

// Calling a type converts a value: Integer('3'), List(String)([1, 2]).
func (t *pySimple) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return pyCallType(thread, t, args, kwargs)
}

func (t *pyList) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return pyCallType(thread, t, args, kwargs)
}

func (t *pyMap) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return pyCallType(thread, t, args, kwargs)
}

func pyCallType(thread *starlark.Thread, t pyType, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) != 1 || len(kwargs) > 0 {
		return nil, fmt.Errorf("%s: takes one value to convert", t.typeName())
	}
	c := &pyCoercer{thread: thread, pos: pyCallerPos(thread), left: maxWalk}
	return c.coerce(t, args[0], t.typeName())
}

// pyAsType is v as a field type, or an error naming what for.
func pyAsType(what string, v starlark.Value) (pyType, error) {
	t, ok := v.(pyType)
	if !ok {
		return nil, fmt.Errorf("%s: want a type (String, Integer, Float, Boolean, List(T), Map(K, V) or a Struct class), got %s", what, v.Type())
	}
	if st, ok := t.(*pyStructType); ok && st.base {
		return nil, fmt.Errorf("%s: want a type; Struct is the base of Struct classes, not a type of its own", what)
	}
	return t, nil
}

func pyListBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var elem starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &elem); err != nil {
		return nil, err
	}
	t, err := pyAsType("List", elem)
	if err != nil {
		return nil, err
	}
	if t.typeDepth() >= maxNesting {
		return nil, fmt.Errorf("%s: types nest more than %d levels deep", b.Name(), maxNesting)
	}
	return &pyList{elem: t}, nil
}

func pyMapBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var k, v starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &k, &v); err != nil {
		return nil, err
	}
	kt, err := pyAsType("Map", k)
	if err != nil {
		return nil, err
	}
	vt, err := pyAsType("Map", v)
	if err != nil {
		return nil, err
	}
	t := &pyMap{key: kt, val: vt}
	if t.typeDepth() > maxNesting {
		return nil, fmt.Errorf("%s: types nest more than %d levels deep", b.Name(), maxNesting)
	}
	return t, nil
}

// pySig is a field's type signature: Default(T, value) or Required(T).
type pySig struct {
	typ      pyType
	required bool
	def      starlark.Value // nil: none
}

func (s *pySig) String() string {
	if s.required {
		return pyCapShown("Required(" + s.typ.typeName() + ")")
	}
	return pyCapShown("Default(" + s.typ.typeName() + ", " + pyShownValue(s.def) + ")")
}
func (s *pySig) Type() string          { return "TypeSignature" }
func (s *pySig) Freeze()               {}
func (s *pySig) Truth() starlark.Bool  { return starlark.True }
func (s *pySig) Hash() (uint32, error) { return 0, errors.New("unhashable type: TypeSignature") }

func pyDefaultBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var t, v starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 2, &t, &v); err != nil {
		return nil, err
	}
	typ, err := pyAsType("Default", t)
	if err != nil {
		return nil, err
	}
	return &pySig{typ: typ, def: v}, nil
}

func pyRequiredBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var t starlark.Value
	if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 1, &t); err != nil {
		return nil, err
	}
	typ, err := pyAsType("Required", t)
	if err != nil {
		return nil, err
	}
	return &pySig{typ: typ, required: true}, nil
}
