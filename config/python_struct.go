package config

// Pystachio's types and Struct classes, as Aurora files use them to write
// profiles:
//
//	class Profile(Struct):
//	  role      = Default(String, getpass.getuser())
//	  instances = Default(Integer, 1)
//	  cmd       = Required(String)
//	  tags      = Default(List(String), [])
//	  env       = Default(Map(String, String), {})
//	  server    = Server            # a field of another Struct class, no default
//
//	PROFILE = Profile(cmd = 'python app.py')
//	job = Job(role = '{{profile.role}}', ...).bind(profile = PROFILE)
//
// python_translate.go turns the class statement into a call of
// __pystachio_class. The types are String, Integer, Float, Boolean,
// List(T), Map(K, V) and Struct classes; a class may extend another
// (class WebProfile(Profile):), adding fields or changing their defaults.
//
// A value given to a field is checked and coerced as Pystachio does: a
// String takes numbers and booleans as their text, an Integer takes an
// integral number or the text of one, a Float any number or its text, a
// Boolean a number or true/false/1/0; a List or Map converts each element,
// a Struct field takes an object of that class (or a subclass) or a dict of
// its fields. Text holding a {{reference}} is kept as it is, and converted
// once the reference is filled. Anything else is an error naming the field
// (Profile.instances: "x" is not an Integer), and so is an unknown field.
// Unlike Pystachio, a Float is not truncated into an Integer: 1.5 is not
// an Integer.
//
// A Struct object reads its fields as attributes (PROFILE.cmd), makes a
// copy with overrides when called (PROFILE(cmd = 'x')), binds template
// values with .bind(name = value) and tells whether a field is set with
// has_NAME(). Within an object, {{name}} and {{self.name}} are its own
// fields, then its .bind() values, then those of the objects it is a field
// of, as in Pystachio: Default(String, 'hdfs://data/{{environment}}') fills
// in the object's environment. A Required field not set is an error when
// the field is read, and when the object is bound into a job
// (python_lower.go turns the objects bound into a job into plain
// mappings, which templates read as {{profile.cmd}}).

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// pyStructsKey is the thread local set once a Struct object is made: only
// then does python_lower.go walk the jobs.
const pyStructsKey = "borealis.config.python.structs"

// pyMaxShown bounds the text of a Python value (str, print): the guards
// count such values as at most 64 bytes (starlark_size.go).
const pyMaxShown = 64

func pyCapShown(s string) string {
	if len(s) <= pyMaxShown {
		return s
	}
	cut := pyMaxShown - 3
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut-- // not inside a UTF-8 sequence
	}
	return s[:cut] + "..."
}

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

// pyStruct is an object of a Struct class. It does not change once made.
type pyStruct struct {
	typ   *pyStructType
	vals  map[string]starlark.Value // fields set, checked and frozen
	bkeys []string                  // .bind() names, in the order given
	binds map[string]starlark.Value
	// view holds the string fields with {{references}} filled from the
	// object's own fields and binds, as attributes read them.
	view map[string]starlark.Value
	pos  syntax.Position // where it was made
}

func (s *pyStruct) copy(pos syntax.Position) *pyStruct {
	c := &pyStruct{typ: s.typ, vals: make(map[string]starlark.Value, len(s.vals)), binds: make(map[string]starlark.Value, len(s.binds)), pos: pos}
	for k, v := range s.vals {
		c.vals[k] = v
	}
	c.bkeys = append(c.bkeys, s.bkeys...)
	for k, v := range s.binds {
		c.binds[k] = v
	}
	return c
}

// update sets fields from a call's arguments: dicts of fields, then
// name=value.
func (s *pyStruct) update(c *pyCoercer, args starlark.Tuple, kwargs []starlark.Tuple) error {
	for _, a := range args {
		d, ok := a.(*starlark.Dict)
		if !ok {
			return fmt.Errorf("%s: takes name=value arguments or a dict of fields, got %s", s.typ.name, a.Type())
		}
		for _, kv := range d.Items() {
			k, ok := kv[0].(starlark.String)
			if !ok {
				return fmt.Errorf("%s: field names are strings, got %s", s.typ.name, kv[0].Type())
			}
			if err := s.set(c, string(k), kv[1]); err != nil {
				return err
			}
		}
	}
	for _, kv := range kwargs {
		if err := s.set(c, string(kv[0].(starlark.String)), kv[1]); err != nil {
			return err
		}
	}
	return nil
}

func (s *pyStruct) set(c *pyCoercer, name string, v starlark.Value) error {
	i, ok := s.typ.index[name]
	if !ok {
		return fmt.Errorf("%s: unknown field %q (fields: %s)", s.typ.name, name, s.typ.fieldNames())
	}
	v, err := c.coerce(s.typ.fields[i].typ, v, s.typ.name+"."+name)
	if err != nil {
		return err
	}
	v.Freeze()
	s.vals[name] = v
	return nil
}

// made finishes an object just made on thread: it fills the view, charges
// it, and marks the thread as having made one.
func (s *pyStruct) made(thread *starlark.Thread) error {
	if thread != nil {
		thread.SetLocal(pyStructsKey, true)
	}
	var g *guard
	if thread != nil {
		g = threadGuard(thread)
	}
	if g != nil {
		if err := g.charge(64 * int64(len(s.vals)+len(s.binds)+1)); err != nil {
			return err
		}
	}
	in := &pyInterp{g: g, work: maxTemplateWork}
	scopes := s.scopes(nil)
	for _, f := range s.typ.fields {
		v, ok := s.vals[f.name].(starlark.String)
		if !ok || !strings.Contains(string(v), "{{") {
			continue
		}
		out, err := in.text(string(v), scopes, 0)
		if err != nil {
			if errors.As(err, new(pyBudgetError)) {
				return err
			}
			continue // left as it is; python_lower.go reports it
		}
		if s.view == nil {
			s.view = map[string]starlark.Value{}
		}
		s.view[f.name] = starlark.String(out)
	}
	return nil
}

func (s *pyStruct) String() string {
	var b strings.Builder
	b.WriteString(s.typ.name + "(")
	n := 0
	for _, f := range s.typ.fields {
		v, ok := s.vals[f.name]
		if !ok {
			continue
		}
		if n > 0 {
			b.WriteString(", ")
		}
		n++
		b.WriteString(f.name + "=" + pyShownValue(v))
		if b.Len() > pyMaxShown {
			break
		}
	}
	b.WriteString(")")
	return pyCapShown(b.String())
}

// pyShownValue is a short text of a field's value.
func pyShownValue(v starlark.Value) string {
	switch v := v.(type) {
	case starlark.String:
		return strconv.Quote(pyCapShown(string(v)))
	case *starlark.List:
		if v.Len() > 0 {
			return "[...]"
		}
		return "[]"
	case *starlark.Dict:
		if v.Len() > 0 {
			return "{...}"
		}
		return "{}"
	case *pyStruct:
		return v.typ.name + "(...)"
	case starlark.Int, starlark.Float, starlark.Bool, starlark.NoneType:
		return v.String()
	}
	return v.Type()
}

func (s *pyStruct) Type() string          { return s.typ.name }
func (s *pyStruct) Name() string          { return s.typ.name }
func (s *pyStruct) Truth() starlark.Bool  { return starlark.True }
func (s *pyStruct) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: %s", s.typ.name) }

func (s *pyStruct) Freeze() {
	for _, v := range s.binds {
		v.Freeze()
	}
}

func (s *pyStruct) AttrNames() []string {
	names := []string{"bind"}
	for _, f := range s.typ.fields {
		names = append(names, f.name, "has_"+f.name)
	}
	return names
}

// Attr reads a field, filled from the object's own fields and binds.
func (s *pyStruct) Attr(name string) (starlark.Value, error) {
	if name == "bind" {
		return starlark.NewBuiltin(s.typ.name+".bind", s.bindMethod), nil
	}
	if i, ok := s.typ.index[name]; ok {
		if v, ok := s.view[name]; ok {
			return v, nil
		}
		if v, ok := s.vals[name]; ok {
			return v, nil
		}
		if s.typ.fields[i].required {
			return nil, fmt.Errorf("%s.%s is required", s.typ.name, name)
		}
		return starlark.None, nil
	}
	if f, ok := strings.CutPrefix(name, "has_"); ok {
		if _, ok := s.typ.index[f]; ok {
			return starlark.NewBuiltin(s.typ.name+"."+name, func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
				if err := starlark.UnpackPositionalArgs(b.Name(), args, kwargs, 0); err != nil {
					return nil, err
				}
				_, set := s.vals[f]
				return starlark.Bool(set), nil
			}), nil
		}
	}
	return nil, nil
}

// CallInternal makes a copy with the arguments as overrides.
func (s *pyStruct) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c := s.copy(pyCallerPos(thread))
	if err := c.update(&pyCoercer{thread: thread, pos: c.pos, left: maxWalk}, args, kwargs); err != nil {
		return nil, err
	}
	return c, c.made(thread)
}

// bindMethod is .bind(name=value, ...) or .bind({name: value}): a copy
// with template values.
func (s *pyStruct) bindMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c := s.copy(pyCallerPos(thread))
	add := func(k string, v starlark.Value) {
		if _, ok := c.binds[k]; !ok {
			c.bkeys = append(c.bkeys, k)
		}
		c.binds[k] = v
	}
	if err := eachBind(b, args, kwargs, add); err != nil {
		return nil, err
	}
	return c, c.made(thread)
}

// pyCoercer checks and converts values to Pystachio types.
type pyCoercer struct {
	thread *starlark.Thread
	pos    syntax.Position // where Struct objects it makes from dicts are made
	left   int             // elements it may still visit
}

func pyArticle(name string) string {
	if name != "" && strings.ContainsRune("AEIOU", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// pyHasRef reports whether s holds a {{reference}}.
func pyHasRef(s string) bool { return templateRE.MatchString(s) }

func (c *pyCoercer) coerce(t pyType, v starlark.Value, path string) (starlark.Value, error) {
	if c.left--; c.left < 0 {
		return nil, fmt.Errorf("%s: value too large to check (over %d elements, nested ones counted each time they are reached)", path, maxWalk)
	}
	bad := func() error {
		return fmt.Errorf("%s: %s is not %s", path, pyShortRepr(v), pyArticle(t.typeName()))
	}
	switch t := t.(type) {
	case *pySimple:
		out, ok := pyCoerceSimple(t.name, v)
		if !ok {
			return nil, bad()
		}
		return out, nil
	case *pyList:
		seq, ok := v.(starlark.Indexable)
		if _, isStr := v.(starlark.String); !ok || isStr {
			return nil, bad()
		}
		out := make([]starlark.Value, seq.Len())
		for i := range out {
			e, err := c.coerce(t.elem, seq.Index(i), fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		l := starlark.NewList(out)
		return l, pyCharge(c.thread, path, l)
	case *pyMap:
		d, ok := v.(*starlark.Dict)
		if !ok {
			return nil, bad()
		}
		out := starlark.NewDict(d.Len())
		for _, kv := range d.Items() {
			k, err := c.coerce(t.key, kv[0], path+" key "+pyShortRepr(kv[0]))
			if err != nil {
				return nil, err
			}
			x, err := c.coerce(t.val, kv[1], fmt.Sprintf("%s[%s]", path, pyShortRepr(kv[0])))
			if err != nil {
				return nil, err
			}
			if err := out.SetKey(k, x); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
		}
		return out, pyCharge(c.thread, path, out)
	case *pyStructType:
		switch x := v.(type) {
		case *pyStruct:
			if x.typ.isA(t) {
				return x, nil
			}
		case *starlark.Dict:
			s := &pyStruct{typ: t, vals: map[string]starlark.Value{}, binds: map[string]starlark.Value{}, pos: c.pos}
			for _, f := range t.fields {
				if f.def != nil {
					s.vals[f.name] = f.def
				}
			}
			if err := s.update(c, starlark.Tuple{x}, nil); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return s, s.made(c.thread)
		}
		return nil, bad()
	}
	return nil, bad()
}

// pyCoerceSimple converts v to the simple type kind, as Pystachio does.
func pyCoerceSimple(kind string, v starlark.Value) (starlark.Value, bool) {
	if s, ok := v.(starlark.String); ok && kind != "String" && pyHasRef(string(s)) {
		return s, true // converted once filled
	}
	switch kind {
	case "String":
		switch x := v.(type) {
		case starlark.String:
			return x, true
		case starlark.Int:
			return starlark.String(x.String()), true
		case starlark.Float:
			return starlark.String(formatFloat(float64(x))), true
		case starlark.Bool:
			return starlark.String(pyBool(bool(x))), true
		}
	case "Integer":
		switch x := v.(type) {
		case starlark.Int:
			return x, true
		case starlark.Bool:
			return starlark.MakeInt(pyBoolInt(bool(x))), true
		case starlark.Float:
			f := float64(x)
			if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
				return starlark.MakeInt64(int64(f)), true
			}
		case starlark.String:
			if i, err := strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64); err == nil {
				return starlark.MakeInt64(i), true
			}
		}
	case "Float":
		switch x := v.(type) {
		case starlark.Int:
			return x.Float(), true
		case starlark.Float:
			return x, true
		case starlark.Bool:
			return starlark.Float(pyBoolInt(bool(x))), true
		case starlark.String:
			f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
			if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return starlark.Float(f), true
			}
		}
	case "Boolean":
		switch x := v.(type) {
		case starlark.Bool:
			return x, true
		case starlark.Int:
			return starlark.Bool(x.Sign() != 0), true
		case starlark.Float:
			return starlark.Bool(x != 0), true
		case starlark.String:
			switch strings.ToLower(strings.TrimSpace(string(x))) {
			case "true", "1":
				return starlark.True, true
			case "false", "0":
				return starlark.False, true
			}
		}
	}
	return nil, false
}

func pyBoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pyShortRepr is v's repr, shortened for a message.
func pyShortRepr(v starlark.Value) string {
	switch v := v.(type) {
	case starlark.String:
		return strconv.Quote(shorten(string(v)))
	case starlark.Int, starlark.Float, starlark.Bool, starlark.NoneType:
		return shorten(v.String())
	case *pyStruct:
		return v.typ.name + "(...)"
	}
	return pyArticle(v.Type())
}
