package config

import (
	"errors"
	"fmt"
	"reflect"
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
