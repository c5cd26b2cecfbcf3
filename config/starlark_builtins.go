package config

// The checked built-in functions and methods: the rules that say which are
// wrapped, the wrappers, and the checks run before each call.

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

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
