package config

// The limits on running an Aurora file, the guard that enforces them for one
// run, the errors that report them, and the predeclared names that install
// the guard.

import (
	"fmt"
	"time"

	"go.starlark.net/starlark"
)

// Bounds on running an Aurora file.
//
// go.starlark.net bounds the steps of a computation
// (Thread.SetMaxExecutionSteps), but neither its memory nor the work of one
// step: a single operator or call of a built-in can allocate gigabytes
// ("a" * (1 << 29), list(range(200000000))) or run for hours (hashing a
// tuple that holds another twice, sixty levels deep). Its operators cannot be
// intercepted from outside the interpreter, so the file's syntax tree is
// rewritten before it is compiled (guardSyntax): every operator, attribute
// read, tuple, slice and comprehension becomes a call of a guard built-in
// (__borealis_*) that checks the size of what is about to be made, and the
// built-in functions and methods that allocate or work in proportion to
// their arguments are replaced by wrappers that check first. A guard also
// charges what each step allocates to a budget for the whole file.
//
// With that, one step does a bounded amount of work and allocates a bounded
// amount of memory, so the step limit, a wall-clock limit (Thread.Cancel
// from a timer) and the budget bound the whole file. What remains unchecked
// grows by one element per step (appending in a comprehension, d[k] = v on
// an index that is not a plain expression), which the step limit bounds.
const (
	// maxValueBytes bounds one string or bytes value.
	maxValueBytes = 16 << 20
	// maxValueElems bounds the elements of one list, tuple, dict or set.
	maxValueElems = 1 << 20
	// maxAllocBytes bounds what a file allocates in all, as charged by the
	// guards.
	maxAllocBytes = 128 << 20
	// maxIntBits bounds an integer (the config itself takes only 64 bits).
	maxIntBits = 1 << 16
	// maxWalk bounds the elements a comparison, a hash or a copy visits,
	// nested ones included, counted as often as they are reached.
	maxWalk = 1 << 22
	// maxNesting bounds how deep values nest (tuples in tuples, lists
	// printed by str()).
	maxNesting = 100
	// maxSyntaxDepth bounds how deep the syntax tree nests: the resolver
	// and compiler recurse over it (1*1*...*1 two million times made a
	// 1 GB Go stack).
	maxSyntaxDepth = 1000
	// maxCallDepth bounds how deep Starlark calls nest (recursion).
	maxCallDepth = 1000
	// stepsPerCheck is how often (in steps) the depth of calls is checked.
	stepsPerCheck = 10_000
	// defaultTimeout bounds the wall-clock time of running a file.
	defaultTimeout = 5 * time.Second

	// guardPrefix starts the names of the guard built-ins; a file may not
	// use such names, so it cannot replace a guard.
	guardPrefix = "__borealis_"
	guardKey    = "borealis.config.guard" // thread local holding the *guard
)

// allocBudget is maxAllocBytes; tests lower it.
var allocBudget int64 = maxAllocBytes

// Names of the guard built-ins.
const (
	gBinop   = guardPrefix + "binop"   // (op, x, y): x op y
	gAug     = guardPrefix + "aug"     // (op, x, y): y, once x op= y is checked
	gSetItem = guardPrefix + "setitem" // (x, k, v): v, once x[k] = v is checked
	gAttr    = guardPrefix + "attr"    // (x, name): x.name
	gTuple   = guardPrefix + "tuple"   // (a, b, ...): (a, b, ...)
	gNew     = guardPrefix + "new"     // (v): v, a new value, charged
	gIter    = guardPrefix + "iter"    // (v): v, an iterable of bounded length
	gAfter   = guardPrefix + "after"   // (x, y): y
)

// guard is the state of the checks of one file's run.
type guard struct {
	maxSteps  uint64
	budget    int64 // allocBudget
	allocated int64
	// tuples memoizes tupleInfo by a tuple's first element and length.
	tuples map[tupleKey]tupleInfo
}

type tupleKey struct {
	first *starlark.Value
	n     int
}

// tupleInfo is what hashing or comparing a tuple visits: cost elements,
// nested depth levels deep.
type tupleInfo struct {
	cost, depth int
}

func newGuard(maxSteps uint64) *guard {
	return &guard{maxSteps: maxSteps, budget: allocBudget, tuples: map[tupleKey]tupleInfo{}}
}

// threadGuard is the guard of the file thread runs, or nil.
func threadGuard(thread *starlark.Thread) *guard {
	g, _ := thread.Local(guardKey).(*guard)
	return g
}

// onSteps runs every stepsPerCheck steps: it stops the run at the step limit
// or when calls nest too deeply.
func (g *guard) onSteps(thread *starlark.Thread) {
	switch {
	case thread.Steps >= g.maxSteps:
		thread.Cancel(fmt.Sprintf("too many steps (the limit is %d)", g.maxSteps))
	case thread.CallStackDepth() > maxCallDepth:
		thread.Cancel(fmt.Sprintf("calls nest more than %d deep", maxCallDepth))
	default:
		thread.SetMaxExecutionSteps(min(thread.Steps+stepsPerCheck, g.maxSteps))
	}
}

// charge counts n bytes allocated against the file's budget.
func (g *guard) charge(n int64) error {
	g.allocated += n
	if g.allocated > g.budget {
		return fmt.Errorf("the file allocates over %d MiB in all, the limit for an Aurora file", g.budget>>20)
	}
	return nil
}

// newValue checks a value just made by what (string * int, list, ...) and
// charges it.
func (g *guard) newValue(what any, v starlark.Value) error {
	switch v := v.(type) {
	case starlark.String:
		if len(v) > maxValueBytes {
			return tooManyBytes(what, "string", int64(len(v)))
		}
	case starlark.Bytes:
		if len(v) > maxValueBytes {
			return tooManyBytes(what, "bytes value", int64(len(v)))
		}
	case starlark.Int:
		if n := intBits(v); n > maxIntBits {
			return tooManyBits(what, n)
		}
	case starlark.Tuple:
		if err := g.checkTuple(what, v); err != nil {
			return err
		}
	case *starlark.List:
		if v.Len() > maxValueElems {
			return tooManyElems(what, "list", int64(v.Len()))
		}
		// Tuples in it may be new (zip, enumerate, dict.items).
		for x := range v.Elements() {
			if t, ok := x.(starlark.Tuple); ok {
				if err := g.checkTuple(what, t); err != nil {
					return err
				}
			}
		}
	case *starlark.Dict:
		if v.Len() > maxValueElems {
			return tooManyElems(what, "dict", int64(v.Len()))
		}
	case *starlark.Set:
		if v.Len() > maxValueElems {
			return tooManyElems(what, "set", int64(v.Len()))
		}
	}
	return g.charge(shallowSize(v))
}

func tooManyBytes(what any, kind string, n int64) error {
	return fmt.Errorf("%s makes a %s of %d bytes, over the limit of %d bytes (16 MiB) per value", what, kind, n, maxValueBytes)
}

func tooManyElems(what any, kind string, n int64) error {
	return fmt.Errorf("%s makes a %s of %d elements, over the limit of %d elements per value", what, kind, n, maxValueElems)
}

func tooManyBits(what any, n int) error {
	return fmt.Errorf("%s makes an integer of %d bits, over the limit of %d bits", what, n, maxIntBits)
}

func tooLong(what any, n int64) error {
	return fmt.Errorf("%s: argument has %d elements, over the limit of %d elements per value", what, n, maxValueElems)
}

func tooBigToVisit(what any) error {
	return fmt.Errorf("%s: arguments too large to compare or hash (over %d elements, nested ones counted each time they are reached)", what, maxWalk)
}

// guardPredeclared adds the guard built-ins and the checked built-in
// functions to predeclared.
func (g *guard) guardPredeclared(predeclared starlark.StringDict) {
	predeclared[gBinop] = starlark.NewBuiltin(gBinop, g.binopBuiltin)
	predeclared[gAug] = starlark.NewBuiltin(gAug, g.augBuiltin)
	predeclared[gSetItem] = starlark.NewBuiltin(gSetItem, g.setItemBuiltin)
	predeclared[gAttr] = starlark.NewBuiltin(gAttr, g.attrBuiltin)
	predeclared[gTuple] = starlark.NewBuiltin(gTuple, g.tupleBuiltin)
	predeclared[gNew] = starlark.NewBuiltin(gNew, g.newBuiltin)
	predeclared[gIter] = starlark.NewBuiltin(gIter, g.iterBuiltin)
	predeclared[gAfter] = starlark.NewBuiltin(gAfter, afterBuiltin)
	for name, rule := range universeRules {
		if b, ok := starlark.Universe[name].(*starlark.Builtin); ok {
			predeclared[name] = g.checked(b, rule)
		}
	}
}

// chargeObject charges an Aurora object made by a constructor, a copy or
// .bind() to the file's budget.
func chargeObject(thread *starlark.Thread, o *object) error {
	if g := threadGuard(thread); g != nil {
		return g.newValue(o.kind, o)
	}
	return nil
}
