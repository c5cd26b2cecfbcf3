package config

import (
	"fmt"
	"reflect"

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
