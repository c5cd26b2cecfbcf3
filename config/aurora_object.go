package config

// Aurora objects in Starlark (aurora.go): the object type, its attributes,
// copies with overrides and .bind(), and model defaults as Starlark values.

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"go.starlark.net/starlark"
)

// object is an Aurora/pystachio struct value in Starlark.
type object struct {
	kind   string // Aurora name: Process, Task, Job, ...
	typ    reflect.Type
	keys   []string // fields set, in the order given
	fields map[string]starlark.Value
	bkeys  []string // .bind() names, in the order given
	binds  map[string]starlark.Value
	frozen bool
	// printing is set while String runs: an object can hold itself through
	// a list (l.append(o) where o holds l), which printed forever.
	printing bool
}

var (
	_ starlark.HasAttrs = (*object)(nil)
	_ starlark.Callable = (*object)(nil)
)

func newObject(t reflect.Type) *object {
	return &object{kind: auroraName[t], typ: t, fields: map[string]starlark.Value{}, binds: map[string]starlark.Value{}}
}

func (o *object) copy() *object {
	c := newObject(o.typ)
	for _, k := range o.keys {
		c.setField(k, o.fields[k])
	}
	for _, k := range o.bkeys {
		c.bind(k, o.binds[k])
	}
	return c
}

func (o *object) setField(k string, v starlark.Value) {
	if _, ok := o.fields[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.fields[k] = v
}

func (o *object) bind(k string, v starlark.Value) {
	if _, ok := o.binds[k]; !ok {
		o.bkeys = append(o.bkeys, k)
	}
	o.binds[k] = v
}

// setKwargs sets fields from keyword arguments, refusing unknown ones.
func (o *object) setKwargs(fn string, args starlark.Tuple, kwargs []starlark.Tuple) error {
	if len(args) > 0 {
		return fmt.Errorf("%s: takes keyword arguments only (field=value), got %d positional", fn, len(args))
	}
	idx := fieldIndex(o.typ)
	for _, kv := range kwargs {
		k := string(kv[0].(starlark.String))
		if _, ok := idx[k]; !ok {
			return fmt.Errorf("%s: unknown field %q (fields: %s)", fn, k, strings.Join(fieldNames(o.typ), ", "))
		}
		v := kv[1]
		if o.kind == "Task" && k == "constraints" {
			v = flattenConstraints(v)
		}
		o.setField(k, v)
	}
	return nil
}

// flattenConstraints accepts a task's constraints as Aurora writes them:
// order(a, b) (a list of one Constraint), order(a, b) + order(c, d), a
// list of those, or a single Constraint, and makes one flat list.
func flattenConstraints(v starlark.Value) starlark.Value {
	var out []starlark.Value
	// Lists may hold one another many times, or nest deeply.
	left := maxValueElems
	var walk func(v starlark.Value, depth int) bool
	walk = func(v starlark.Value, depth int) bool {
		if left--; left < 0 || depth > maxNesting {
			return false
		}
		switch x := v.(type) {
		case *object:
			out = append(out, x)
			return true
		case *starlark.List, starlark.Tuple:
			seq := x.(starlark.Indexable)
			for i := range seq.Len() {
				if !walk(seq.Index(i), depth+1) {
					return false
				}
			}
			return true
		}
		return false
	}
	if !walk(v, 0) {
		return v // not constraints: let the decoder name the problem
	}
	return starlark.NewList(out)
}

func (o *object) String() string {
	if o.printing {
		return o.kind + "(...)"
	}
	o.printing = true
	defer func() { o.printing = false }()
	var b strings.Builder
	b.WriteString(o.kind + "(")
	for i, k := range o.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + "=" + o.fields[k].String())
	}
	b.WriteString(")")
	for _, k := range o.bkeys {
		b.WriteString(".bind(" + k + "=" + o.binds[k].String() + ")")
	}
	return b.String()
}

func (o *object) Type() string         { return o.kind }
func (o *object) Truth() starlark.Bool { return starlark.True }
func (o *object) Name() string         { return o.kind }

func (o *object) Hash() (uint32, error) {
	return 0, fmt.Errorf("unhashable type: %s", o.kind)
}

func (o *object) Freeze() {
	if o.frozen {
		return
	}
	o.frozen = true
	for _, v := range o.fields {
		v.Freeze()
	}
	for _, v := range o.binds {
		v.Freeze()
	}
}

func (o *object) AttrNames() []string {
	names := append(fieldNames(o.typ), "bind")
	sort.Strings(names)
	return names
}

func (o *object) Attr(name string) (starlark.Value, error) {
	if name == "bind" {
		return starlark.NewBuiltin(o.kind+".bind", o.bindMethod), nil
	}
	if v, ok := o.fields[name]; ok {
		return v, nil
	}
	i, ok := fieldIndex(o.typ)[name]
	if !ok {
		return nil, nil // "no such attribute"
	}
	if name == "name" {
		// Derived names, as at load time.
		if ps, ok := o.fields["processes"].(*starlark.List); ok && o.kind == "Task" && ps.Len() > 0 {
			if p, ok := ps.Index(0).(*object); ok {
				return p.Attr("name")
			}
		}
		if t, ok := o.fields["task"].(*object); ok && o.kind == "Job" {
			return t.Attr("name")
		}
	}
	if name == "cron_collision_policy" && o.kind == "Job" {
		// A cron job's default, as at load time.
		if s, ok := o.fields["cron_schedule"].(starlark.String); ok && s != "" {
			return starlark.String(CronKillExisting), nil
		}
	}
	return goToStarlark(defaultValue(o.typ).Field(i)), nil
}

// CallInternal makes a copy with the keyword arguments as overrides.
func (o *object) CallInternal(thread *starlark.Thread, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c := o.copy()
	if err := c.setKwargs(o.kind, args, kwargs); err != nil {
		return nil, err
	}
	return c, chargeObject(thread, c)
}

// eachBind calls bind with each name and value of a .bind() call: its
// name=value arguments and the items of its dict arguments.
func eachBind(b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple, bind func(string, starlark.Value)) error {
	for _, a := range args {
		d, ok := a.(*starlark.Dict)
		if !ok {
			return fmt.Errorf("%s: takes name=value arguments or a dict, got %s", b.Name(), a.Type())
		}
		for _, kv := range d.Items() {
			k, ok := starlark.AsString(kv[0])
			if !ok {
				return fmt.Errorf("%s: dict keys must be strings, got %s", b.Name(), kv[0].Type())
			}
			bind(k, kv[1])
		}
	}
	for _, kv := range kwargs {
		bind(string(kv[0].(starlark.String)), kv[1])
	}
	return nil
}

func (o *object) bindMethod(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	c := o.copy()
	if err := eachBind(b, args, kwargs, c.bind); err != nil {
		return nil, err
	}
	return c, chargeObject(thread, c)
}

// goToStarlark shows a model default as a Starlark value.
func goToStarlark(v reflect.Value) starlark.Value {
	switch v.Kind() {
	case reflect.String:
		return starlark.String(v.String())
	case reflect.Int, reflect.Int64:
		return starlark.MakeInt64(v.Int())
	case reflect.Float64:
		return starlark.Float(v.Float())
	case reflect.Bool:
		return starlark.Bool(v.Bool())
	case reflect.Pointer:
		if v.IsNil() {
			return starlark.None
		}
		return goToStarlark(v.Elem())
	case reflect.Slice:
		l := make([]starlark.Value, v.Len())
		for i := range l {
			l[i] = goToStarlark(v.Index(i))
		}
		return starlark.NewList(l)
	case reflect.Map:
		d := starlark.NewDict(v.Len())
		for _, k := range v.MapKeys() {
			_ = d.SetKey(starlark.String(k.String()), goToStarlark(v.MapIndex(k)))
		}
		return d
	case reflect.Struct:
		o := newObject(v.Type())
		for i := range v.NumField() {
			name := jsonName(v.Type(), i)
			if f := v.Field(i); name != "" && !f.IsZero() {
				o.setField(name, goToStarlark(f))
			}
		}
		return o
	}
	return starlark.None
}
