package config

// The guarded operators and the guard built-ins (__borealis_*) that the
// rewritten syntax tree (starlark_rewrite.go) calls.

import (
	"fmt"
	"math/big"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

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
