package config

// Checking and converting a value given to a Struct field or a Pystachio
// type, as Pystachio does (python_struct.go tells how).

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// pyCoercer checks and converts values to Pystachio types.
type pyCoercer struct {
	thread *starlark.Thread
	pos    syntax.Position // where Struct objects it makes from dicts are made
	left   int             // elements it may still visit
}

func pyArticle(name string) string {
	if name != "" && strings.ContainsRune("AEIOU", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// pyHasRef reports whether s holds a {{reference}}.
func pyHasRef(s string) bool { return templateRE.MatchString(s) }

func (c *pyCoercer) coerce(t pyType, v starlark.Value, path string) (starlark.Value, error) {
	if c.left--; c.left < 0 {
		return nil, fmt.Errorf("%s: value too large to check (over %d elements, nested ones counted each time they are reached)", path, maxWalk)
	}
	bad := func() error {
		return fmt.Errorf("%s: %s is not %s", path, pyShortRepr(v), pyArticle(t.typeName()))
	}
	switch t := t.(type) {
	case *pySimple:
		out, ok := pyCoerceSimple(t.name, v)
		if !ok {
			return nil, bad()
		}
		return out, nil
	case *pyList:
		seq, ok := v.(starlark.Indexable)
		if _, isStr := v.(starlark.String); !ok || isStr {
			return nil, bad()
		}
		out := make([]starlark.Value, seq.Len())
		for i := range out {
			e, err := c.coerce(t.elem, seq.Index(i), fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		l := starlark.NewList(out)
		return l, pyCharge(c.thread, path, l)
	case *pyMap:
		d, ok := v.(*starlark.Dict)
		if !ok {
			return nil, bad()
		}
		out := starlark.NewDict(d.Len())
		for _, kv := range d.Items() {
			k, err := c.coerce(t.key, kv[0], path+" key "+pyShortRepr(kv[0]))
			if err != nil {
				return nil, err
			}
			x, err := c.coerce(t.val, kv[1], fmt.Sprintf("%s[%s]", path, pyShortRepr(kv[0])))
			if err != nil {
				return nil, err
			}
			if err := out.SetKey(k, x); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
		}
		return out, pyCharge(c.thread, path, out)
	case *pyStructType:
		switch x := v.(type) {
		case *pyStruct:
			if x.typ.isA(t) {
				return x, nil
			}
		case *starlark.Dict:
			s := &pyStruct{typ: t, vals: map[string]starlark.Value{}, binds: map[string]starlark.Value{}, pos: c.pos}
			for _, f := range t.fields {
				if f.def != nil {
					s.vals[f.name] = f.def
				}
			}
			if err := s.update(c, starlark.Tuple{x}, nil); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return s, s.made(c.thread)
		}
		return nil, bad()
	}
	return nil, bad()
}

// pyCoerceSimple converts v to the simple type kind, as Pystachio does.
func pyCoerceSimple(kind string, v starlark.Value) (starlark.Value, bool) {
	if s, ok := v.(starlark.String); ok && kind != "String" && pyHasRef(string(s)) {
		return s, true // converted once filled
	}
	switch kind {
	case "String":
		switch x := v.(type) {
		case starlark.String:
			return x, true
		case starlark.Int:
			return starlark.String(x.String()), true
		case starlark.Float:
			return starlark.String(formatFloat(float64(x))), true
		case starlark.Bool:
			return starlark.String(pyBool(bool(x))), true
		}
	case "Integer":
		switch x := v.(type) {
		case starlark.Int:
			return x, true
		case starlark.Bool:
			return starlark.MakeInt(pyBoolInt(bool(x))), true
		case starlark.Float:
			f := float64(x)
			if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
				return starlark.MakeInt64(int64(f)), true
			}
		case starlark.String:
			if i, err := strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64); err == nil {
				return starlark.MakeInt64(i), true
			}
		}
	case "Float":
		switch x := v.(type) {
		case starlark.Int:
			return x.Float(), true
		case starlark.Float:
			return x, true
		case starlark.Bool:
			return starlark.Float(pyBoolInt(bool(x))), true
		case starlark.String:
			f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64)
			if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return starlark.Float(f), true
			}
		}
	case "Boolean":
		switch x := v.(type) {
		case starlark.Bool:
			return x, true
		case starlark.Int:
			return starlark.Bool(x.Sign() != 0), true
		case starlark.Float:
			return starlark.Bool(x != 0), true
		case starlark.String:
			switch strings.ToLower(strings.TrimSpace(string(x))) {
			case "true", "1":
				return starlark.True, true
			case "false", "0":
				return starlark.False, true
			}
		}
	}
	return nil, false
}

func pyBoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pyShortRepr is v's repr, shortened for a message.
func pyShortRepr(v starlark.Value) string {
	switch v := v.(type) {
	case starlark.String:
		return strconv.Quote(shorten(string(v)))
	case starlark.Int, starlark.Float, starlark.Bool, starlark.NoneType:
		return shorten(v.String())
	case *pyStruct:
		return v.typ.name + "(...)"
	}
	return pyArticle(v.Type())
}
