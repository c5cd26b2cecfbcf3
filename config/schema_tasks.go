package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
)

// Thermos's task helpers (schema_helpers.py), with Aurora's rules:
//
//   - SimpleTask(name, command), Tasks.simple: Task(name = name, processes =
//     [Process(name = name, cmdline = command)], resources = Resources(cpu =
//     1.0, ram = 1*GB, disk = 1*GB)).
//   - combine_tasks(*tasks, **kw), Tasks.combine: the last task, with the
//     processes and constraints of every task (equal ones once, first seen
//     first), resources summed field by field, finalization_wait the
//     largest; kw then overrides fields. The processes run in parallel.
//   - concat_tasks(*tasks, **kw), Tasks.concat: as combine, but every
//     process of a task runs after every process of the task before it
//     (one order(p1, p2) per pair of distinct processes of consecutive
//     tasks), resources the largest of each field, finalization_wait the
//     sum.
//   - Tasks.sequential(task): the task with all its processes in one
//     order(...), refused when it has constraints (SequentialTask).
//
// The task whose fields the result keeps is the last one, as Aurora's code
// does (its docs say the first: the name, when left to default, is the
// first process's, so the first task's). With no task, the result is
// Task(). Resources and finalization_wait are computed while the file runs,
// so they must be numbers by then: text is read as a number or a size
// ('1GB'), with templates filled from the .bind() values of the Resources
// and the Task, as pystachio reads them in scope; anything else is an error.

// Aurora's Tasks.SIMPLE_CPU, SIMPLE_RAM and SIMPLE_DISK.
const (
	simpleTaskCPU  = 1.0
	simpleTaskRAM  = 1 * GB
	simpleTaskDisk = 1 * GB
)

func simpleTaskBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name, command starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "command", &command); err != nil {
		return nil, err
	}
	p := newObject(reflect.TypeFor[Process]())
	p.setField("name", name)
	p.setField("cmdline", command)
	r := newObject(reflect.TypeFor[Resources]())
	r.setField("cpu", starlark.Float(simpleTaskCPU))
	r.setField("ram", starlark.MakeInt64(simpleTaskRAM))
	r.setField("disk", starlark.MakeInt64(simpleTaskDisk))
	t := newObject(reflect.TypeFor[Task]())
	t.setField("name", name)
	t.setField("processes", starlark.NewList([]starlark.Value{p}))
	t.setField("resources", r)
	for _, o := range []*object{p, r, t} {
		if err := chargeObject(thread, o); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func sequentialTasksBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var arg starlark.Value
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "task", &arg); err != nil {
		return nil, err
	}
	tv, err := readMergeTask(b.Name(), 0, arg)
	if err != nil {
		return nil, err
	}
	if len(tv.constraints) > 0 {
		return nil, fmt.Errorf("%s: cannot turn a Task with existing constraints into a SequentialTask", b.Name())
	}
	t := tv.obj.copy()
	if len(tv.processes) > 0 {
		c, err := makeOrder(b.Name(), tv.processes)
		if err != nil {
			return nil, err
		}
		t.setField("constraints", starlark.NewList([]starlark.Value{c}))
	}
	return t, chargeObject(thread, t)
}

func combineTasksBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return mergeTasks(thread, b.Name(), args, kwargs, false)
}

func concatTasksBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	return mergeTasks(thread, b.Name(), args, kwargs, true)
}

// taskView is what merging reads of one task argument.
type taskView struct {
	obj         *object
	processes   []starlark.Value
	constraints []starlark.Value
	res         resourceTotals
	wait        int64 // finalization_wait
}

// resourceTotals are a Resources' numbers; a field left out is 0.
type resourceTotals struct {
	cpu            float64
	ram, disk, gpu int64
}

// mergeTasks is Tasks.combine (concat false) and Tasks.concat.
func mergeTasks(thread *starlark.Thread, fn string, args starlark.Tuple, kwargs []starlark.Tuple, concat bool) (starlark.Value, error) {
	if len(args) == 0 {
		t := newObject(reflect.TypeFor[Task]())
		return t, chargeObject(thread, t)
	}
	views := make([]*taskView, len(args))
	for i, a := range args {
		tv, err := readMergeTask(fn, i, a)
		if err != nil {
			return nil, err
		}
		views[i] = tv
	}
	last := views[len(views)-1]
	for _, tv := range views[:len(views)-1] {
		// The result keeps the last task's .bind() values; the others'
		// stay with their processes, in whose scope Aurora reads them.
		tv.processes = withTaskBinds(tv.processes, tv.obj)
	}

	eq := &valueEquality{left: maxWalk}
	var procs, cons distinctValues
	for _, tv := range views {
		for _, p := range tv.processes {
			procs.add(eq, p)
		}
		for _, c := range tv.constraints {
			cons.add(eq, c)
		}
	}
	if len(procs.list) > maxValueElems || len(cons.list) > maxValueElems {
		return nil, tooManyElems(fn, "list", int64(max(len(procs.list), len(cons.list))))
	}
	constraints := cons.list
	if concat {
		pairs := int64(0)
		for k := 0; k+1 < len(views); k++ {
			pairs += int64(len(views[k].processes)) * int64(len(views[k+1].processes))
		}
		if int64(len(constraints))+pairs > maxValueElems {
			return nil, fmt.Errorf("%s: ordering every process of a task after every process of the task before makes %d order constraints, over the limit of %d",
				fn, pairs, maxValueElems)
		}
		for k := 0; k+1 < len(views); k++ {
			for _, p1 := range views[k].processes {
				for _, p2 := range views[k+1].processes {
					if eq.same(p1, p2, 0) {
						continue
					}
					c, err := makeOrder(fn, []starlark.Value{p1, p2})
					if err != nil {
						return nil, err
					}
					constraints = append(constraints, c)
				}
			}
		}
	}

	total := views[0].res
	wait := views[0].wait
	for _, tv := range views[1:] {
		if concat {
			total = total.max(tv.res)
			wait = addSaturating(wait, tv.wait)
		} else {
			total = total.sum(tv.res)
			wait = max(wait, tv.wait)
		}
	}
	res := newObject(reflect.TypeFor[Resources]())
	res.setField("cpu", starlark.Float(total.cpu))
	res.setField("ram", starlark.MakeInt64(total.ram))
	res.setField("disk", starlark.MakeInt64(total.disk))
	res.setField("gpu", starlark.MakeInt64(total.gpu))

	t := last.obj.copy()
	procList := starlark.NewList(procs.list)
	consList := starlark.NewList(constraints)
	t.setField("processes", procList)
	t.setField("resources", res)
	if len(constraints) > 0 {
		// Else left as the last task has it: unset, or empty.
		t.setField("constraints", consList)
	}
	t.setField("finalization_wait", starlark.MakeInt64(wait))
	if err := t.setKwargs(fn, nil, kwargs); err != nil {
		return nil, err
	}
	if g := threadGuard(thread); g != nil {
		for _, l := range []*starlark.List{procList, consList} {
			if err := g.newValue(fn, l); err != nil {
				return nil, err
			}
		}
	}
	for _, o := range []*object{res, t} {
		if err := chargeObject(thread, o); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// readMergeTask reads the i-th (0-based) task argument of fn.
func readMergeTask(fn string, i int, v starlark.Value) (*taskView, error) {
	o, ok := v.(*object)
	if !ok || o.kind != "Task" {
		return nil, fmt.Errorf("%s: argument %d: want a Task, got %s", fn, i+1, v.Type())
	}
	at := func(field string) string {
		return fmt.Sprintf("%s: argument %d (task %s): %s", fn, i+1, taskLabel(o), field)
	}
	tv := &taskView{obj: o, wait: int64(DefaultTask().FinalizationWait)}
	var err error
	if tv.processes, err = taskListItems(o.fields["processes"]); err != nil {
		return nil, fmt.Errorf("%s: %w", at("processes"), err)
	}
	if tv.constraints, err = taskListItems(o.fields["constraints"]); err != nil {
		return nil, fmt.Errorf("%s: %w", at("constraints"), err)
	}
	if w, ok := o.fields["finalization_wait"]; ok && w != starlark.None {
		if tv.wait, err = taskInt(w, []*object{o}, false); err != nil {
			return nil, fmt.Errorf("%s: %w", at("finalization_wait"), err)
		}
	}
	if tv.res, err = readTaskResources(o); err != nil {
		return nil, fmt.Errorf("%s: %w", at("resources"), err)
	}
	return tv, nil
}

// taskLabel names a task in messages: its name when it is text.
func taskLabel(o *object) string {
	if n, ok := o.fields["name"].(starlark.String); ok {
		return shorten(n.String())
	}
	if ps, ok := o.fields["processes"].(starlark.Indexable); ok && ps.Len() > 0 {
		if p, ok := ps.Index(0).(*object); ok {
			if n, ok := p.fields["name"].(starlark.String); ok {
				return shorten(n.String())
			}
		}
	}
	return "without a name"
}

// values is the elements of a list or tuple field; unset or None is none.
func taskListItems(v starlark.Value) ([]starlark.Value, error) {
	switch x := v.(type) {
	case nil, starlark.NoneType:
		return nil, nil
	case *starlark.List, starlark.Tuple:
		seq := x.(starlark.Indexable)
		out := make([]starlark.Value, seq.Len())
		for i := range out {
			out[i] = seq.Index(i)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list, got %s", v.Type())
}

// readTaskResources reads a task's resources, each field as pystachio's
// safe_get does: 0 when left out.
func readTaskResources(task *object) (resourceTotals, error) {
	var r resourceTotals
	var fields map[string]starlark.Value
	scopes := []*object{task}
	switch x := task.fields["resources"].(type) {
	case nil, starlark.NoneType:
		return r, nil
	case *object:
		if x.kind != "Resources" {
			return r, fmt.Errorf("want Resources, got %s", x.kind)
		}
		fields = x.fields
		scopes = []*object{x, task}
	case *starlark.Dict:
		fields = map[string]starlark.Value{}
		for _, kv := range x.Items() {
			if k, ok := kv[0].(starlark.String); ok {
				fields[string(k)] = kv[1]
			}
		}
	default:
		return r, fmt.Errorf("want Resources, got %s", x.Type())
	}
	var err error
	if v, ok := fields["cpu"]; ok {
		if r.cpu, err = taskFloat(v, scopes); err != nil {
			return r, fmt.Errorf("cpu: %w", err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *int64
		size bool
	}{{"ram", &r.ram, true}, {"disk", &r.disk, true}, {"gpu", &r.gpu, false}} {
		if v, ok := fields[f.name]; ok {
			if *f.dst, err = taskInt(v, scopes, f.size); err != nil {
				return r, fmt.Errorf("%s: %w", f.name, err)
			}
		}
	}
	return r, nil
}

func (r resourceTotals) sum(o resourceTotals) resourceTotals {
	return resourceTotals{cpu: r.cpu + o.cpu, ram: addSaturating(r.ram, o.ram), disk: addSaturating(r.disk, o.disk), gpu: addSaturating(r.gpu, o.gpu)}
}

func (r resourceTotals) max(o resourceTotals) resourceTotals {
	return resourceTotals{cpu: math.Max(r.cpu, o.cpu), ram: max(r.ram, o.ram), disk: max(r.disk, o.disk), gpu: max(r.gpu, o.gpu)}
}

// addSaturating is a + b, held at the int64 bounds rather than wrapping (the
// result fails validation's bounds either way).
func addSaturating(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}

// errMergeNotANumber says what a merged field must be.
var errMergeNotANumber = errors.New("must be a number by the time tasks are combined")

// taskText is v's text with its templates filled from the .bind() values
// of scopes (innermost first); ok is false when v is no text.
func taskText(v starlark.Value, scopes []*object) (string, bool, error) {
	s, ok := v.(starlark.String)
	if !ok {
		return "", false, nil
	}
	text := string(s)
	if !strings.Contains(text, "{{") {
		return strings.TrimSpace(text), true, nil
	}
	binds := make([]*node, 0, len(scopes))
	for _, o := range scopes {
		if len(o.bkeys) == 0 {
			continue
		}
		n := newMap("")
		for _, k := range o.bkeys {
			c, err := starlarkToNode(o.binds[k], 1)
			if err != nil {
				return "", true, err
			}
			n.set(k, c)
		}
		binds = append(binds, n)
	}
	out, err := substituteRefs(text, func(ref string) (string, bool, error) {
		for _, n := range binds {
			if v, ok, err := lookupNode(n, ref); ok || err != nil {
				return v, ok, err
			}
		}
		return "", false, nil
	})
	if err != nil {
		return "", true, fmt.Errorf("%w (%v; only .bind() values of the task or its Resources are known then)", errMergeNotANumber, err)
	}
	if strings.Contains(out, "{{") {
		return "", true, fmt.Errorf("%w, got %s", errMergeNotANumber, shorten(s.String()))
	}
	return strings.TrimSpace(out), true, nil
}

// taskFloat reads a number: an int, a float or text that is one.
func taskFloat(v starlark.Value, scopes []*object) (float64, error) {
	switch x := v.(type) {
	case starlark.NoneType:
		return 0, nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok {
			return 0, fmt.Errorf("integer %s is too large", shorten(x.String()))
		}
		return float64(i), nil
	case starlark.Float:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return 0, fmt.Errorf("must be a finite number, got %v", float64(x))
		}
		return float64(x), nil
	}
	s, isText, err := taskText(v, scopes)
	if err != nil {
		return 0, err
	}
	if isText {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, nil
		}
		return 0, fmt.Errorf("expected a number, got %s", shorten(strconv.Quote(s)))
	}
	return 0, fmt.Errorf("expected a number, got %s", v.Type())
}

// taskInt reads an integer, or a size in bytes when size is set (text with
// a unit, '128MB').
func taskInt(v starlark.Value, scopes []*object, size bool) (int64, error) {
	switch x := v.(type) {
	case starlark.NoneType:
		return 0, nil
	case starlark.Int:
		i, ok := x.Int64()
		if !ok {
			return 0, fmt.Errorf("integer %s is too large", shorten(x.String()))
		}
		return i, nil
	case starlark.Float:
		if f := float64(x); f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return 0, fmt.Errorf("expected an integer, got %v", float64(x))
	}
	s, isText, err := taskText(v, scopes)
	if err != nil {
		return 0, err
	}
	if !isText {
		return 0, fmt.Errorf("expected an integer, got %s", v.Type())
	}
	if size {
		return ParseSize(s)
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expected an integer, got %s", shorten(strconv.Quote(s)))
	}
	return i, nil
}

// withTaskBinds gives each process object of a task the task's .bind() values,
// under its own (which win), so that its templates resolve as they did in
// the task. Other values are kept as they are.
func withTaskBinds(procs []starlark.Value, task *object) []starlark.Value {
	if len(task.bkeys) == 0 {
		return procs
	}
	out := make([]starlark.Value, len(procs))
	for i, p := range procs {
		o, ok := p.(*object)
		if !ok {
			out[i] = p
			continue
		}
		c := newObject(o.typ)
		for _, k := range o.keys {
			c.setField(k, o.fields[k])
		}
		for _, k := range task.bkeys {
			c.bind(k, task.binds[k])
		}
		for _, k := range o.bkeys {
			c.bind(k, o.binds[k])
		}
		out[i] = c
	}
	return out
}

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
