package config

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.starlark.net/resolve"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Aurora files are run as Starlark, a Python dialect, with Aurora's
// constructors predeclared. Each constructor makes an object: a set of fields
// (keyword arguments only) plus .bind() values. Like pystachio's structs, an
// object reads its fields as attributes (task.name), makes a copy with
// overrides when called (hello(cmdline='x')) and binds template values with
// .bind(name=value).

// defaultMaxSteps bounds the Starlark computation of one file.
const defaultMaxSteps = 10_000_000

var auroraFileOptions = &syntax.FileOptions{
	Set:             true,
	While:           true,
	TopLevelControl: true,
	GlobalReassign:  true,
	Recursion:       true,
	// The load statements include() becomes bind globally, as Python's
	// exec of the included file does (aurora_include.go).
	LoadBindsGlobally: true,
}

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

func constructor(t reflect.Type) *starlark.Builtin {
	name := auroraName[t]
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		o := newObject(t)
		if err := o.setKwargs(name, args, kwargs); err != nil {
			return nil, err
		}
		return o, chargeObject(thread, o)
	})
}

func serviceBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	o := newObject(reflect.TypeFor[Job]())
	o.setField("service", starlark.True)
	return o, o.setKwargs("Service", args, kwargs)
}

func sequentialTaskBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	o := newObject(reflect.TypeFor[Task]())
	if err := o.setKwargs("SequentialTask", args, kwargs); err != nil {
		return nil, err
	}
	if c, ok := o.fields["constraints"]; ok && c != starlark.None {
		if l, ok := c.(starlark.Indexable); !ok || l.Len() > 0 {
			return nil, errors.New("SequentialTask: constraints given; a SequentialTask orders all its processes itself, use Task to give constraints")
		}
	}
	var procs []starlark.Value
	if ps, ok := o.fields["processes"].(starlark.Indexable); ok {
		for i := range ps.Len() {
			procs = append(procs, ps.Index(i))
		}
	}
	if len(procs) > 0 {
		c, err := makeOrder("SequentialTask", procs)
		if err != nil {
			return nil, err
		}
		o.setField("constraints", starlark.NewList([]starlark.Value{c}))
	}
	return o, nil
}

func orderBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(kwargs) > 0 {
		return nil, errors.New("order: takes processes or process names only")
	}
	c, err := makeOrder("order", args)
	if err != nil {
		return nil, err
	}
	// Aurora's order() is a list of one Constraint, so orders add up:
	// constraints = order(a, b) + order(b, c).
	return starlark.NewList([]starlark.Value{c}), nil
}

// makeOrder builds Constraint(order=[names]) from processes or names.
func makeOrder(fn string, items []starlark.Value) (starlark.Value, error) {
	names := make([]starlark.Value, 0, len(items))
	for i, it := range items {
		switch v := it.(type) {
		case starlark.String:
			names = append(names, v)
		case *object:
			n, ok := v.fields["name"].(starlark.String)
			if v.kind != "Process" || !ok {
				return nil, fmt.Errorf("%s: argument %d: want a Process with a name or a process name, got %s", fn, i+1, shortenMsg(v.String()))
			}
			names = append(names, n)
		case *starlark.Dict:
			n, _, _ := v.Get(starlark.String("name"))
			s, ok := n.(starlark.String)
			if !ok {
				return nil, fmt.Errorf("%s: argument %d: process has no name", fn, i+1)
			}
			names = append(names, s)
		default:
			return nil, fmt.Errorf("%s: argument %d: want a Process or a process name, got %s", fn, i+1, it.Type())
		}
	}
	c := newObject(reflect.TypeFor[Constraint]())
	c.setField("order", starlark.NewList(names))
	return c, nil
}

// auroraPredeclared is the Aurora vocabulary.
func auroraPredeclared() starlark.StringDict {
	d := starlark.StringDict{
		"Service":        starlark.NewBuiltin("Service", serviceBuiltin),
		"SequentialTask": starlark.NewBuiltin("SequentialTask", sequentialTaskBuiltin),
		"order":          starlark.NewBuiltin("order", orderBuiltin),
		"include":        starlark.NewBuiltin("include", includeBuiltin),
		"B":              starlark.MakeInt64(B),
		"KB":             starlark.MakeInt64(KB),
		"MB":             starlark.MakeInt64(MB),
		"GB":             starlark.MakeInt64(GB),
		"TB":             starlark.MakeInt64(TB),
	}
	for t, name := range auroraName {
		if t == reflect.TypeFor[UpdateStrategy]() || t == reflect.TypeFor[SlaPolicy]() {
			continue // a choice without an Aurora constructor
		}
		d[name] = constructor(t)
	}
	for name, v := range schemaPredeclared() {
		d[name] = v
	}
	for name, v := range pythonPredeclared() {
		d[name] = v
	}
	return d
}

// maxNodes bounds the values of an Aurora file's jobs, as maxYAMLNodes does
// for YAML: a list that holds another many times expands to a tree.
const maxNodes = 1_000_000

// nodeConverter converts the values built by an Aurora file.
type nodeConverter struct {
	left int // nodes it may still make
}

// starlarkToNode converts a value built by an Aurora file.
func starlarkToNode(v starlark.Value, depth int) (*node, error) {
	cv := &nodeConverter{left: maxNodes}
	return cv.convert(v, depth)
}

func (cv *nodeConverter) convert(v starlark.Value, depth int) (*node, error) {
	if depth > maxNesting {
		return nil, errors.New("value nests too deeply (does a list contain itself?)")
	}
	if cv.left--; cv.left < 0 {
		return nil, fmt.Errorf("value too large: over %d values (does a list hold another many times?)", maxNodes)
	}
	switch v := v.(type) {
	case starlark.NoneType:
		return &node{kind: nodeNull}, nil
	case starlark.Bool:
		return &node{kind: nodeBool, b: bool(v)}, nil
	case starlark.Int:
		i, ok := v.Int64()
		if !ok {
			return nil, fmt.Errorf("integer %s is too large", shorten(v.String()))
		}
		return &node{kind: nodeInt, i: i}, nil
	case starlark.Float:
		return &node{kind: nodeFloat, f: float64(v)}, nil
	case starlark.String:
		return &node{kind: nodeString, str: string(v)}, nil
	case starlark.Indexable: // list, tuple
		if _, ok := v.(starlark.String); ok {
			break
		}
		n := &node{kind: nodeList}
		for i := range v.Len() {
			c, err := cv.convert(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			n.list = append(n.list, c)
		}
		return n, nil
	case *starlark.Dict:
		n := newMap("")
		for _, kv := range v.Items() {
			k, ok := starlark.AsString(kv[0])
			if !ok {
				return nil, fmt.Errorf("mapping keys must be strings, got %s", kv[0].Type())
			}
			c, err := cv.convert(kv[1], depth+1)
			if err != nil {
				return nil, err
			}
			n.set(k, c)
		}
		return n, nil
	case *object:
		n := newMap(v.kind)
		for _, k := range v.keys {
			c, err := cv.convert(v.fields[k], depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", v.kind, k, err)
			}
			n.set(k, c)
		}
		if len(v.bkeys) > 0 {
			n.binds = newMap("")
			for _, k := range v.bkeys {
				c, err := cv.convert(v.binds[k], depth+1)
				if err != nil {
					return nil, fmt.Errorf("%s.bind(%s): %w", v.kind, k, err)
				}
				n.binds.set(k, c)
			}
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot use a %s as a config value", v.Type())
}

// parseAurora runs an Aurora file and returns its jobs list as a node. The
// run is bounded (starlark_limits.go): in steps, in wall-clock time, in how
// deep calls nest and in what it allocates.
func parseAurora(name string, data []byte, opts LoadOptions) (*node, *Errors) {
	errs := &Errors{}
	steps := opts.MaxSteps
	if steps == 0 {
		steps = defaultMaxSteps
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	g := newGuard(steps)
	thread := &starlark.Thread{
		Name: name,
		Print: func(_ *starlark.Thread, msg string) {
			if opts.Print != nil {
				opts.Print(msg)
			}
		},
		OnMaxSteps: g.onSteps,
	}
	thread.SetLocal(guardKey, g)
	thread.SetMaxExecutionSteps(min(stepsPerCheck, steps))
	predeclared := auroraPredeclared()
	g.guardPredeclared(predeclared)

	timer := time.AfterFunc(timeout, func() {
		thread.Cancel(fmt.Sprintf("took longer than %v, the time limit for an Aurora file", timeout))
	})
	globals, ok := newAuroraRun(thread, predeclared, errs).run(name, data, 0)
	timer.Stop()
	if !ok {
		return nil, errs
	}
	jobs, ok := globals["jobs"]
	if !ok {
		errs.Add(name, "no jobs: an Aurora file must assign jobs = [Job(...), ...]")
		return nil, errs
	}
	// Struct objects bound into the jobs become mappings (python_lower.go).
	jobs, lerrs := pyLower(thread, jobs)
	if len(lerrs) > 0 {
		for _, e := range lerrs {
			addStarlarkError(errs, name, e)
		}
		return nil, errs
	}
	n, err := starlarkToNode(jobs, 0)
	if err != nil {
		errs.Add("jobs", "%v", err)
		return nil, errs
	}
	return n, errs
}

func addStarlarkError(errs *Errors, name string, err error) {
	var se syntax.Error
	var rl resolve.ErrorList
	var ee *starlark.EvalError
	switch {
	case errors.As(err, &se):
		errs.Add(se.Pos.String(), "%s", se.Msg)
	case errors.As(err, &rl):
		for _, e := range rl {
			errs.Add(e.Pos.String(), "%s", e.Msg)
		}
	case errors.As(err, &ee):
		path := name
		for i := len(ee.CallStack) - 1; i >= 0; i-- {
			if pos := ee.CallStack[i].Pos; pos.Filename() == name {
				path = pos.String()
				break
			}
		}
		errs.Add(path, "%s", shortenMsg(ee.Msg))
	default:
		errs.Add(name, "%s", shortenMsg(err.Error()))
	}
}
