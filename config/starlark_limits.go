package config

import (
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
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

// shallowSize is about what making v allocated, not counting the values it
// holds.
func shallowSize(v starlark.Value) int64 {
	switch v := v.(type) {
	case starlark.String:
		return int64(len(v)) + 16
	case starlark.Bytes:
		return int64(len(v)) + 16
	case starlark.Int:
		return int64(intBits(v)/8) + 16
	case starlark.Tuple:
		return 16*int64(len(v)) + 24
	case *starlark.List:
		return 16*int64(v.Len()) + 48
	case *starlark.Dict:
		return 64*int64(v.Len()) + 64
	case *starlark.Set:
		return 48*int64(v.Len()) + 64
	case *object:
		return 64 * int64(len(v.keys)+len(v.bkeys)+1)
	}
	return 16
}

func intBits(i starlark.Int) int {
	if _, ok := i.Int64(); ok {
		return 64
	}
	return i.BigInt().BitLen()
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

// checkTuple refuses a tuple whose hash or comparison would visit too much
// or nest too deeply.
func (g *guard) checkTuple(what any, t starlark.Tuple) error {
	if len(t) > maxValueElems {
		return tooManyElems(what, "tuple", int64(len(t)))
	}
	info := g.tuple(t)
	switch {
	case info.depth > maxNesting:
		return fmt.Errorf("%s makes a tuple nested more than %d levels deep", what, maxNesting)
	case info.cost > maxWalk:
		return fmt.Errorf("%s makes a tuple of over %d elements, nested ones counted each time they are reached", what, maxWalk)
	}
	return nil
}

// tuple measures t, remembering the answer: every tuple the file makes is
// measured when it is made, so measuring one is proportional to its length.
func (g *guard) tuple(t starlark.Tuple) tupleInfo {
	if len(t) == 0 {
		return tupleInfo{}
	}
	key := tupleKey{&t[0], len(t)}
	if info, ok := g.tuples[key]; ok {
		return info
	}
	info := tupleInfo{cost: len(t), depth: 1}
	for _, x := range t {
		if c, ok := x.(starlark.Tuple); ok {
			ci := g.tuple(c)
			info.cost = min(info.cost+ci.cost, maxWalk+1)
			info.depth = max(info.depth, ci.depth+1)
		}
	}
	g.tuples[key] = info
	return info
}

// visits counts, up to *left, the elements comparing, hashing or copying v
// visits; depth is how many levels down it still looks (comparisons stop at
// starlark.CompareLimit).
func (g *guard) visits(v starlark.Value, depth int, left *int) {
	*left--
	if *left < 0 || depth <= 0 {
		return
	}
	switch v := v.(type) {
	case starlark.String, starlark.Bytes, starlark.Int, starlark.Float, starlark.Bool, starlark.NoneType:
	case starlark.Tuple:
		*left -= g.tuple(v).cost
	case *starlark.List:
		for i := 0; i < v.Len() && *left >= 0; i++ {
			g.visits(v.Index(i), depth-1, left)
		}
	case *starlark.Dict:
		for k, x := range v.Entries() {
			g.visits(k, depth-1, left)
			g.visits(x, depth-1, left)
			if *left < 0 {
				return
			}
		}
	case *starlark.Set:
		for x := range v.Elements() {
			if g.visits(x, depth-1, left); *left < 0 {
				return
			}
		}
	default:
		// Aurora objects compare by identity and do not hash.
		if s, ok := v.(starlark.Sequence); ok { // range, string.elems(), ...
			*left -= s.Len()
		}
	}
}

// checkVisits refuses values whose comparison or hashing visits too much.
func (g *guard) checkVisits(what any, vs ...starlark.Value) error {
	left := maxWalk
	for _, v := range vs {
		if g.visits(v, starlark.CompareLimit+1, &left); left < 0 {
			return tooBigToVisit(what)
		}
	}
	return nil
}

// iterLen is the number of elements iterating v gives, counted up to just
// over maxValueElems; 0 for what is not iterable.
func iterLen(v starlark.Value) int64 {
	switch v := v.(type) {
	case starlark.Sequence:
		return int64(v.Len())
	case starlark.Iterable:
		it := v.Iterate()
		defer it.Done()
		var x starlark.Value
		n := int64(0)
		for n <= maxValueElems && it.Next(&x) {
			n++
		}
		return n
	}
	return 0
}

// reprSize estimates, up to a limit, the length of str(v) (or repr(v) when
// quoted).
type reprSize struct {
	left int64
	deep bool
	path []starlark.Value // lists, dicts and objects being measured, for cycles
}

func (r *reprSize) add(n int64) { r.left -= n }

func (r *reprSize) over() bool { return r.left < 0 || r.deep }

func (r *reprSize) measure(v starlark.Value, quoted bool, depth int) {
	if r.over() {
		return
	}
	if depth > maxNesting {
		r.deep = true
		return
	}
	switch v := v.(type) {
	case starlark.String:
		r.add(quotedLen(string(v), quoted))
	case starlark.Bytes:
		r.add(quotedLen(string(v), true) + 1)
	case starlark.Int:
		r.add(int64(intBits(v)/3 + 2))
	case starlark.Float, starlark.Bool, starlark.NoneType:
		r.add(32)
	case starlark.Tuple:
		r.add(3)
		for _, x := range v {
			r.add(2)
			r.measure(x, true, depth+1)
		}
	case *starlark.List:
		if r.cycle(v) {
			return
		}
		r.add(2)
		for i := 0; i < v.Len() && !r.over(); i++ {
			r.add(2)
			r.measure(v.Index(i), true, depth+1)
		}
		r.path = r.path[:len(r.path)-1]
	case *starlark.Dict:
		if r.cycle(v) {
			return
		}
		r.add(2)
		for k, x := range v.Entries() {
			r.add(4)
			r.measure(k, true, depth+1)
			r.measure(x, true, depth+1)
			if r.over() {
				break
			}
		}
		r.path = r.path[:len(r.path)-1]
	case *starlark.Set:
		r.add(7)
		for x := range v.Elements() {
			r.add(2)
			if r.measure(x, true, depth+1); r.over() {
				break
			}
		}
	case *object:
		if r.cycle(v) {
			r.add(int64(len(v.kind)) + 5) // Process(...)
			return
		}
		r.add(int64(len(v.kind)) + 2)
		for _, k := range v.keys {
			r.add(int64(len(k)) + 3)
			r.measure(v.fields[k], true, depth+1)
		}
		for _, k := range v.bkeys {
			r.add(int64(len(k)) + 8)
			r.measure(v.binds[k], true, depth+1)
		}
		r.path = r.path[:len(r.path)-1]
	default:
		// Functions, range(...), "...".elems(): a name, or their string.
		r.add(64)
		if s, ok := v.(starlark.Sequence); ok && v.Type() != "range" {
			r.add(4 * int64(s.Len()))
		}
	}
}

// cycle reports whether v is being measured already (str prints [...]),
// else pushes it.
func (r *reprSize) cycle(v starlark.Value) bool {
	for _, p := range r.path {
		if p == v {
			r.add(5)
			return true
		}
	}
	r.path = append(r.path, v)
	return false
}

// quotedLen is the length of s printed, quoted or not; escapes take up to
// four bytes.
func quotedLen(s string, quoted bool) int64 {
	if !quoted {
		return int64(len(s))
	}
	n := int64(len(s)) + 2
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			n += 3
		}
	}
	return n
}

// checkText refuses to print vs (str, print, %, format) when the text would
// be over maxValueBytes; times is how often each may be printed at most.
func checkText(what any, fixed, times int64, quoted bool, vs ...starlark.Value) error {
	largest := int64(0)
	for _, v := range vs {
		r := reprSize{left: maxValueBytes}
		r.measure(v, quoted, 0)
		if r.deep {
			return fmt.Errorf("%s: value nests more than %d levels deep", what, maxNesting)
		}
		if r.left < 0 {
			return fmt.Errorf("%s makes a string of over %d bytes, the limit (16 MiB) per value", what, maxValueBytes)
		}
		largest = max(largest, maxValueBytes-r.left)
		fixed += maxValueBytes - r.left
	}
	if times > 0 && largest > 0 && times > (maxValueBytes-fixed)/largest {
		return fmt.Errorf("%s makes a string of over %d bytes, the limit (16 MiB) per value", what, maxValueBytes)
	}
	if fixed > maxValueBytes {
		return fmt.Errorf("%s makes a string of over %d bytes, the limit (16 MiB) per value", what, maxValueBytes)
	}
	return nil
}

// --- operators ---

// checkBinary refuses x op y when its result would be too large or
// computing it would visit too much.
func (g *guard) checkBinary(op syntax.Token, x, y starlark.Value) error {
	what := opName{x, op, y}
	switch op {
	case syntax.EQL, syntax.NEQ, syntax.LT, syntax.GT, syntax.LE, syntax.GE:
		return g.checkVisits(what, x, y)
	case syntax.IN, syntax.NOT_IN:
		switch y.(type) {
		case *starlark.List, starlark.Tuple:
			return g.checkVisits(what, x, y)
		}
		return g.checkVisits(what, x) // a hash, or nothing to visit
	case syntax.PLUS, syntax.PIPE:
		return checkSum(what, x, y, iterLen(y))
	case syntax.STAR:
		if _, ok := x.(starlark.Int); ok {
			x, y = y, x
		}
		n, ok := y.(starlark.Int)
		if !ok {
			return nil
		}
		if xi, ok := x.(starlark.Int); ok {
			if bits := intBits(xi) + intBits(n); bits > maxIntBits {
				return tooManyBits(what, bits)
			}
			return nil
		}
		times, ok := n.Int64()
		if !ok || times <= 0 {
			return nil // Starlark's own error, or an empty result
		}
		switch x := x.(type) {
		case starlark.String:
			return checkTimes(what, "string", int64(len(x)), times, maxValueBytes)
		case starlark.Bytes:
			return checkTimes(what, "bytes value", int64(len(x)), times, maxValueBytes)
		case *starlark.List:
			return checkTimes(what, "list", int64(x.Len()), times, maxValueElems)
		case starlark.Tuple:
			if err := checkTimes(what, "tuple", int64(len(x)), times, maxValueElems); err != nil {
				return err
			}
			if c := int64(g.tuple(x).cost); c > 0 && times > maxWalk/c {
				return fmt.Errorf("%s makes a tuple of over %d elements, nested ones counted each time they are reached", what, maxWalk)
			}
		}
	case syntax.PERCENT:
		if f, ok := x.(starlark.String); ok {
			// Each % directive prints at most one of the arguments.
			args := []starlark.Value{y}
			switch y := y.(type) {
			case starlark.Tuple:
				args = y
			case *starlark.Dict:
				args = args[:0]
				for _, v := range y.Entries() {
					args = append(args, v)
				}
			}
			return checkText(what, int64(len(f)), int64(strings.Count(string(f), "%")), true, args...)
		}
	case syntax.LTLT:
		if xi, ok := x.(starlark.Int); ok {
			if n, ok := y.(starlark.Int); ok {
				if s, ok := n.Int64(); ok && s > 0 && int64(intBits(xi))+s > maxIntBits {
					return tooManyBits(what, intBits(xi)+int(min(s, maxIntBits)))
				}
			}
		}
	}
	return nil
}

// opName names an operation in messages (string * int), made only when a
// message is.
type opName struct {
	x  starlark.Value
	op syntax.Token
	y  starlark.Value
}

func (o opName) String() string {
	return fmt.Sprintf("%s %s %s", o.x.Type(), o.op, o.y.Type())
}

// checkSum refuses x + y (or x | y, list += iterable) over the limits; n is
// the number of elements of y.
func checkSum(what any, x, y starlark.Value, n int64) error {
	switch x := x.(type) {
	case starlark.String:
		if y, ok := y.(starlark.String); ok && len(x)+len(y) > maxValueBytes {
			return tooManyBytes(what, "string", int64(len(x)+len(y)))
		}
	case starlark.Bytes:
		if y, ok := y.(starlark.Bytes); ok && len(x)+len(y) > maxValueBytes {
			return tooManyBytes(what, "bytes value", int64(len(x)+len(y)))
		}
	case starlark.Int:
		if y, ok := y.(starlark.Int); ok && max(intBits(x), intBits(y))+1 > maxIntBits {
			return tooManyBits(what, max(intBits(x), intBits(y))+1)
		}
	case *starlark.List, starlark.Tuple, *starlark.Dict, *starlark.Set:
		if total := int64(x.(starlark.Sequence).Len()) + n; total > maxValueElems {
			return tooManyElems(what, x.Type(), total)
		}
	}
	return nil
}

// checkTimes refuses a repetition of size elements times times over limit.
func checkTimes(what any, kind string, size, times, limit int64) error {
	if size > 0 && times > limit/size {
		if limit == maxValueBytes {
			return tooManyBytes(what, kind, mulSat(size, times))
		}
		return tooManyElems(what, kind, mulSat(size, times))
	}
	return nil
}

// mulSat is a*b, or the largest int64 when that overflows.
func mulSat(a, b int64) int64 {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	if !p.IsInt64() {
		return 1<<63 - 1
	}
	return p.Int64()
}

// augOps maps x op= y to x op y.
var augOps = map[syntax.Token]syntax.Token{
	syntax.PLUS_EQ: syntax.PLUS, syntax.MINUS_EQ: syntax.MINUS, syntax.STAR_EQ: syntax.STAR,
	syntax.SLASH_EQ: syntax.SLASH, syntax.SLASHSLASH_EQ: syntax.SLASHSLASH, syntax.PERCENT_EQ: syntax.PERCENT,
	syntax.AMP_EQ: syntax.AMP, syntax.PIPE_EQ: syntax.PIPE, syntax.CIRCUMFLEX_EQ: syntax.CIRCUMFLEX,
	syntax.LTLT_EQ: syntax.LTLT, syntax.GTGT_EQ: syntax.GTGT,
}

func (g *guard) binopBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	op, x, y := guardOp(args[0]), args[1], args[2]
	if err := g.checkBinary(op, x, y); err != nil {
		return nil, err
	}
	switch op {
	case syntax.EQL, syntax.NEQ, syntax.LT, syntax.GT, syntax.LE, syntax.GE:
		ok, err := starlark.Compare(op, x, y)
		return starlark.Bool(ok), err
	}
	z, err := starlark.Binary(op, x, y)
	if err != nil {
		return nil, err
	}
	switch op {
	case syntax.IN, syntax.NOT_IN:
		return z, nil
	}
	return z, g.newValue(opName{x, op, y}, z)
}

// augBuiltin checks x op= y before it runs: the result of x + y, or x
// extended by y (list += iterable, dict |= dict, in place).
func (g *guard) augBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	aug, x, y := guardOp(args[0]), args[1], args[2]
	op := augOps[aug]
	what := opName{x, aug, y}
	var err error
	_, xdict := x.(*starlark.Dict)
	_, ydict := y.(*starlark.Dict)
	switch l, xlist := x.(*starlark.List); {
	case xlist && op == syntax.PLUS: // extends x in place
		n := iterLen(y)
		if err = checkSum(what, l, y, n); err == nil {
			err = g.charge(16 * n)
		}
	case xdict && ydict && op == syntax.PIPE: // updates x in place
		if err = g.checkBinary(op, x, y); err == nil {
			err = g.charge(shallowSize(y))
		}
	default: // makes a new value
		if err = g.checkBinary(op, x, y); err == nil {
			err = g.charge(resultSize(op, x, y))
		}
	}
	return y, err
}

// resultSize estimates the size of x op y, once checkBinary passed it.
func resultSize(op syntax.Token, x, y starlark.Value) int64 {
	if op == syntax.STAR {
		if _, ok := x.(starlark.Int); ok {
			x, y = y, x
		}
		if n, ok := y.(starlark.Int); ok {
			if times, ok := n.Int64(); ok && times > 0 {
				if _, ok := x.(starlark.Int); !ok {
					return shallowSize(x) * times
				}
			}
		}
	}
	return shallowSize(x) + shallowSize(y)
}

func guardOp(v starlark.Value) syntax.Token {
	i, _ := starlark.AsInt32(v)
	return syntax.Token(i)
}

// setItemBuiltin checks x[k] = v, which may add an entry to a dict; its
// arguments are (x, k, v).
func (g *guard) setItemBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	if d, ok := args[0].(*starlark.Dict); ok {
		if _, found, err := d.Get(args[1]); found || err != nil {
			return args[2], nil // a new value for a key, or the store's own error
		}
		if d.Len() >= maxValueElems {
			return nil, tooManyElems("dict[key] = value", "dict", int64(d.Len())+1)
		}
		if err := g.charge(64); err != nil {
			return nil, err
		}
	}
	return args[2], nil
}

// attrBuiltin is x.name; a method of a built-in type comes back checked.
func (g *guard) attrBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	x := args[0]
	name, _ := starlark.AsString(args[1])
	v, err := getAttr(x, name)
	if err != nil {
		return nil, err
	}
	return g.checkedMethod(v), nil
}

// getAttr is x.name as the interpreter does it.
func getAttr(x starlark.Value, name string) (starlark.Value, error) {
	ha, ok := x.(starlark.HasAttrs)
	if !ok {
		return nil, fmt.Errorf("%s has no .%s field or method", x.Type(), name)
	}
	v, err := ha.Attr(name)
	if err != nil {
		if nsa, ok := err.(starlark.NoSuchAttrError); ok {
			return nil, fmt.Errorf("%s", string(nsa))
		}
		return nil, err
	}
	if v == nil {
		msg := fmt.Sprintf("%s has no .%s field or method", x.Type(), name)
		if near := nearest(name, ha.AttrNames()); near != "" {
			msg += fmt.Sprintf(" (did you mean .%s?)", near)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return v, nil
}

// nearest is the name among names closest to name, if close enough to be a
// likely misspelling, as go.starlark.net's internal spell.Nearest decides:
// case and underscores aside, at most half the letters wrong.
func nearest(name string, names []string) string {
	fold := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }
	x := fold(name)
	best, bestDist := "", (len(x)+1)/2
	for _, n := range names {
		if d := editDistance(x, fold(n)); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (g *guard) tupleBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	t := append(starlark.Tuple(nil), args...)
	return t, g.newValue("tuple", t)
}

// newBuiltin checks and charges a value just made: a slice, a comprehension,
// a function's *args or **kwargs.
func (g *guard) newBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	what := "slice"
	switch args[0].(type) {
	case *starlark.List, *starlark.Dict, *starlark.Set:
		what = "comprehension"
	}
	if len(args) > 1 {
		what, _ = starlark.AsString(args[1])
	}
	return args[0], g.newValue(what, args[0])
}

// iterBuiltin checks what a comprehension or a call's *args iterates.
func (g *guard) iterBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	if n := iterLen(args[0]); n > maxValueElems {
		return nil, fmt.Errorf("%s of %d elements is over the limit of %d elements per value", args[0].Type(), n, maxValueElems)
	}
	return args[0], nil
}

func afterBuiltin(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	return args[1], nil
}

// --- built-in functions and methods ---

// builtinRule checks a call of a built-in before it runs; makes tells
// whether its result is a new value, to be checked and charged.
type builtinRule struct {
	check func(g *guard, name string, recv starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) error
	makes bool
}

// universeRules are the checked built-in functions.
var universeRules = map[string]builtinRule{
	"str":       {check: checkStr, makes: true},
	"repr":      {check: checkRepr, makes: true},
	"print":     {check: checkPrint},
	"fail":      {check: checkPrint},
	"list":      {check: checkIterables, makes: true},
	"tuple":     {check: checkIterables, makes: true},
	"reversed":  {check: checkIterables, makes: true},
	"enumerate": {check: checkIterables, makes: true},
	"zip":       {check: checkIterables, makes: true},
	"bytes":     {check: checkIterables, makes: true},
	"any":       {check: checkIterables},
	"all":       {check: checkIterables},
	"sorted":    {check: checkCompared, makes: true},
	"set":       {check: checkCompared, makes: true},
	"dict":      {check: checkCompared, makes: true},
	"max":       {check: checkCompared},
	"min":       {check: checkCompared},
	"int":       {check: checkInt, makes: true},
	"getattr":   {},
}

// methodRules are the checked methods, by receiver type and name.
var methodRules = map[string]map[string]builtinRule{
	"string": {
		"format":     {check: checkFormat, makes: true},
		"join":       {check: checkJoin, makes: true},
		"replace":    {check: checkReplace, makes: true},
		"split":      {check: checkSplit, makes: true},
		"rsplit":     {check: checkSplit, makes: true},
		"splitlines": {check: checkSplit, makes: true},
		"capitalize": {makes: true},
		"lower":      {makes: true},
		"upper":      {makes: true},
		"title":      {makes: true},
	},
	"list": {
		"append": {check: checkGrowBy(1)},
		"insert": {check: checkGrowBy(1)},
		"extend": {check: checkGrow},
		"index":  {check: checkVisitsAll},
		"remove": {check: checkVisitsAll},
	},
	"dict": {
		"items":      {makes: true},
		"keys":       {makes: true},
		"values":     {makes: true},
		"update":     {check: checkGrow},
		"setdefault": {check: checkGrowBy(1)},
		"popitem":    {makes: true}, // a new (key, value) tuple
	},
	"set": {
		"add":                  {check: checkGrowBy(1)},
		"update":               {check: checkGrow},
		"union":                {check: checkGrow, makes: true},
		"intersection":         {check: checkGrow, makes: true},
		"difference":           {check: checkGrow, makes: true},
		"symmetric_difference": {check: checkGrow, makes: true},
		"issubset":             {check: checkCompared},
		"issuperset":           {check: checkCompared},
	},
}

// checked wraps the built-in b (a function or a bound method) with rule.
func (g *guard) checked(b *starlark.Builtin, rule builtinRule) *starlark.Builtin {
	name := b.Name()
	w := starlark.NewBuiltin(name, func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if rule.check != nil {
			if err := rule.check(g, name, b.Receiver(), args, kwargs); err != nil {
				return nil, err
			}
		}
		kwargs = g.checkedKeys(name, kwargs)
		v, err := b.CallInternal(thread, args, kwargs)
		if err != nil {
			return nil, err
		}
		if rule.makes {
			err = g.newValue(name, v)
		}
		return g.checkedMethod(v), err // getattr(x, 'join')
	})
	if r := b.Receiver(); r != nil {
		w = w.BindReceiver(r)
	}
	return w
}

// checkedKeys wraps the key= function of sorted, max or min so that the keys
// it returns, which are compared, are checked as the values are.
func (g *guard) checkedKeys(name string, kwargs []starlark.Tuple) []starlark.Tuple {
	if name != "sorted" && name != "max" && name != "min" {
		return kwargs
	}
	for i, kv := range kwargs {
		fn, ok := kv[1].(starlark.Callable)
		if kv[0] != starlark.String("key") || !ok {
			continue
		}
		left := maxWalk
		key := starlark.NewBuiltin(fn.Name(), func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kw []starlark.Tuple) (starlark.Value, error) {
			v, err := starlark.Call(thread, fn, args, kw)
			if err != nil {
				return nil, err
			}
			if g.visits(v, starlark.CompareLimit+1, &left); left < 0 {
				return nil, tooBigToVisit(name)
			}
			return v, nil
		})
		kwargs = append([]starlark.Tuple(nil), kwargs...)
		kwargs[i] = starlark.Tuple{kv[0], key}
	}
	return kwargs
}

// checkedMethod wraps v when it is a method of a built-in type with a rule.
func (g *guard) checkedMethod(v starlark.Value) starlark.Value {
	b, ok := v.(*starlark.Builtin)
	if !ok || b.Receiver() == nil {
		return v
	}
	if rule, ok := methodRules[b.Receiver().Type()][b.Name()]; ok {
		return g.checked(b, rule)
	}
	return v
}

func checkStr(_ *guard, name string, _ starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
	if len(args) == 1 {
		if _, ok := args[0].(starlark.String); !ok {
			return checkText(name, 0, 0, false, args[0])
		}
	}
	return nil
}

func checkRepr(_ *guard, name string, _ starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
	return checkText(name, 0, 0, true, args...)
}

func checkPrint(_ *guard, name string, _ starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) error {
	seps := int64(len(args))
	for _, kv := range kwargs {
		if sep, ok := kv[1].(starlark.String); ok && kv[0] == starlark.String("sep") {
			// The separator is printed between every two arguments.
			if err := checkTimes(name, "string", int64(len(sep)), seps, maxValueBytes); err != nil {
				return err
			}
			seps *= int64(len(sep))
		}
	}
	return checkText(name, seps, 0, false, args...)
}

// checkIterables checks the arguments of a built-in that iterates or copies
// them.
func checkIterables(_ *guard, name string, _ starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
	for _, a := range args {
		if _, ok := a.(starlark.Iterable); ok {
			if n := iterLen(a); n > maxValueElems {
				return tooLong(name, n)
			}
		}
	}
	return nil // what they make is checked once made
}

// checkCompared checks the arguments of a built-in that also compares or
// hashes their elements.
func checkCompared(g *guard, name string, recv starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) error {
	if err := checkIterables(g, name, recv, args, kwargs); err != nil {
		return err
	}
	vs := append([]starlark.Value(nil), args...)
	for _, kv := range kwargs {
		vs = append(vs, kv[1])
	}
	if recv != nil {
		vs = append(vs, recv)
	}
	return g.checkVisits(name, vs...)
}

// checkGrowBy checks a method that adds n elements to its receiver.
func checkGrowBy(n int64) func(*guard, string, starlark.Value, starlark.Tuple, []starlark.Tuple) error {
	return func(g *guard, name string, recv starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
		if err := checkSum(name, recv, nil, n); err != nil {
			return err
		}
		if _, ok := recv.(*starlark.List); !ok {
			if err := g.checkVisits(name, args...); err != nil { // hashed
				return err
			}
		}
		return g.charge(n * 64)
	}
}

// checkGrow checks a method that adds the elements of its arguments to its
// receiver, or makes a new set of them.
func checkGrow(g *guard, name string, recv starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) error {
	n := int64(len(kwargs))
	for _, a := range args {
		n += iterLen(a)
	}
	if err := checkSum(name, recv, nil, n); err != nil {
		return err
	}
	check := checkCompared // sets and dicts hash what they take
	if _, ok := recv.(*starlark.List); ok {
		check = checkIterables
	}
	if err := check(g, name, nil, args, kwargs); err != nil {
		return err
	}
	return g.charge(n * 64)
}

func checkVisitsAll(g *guard, name string, recv starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
	return g.checkVisits(name, append([]starlark.Value{recv}, args...)...)
}

func checkInt(_ *guard, name string, _ starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
	// Parsing a huge number of digits takes long; the result is refused anyway.
	if len(args) > 0 {
		if s, ok := args[0].(starlark.String); ok && len(s) > maxIntBits/3+64 {
			return fmt.Errorf("%s: string of %d bytes is too long for an integer of at most %d bits", name, len(s), maxIntBits)
		}
	}
	return nil
}

func checkFormat(_ *guard, name string, recv starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) error {
	f, _ := starlark.AsString(recv)
	vs := append([]starlark.Value(nil), args...)
	for _, kv := range kwargs {
		vs = append(vs, kv[1])
	}
	// Each {} prints at most one of the arguments.
	return checkText(name, int64(len(f)), int64(strings.Count(f, "{")), false, vs...)
}

func checkJoin(_ *guard, name string, recv starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
	if len(args) != 1 {
		return nil // join's own error
	}
	n := iterLen(args[0])
	if n > maxValueElems {
		return tooLong(name, n)
	}
	sep, _ := starlark.AsString(recv)
	size := int64(len(sep)) * n
	if it, ok := args[0].(starlark.Iterable); ok {
		iter := it.Iterate()
		defer iter.Done()
		var x starlark.Value
		for size <= maxValueBytes && iter.Next(&x) {
			if s, ok := x.(starlark.String); ok {
				size += int64(len(s))
			}
		}
	}
	if size > maxValueBytes {
		return tooManyBytes(name, "string", size)
	}
	return nil
}

func checkReplace(_ *guard, name string, recv starlark.Value, args starlark.Tuple, _ []starlark.Tuple) error {
	if len(args) < 2 {
		return nil
	}
	s, _ := starlark.AsString(recv)
	old, ok1 := starlark.AsString(args[0])
	repl, ok2 := starlark.AsString(args[1])
	if !ok1 || !ok2 || len(repl) <= len(old) {
		return nil
	}
	n := int64(strings.Count(s, old))
	if len(args) > 2 {
		if c, err := starlark.AsInt32(args[2]); err == nil && c >= 0 {
			n = min(n, int64(c))
		}
	}
	if size := int64(len(s)) + n*int64(len(repl)-len(old)); size > maxValueBytes {
		return tooManyBytes(name, "string", size)
	}
	return nil
}

func checkSplit(_ *guard, name string, recv starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) error {
	s, _ := starlark.AsString(recv)
	var n int64
	switch {
	case name == "splitlines":
		n = int64(strings.Count(s, "\n") + strings.Count(s, "\r") + 1)
	case len(args) > 0 && args[0] != starlark.None:
		if sep, ok := starlark.AsString(args[0]); ok && sep != "" {
			n = int64(strings.Count(s, sep) + 1)
		}
	default:
		n = int64(utf8.RuneCountInString(s)/2 + 1) // words of one character at most
	}
	if n > maxValueElems {
		return tooManyElems(name, "list", n)
	}
	return nil
}

// --- the file's predeclared names ---

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
