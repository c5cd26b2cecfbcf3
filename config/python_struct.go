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
// python_translate_class.go turns the class statement into a call of
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
//
// The files: python_types.go has the types and the fields' signatures
// (Default, Required), python_struct_class.go the Struct classes,
// python_coerce.go the checks and conversions of values, and this file
// the Struct objects.

import (
	"errors"
	"fmt"
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
