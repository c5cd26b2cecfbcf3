package config

// Struct objects in jobs. The loader's converter knows Aurora objects,
// lists and dicts; a Struct object bound into a job (.bind(profile =
// PROFILE)) is turned into a dict of its fields once the file has run,
// with the {{references}} in its text that name its own fields or binds
// (or those of the objects it is a field of) filled in, as Pystachio
// interpolates a Struct. References it does not know are left for the
// loader's templates, which fill them from the job.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// pyBudgetError is the file's allocation budget running out while filling
// in templates.
type pyBudgetError struct{ err error }

func (e pyBudgetError) Error() string { return e.err.Error() }

// pyScope is where a {{reference}} is looked up: an object's fields (and
// self), or its .bind() values.
type pyScope struct {
	s     *pyStruct
	binds map[string]starlark.Value
}

// scopes are the scopes of s's text, within outer.
func (s *pyStruct) scopes(outer []pyScope) []pyScope {
	out := make([]pyScope, 0, 2+len(outer))
	out = append(out, pyScope{s: s})
	if len(s.binds) > 0 {
		out = append(out, pyScope{binds: s.binds})
	}
	return append(out, outer...)
}

// pyInterp fills in references, within bounds.
type pyInterp struct {
	g    *guard // charged for the text made; nil in tests
	work int    // substitutions it may still make
}

// text fills the references in s that scopes know, leaving the others.
func (in *pyInterp) text(s string, scopes []pyScope, depth int) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	if depth >= maxTemplateDepth {
		return s, errors.New("templates nest too deeply (is there a loop?)")
	}
	var ferr error
	size := len(s)
	out := templateRE.ReplaceAllStringFunc(s, func(m string) string {
		if ferr != nil {
			return m
		}
		ref := strings.TrimSpace(m[2 : len(m)-2])
		if IsLaunchTimeRef(ref) {
			return m
		}
		parts, err := parseRef(ref)
		if err != nil {
			return m // the loader's templates report it
		}
		v, ok := pyLookupScopes(parts, scopes)
		if !ok {
			return m
		}
		txt, ok := pyScalarText(v)
		if !ok {
			return m
		}
		if in.work--; in.work < 0 {
			ferr = errors.New("templates expand too much (is there a loop?)")
			return m
		}
		r, err := in.text(txt, scopes, depth+1)
		if err != nil {
			ferr = err
			return m
		}
		if size += len(r) - len(m); size > maxValueBytes {
			ferr = errTemplateTooLarge
			return m
		}
		return r
	})
	if in.g != nil && out != s {
		if err := in.g.charge(int64(len(out))); err != nil {
			return s, pyBudgetError{err}
		}
	}
	return out, ferr
}

// pyScalarText is the text of a value a reference names, if it has one.
func pyScalarText(v starlark.Value) (string, bool) {
	switch v := v.(type) {
	case starlark.String:
		return string(v), true
	case starlark.Int:
		return v.String(), true
	case starlark.Float:
		return formatFloat(float64(v)), true
	case starlark.Bool:
		return pyBool(bool(v)), true
	}
	return "", false
}

// pyLookupScopes finds a reference in the first scope that has it.
func pyLookupScopes(parts []refPart, scopes []pyScope) (starlark.Value, bool) {
	first := parts[0]
	if first.index {
		return nil, false
	}
	for _, sc := range scopes {
		var root starlark.Value
		rest := parts[1:]
		switch {
		case sc.s != nil && first.name == "self":
			root = sc.s
		case sc.s != nil:
			v, ok := sc.s.vals[first.name]
			if !ok {
				continue
			}
			root = v
		default:
			v, ok := sc.binds[first.name]
			if !ok {
				continue
			}
			root = v
		}
		if v, ok := pyNavigate(root, rest); ok {
			return v, true
		}
	}
	return nil, false
}

// pyNavigate follows parts from v: fields of objects, keys of dicts, indexes
// of lists.
func pyNavigate(v starlark.Value, parts []refPart) (starlark.Value, bool) {
	for _, p := range parts {
		switch x := v.(type) {
		case *pyStruct:
			f, ok := x.vals[p.name]
			if !ok {
				return nil, false
			}
			v = f
		case *starlark.Dict:
			f, found, err := x.Get(starlark.String(p.name))
			if err != nil || !found {
				return nil, false
			}
			v = f
		case *starlark.List, starlark.Tuple:
			seq := x.(starlark.Indexable)
			i, err := strconv.Atoi(p.name)
			if err != nil || !p.index || i < 0 || i >= seq.Len() {
				return nil, false
			}
			v = seq.Index(i)
		default:
			return nil, false
		}
	}
	return v, true
}

// pyMaxLowerErrors bounds the problems lowering reports.
const pyMaxLowerErrors = 20

// pyLowerer turns the Struct objects reachable from the jobs into dicts.
type pyLowerer struct {
	g    *guard
	in   *pyInterp
	memo map[any]starlark.Value // values done (lists, dicts, tuples, objects)
	left int                    // values it may still visit
	errs []error
}

// pyLower returns v with every Struct object in it made a dict, or the
// problems found: a Required field not set, a template that does not end.
// It does nothing when the file made no Struct object.
func pyLower(thread *starlark.Thread, v starlark.Value) (starlark.Value, []error) {
	if thread.Local(pyStructsKey) == nil {
		return v, nil
	}
	g := threadGuard(thread)
	lw := &pyLowerer{g: g, in: &pyInterp{g: g, work: maxTemplateWork}, memo: map[any]starlark.Value{}, left: maxNodes}
	out := lw.value(v, 0)
	return out, lw.errs
}

func (lw *pyLowerer) fail(pos syntax.Position, format string, args ...any) {
	if len(lw.errs) >= pyMaxLowerErrors {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if pos.IsValid() {
		lw.errs = append(lw.errs, syntax.Error{Pos: pos, Msg: msg})
	} else {
		lw.errs = append(lw.errs, errors.New(msg))
	}
}

// pyMemoKey is the identity of a value that can be reached many times.
func pyMemoKey(v starlark.Value) (any, bool) {
	switch x := v.(type) {
	case *starlark.List, *starlark.Dict, *object, *pyStruct:
		return x, true
	case starlark.Tuple:
		if len(x) > 0 {
			return tupleKey{&x[0], len(x)}, true
		}
	}
	return nil, false
}

// value is v with the Struct objects in it made dicts; a value without
// any comes back as it is.
func (lw *pyLowerer) value(v starlark.Value, depth int) starlark.Value {
	key, ok := pyMemoKey(v)
	if !ok {
		return v
	}
	if done, ok := lw.memo[key]; ok {
		return done
	}
	if lw.left--; lw.left < 0 || depth > maxNesting {
		return v // the converter reports it
	}
	lw.memo[key] = v // while in progress: a list that holds itself
	out := v
	switch x := v.(type) {
	case *pyStruct:
		out = lw.strct(x, nil, depth)
	case *starlark.List:
		if elems, changed := lw.elems(x, depth); changed {
			out = starlark.NewList(elems)
		}
	case starlark.Tuple:
		if elems, changed := lw.elems(x, depth); changed {
			out = starlark.Tuple(elems)
		}
	case *starlark.Dict:
		items := x.Items()
		changed := false
		for _, kv := range items {
			if nv := lw.value(kv[1], depth+1); nv != kv[1] {
				kv[1], changed = nv, true
			}
		}
		if changed {
			d := starlark.NewDict(len(items))
			for _, kv := range items {
				_ = d.SetKey(kv[0], kv[1]) // the keys were keys already
			}
			out = d
		}
	case *object:
		var c *object
		for _, k := range x.keys {
			if nv := lw.value(x.fields[k], depth+1); nv != x.fields[k] {
				if c == nil {
					c = x.copy()
				}
				c.fields[k] = nv
			}
		}
		for _, k := range x.bkeys {
			if nv := lw.value(x.binds[k], depth+1); nv != x.binds[k] {
				if c == nil {
					c = x.copy()
				}
				c.binds[k] = nv
			}
		}
		if c != nil {
			out = c
		}
	}
	lw.memo[key] = out
	return out
}

func (lw *pyLowerer) elems(seq starlark.Indexable, depth int) ([]starlark.Value, bool) {
	elems := make([]starlark.Value, seq.Len())
	changed := false
	for i := range elems {
		e := seq.Index(i)
		elems[i] = lw.value(e, depth+1)
		changed = changed || elems[i] != e
	}
	return elems, changed
}

// strct is the dict of s's fields, within the scopes of the objects s is a
// field of.
func (lw *pyLowerer) strct(s *pyStruct, outer []pyScope, depth int) starlark.Value {
	if lw.left--; lw.left < 0 || depth > maxNesting {
		return s
	}
	scopes := s.scopes(outer)
	d := starlark.NewDict(len(s.typ.fields))
	for _, f := range s.typ.fields {
		v, ok := s.vals[f.name]
		if !ok {
			if f.required {
				lw.fail(s.pos, "%s.%s is required", s.typ.name, f.name)
			}
			continue
		}
		_ = d.SetKey(starlark.String(f.name), lw.field(s, v, f.typ, scopes, s.typ.name+"."+f.name, depth+1))
	}
	if lw.g != nil {
		if err := lw.g.newValue(s.typ.name, d); err != nil {
			lw.fail(s.pos, "%v", err)
		}
	}
	return d
}

// field is the value v of a field of type t of s, its text filled in and
// converted to t.
func (lw *pyLowerer) field(s *pyStruct, v starlark.Value, t pyType, scopes []pyScope, path string, depth int) starlark.Value {
	if lw.left--; lw.left < 0 || depth > maxNesting {
		return v
	}
	switch x := v.(type) {
	case starlark.String:
		out, err := lw.in.text(string(x), scopes, 0)
		if err != nil {
			lw.fail(s.pos, "%s: %v", path, err)
			return x
		}
		if st, ok := t.(*pySimple); ok && st != pyString && !pyHasRef(out) {
			c, ok := pyCoerceSimple(st.name, starlark.String(out))
			if !ok {
				lw.fail(s.pos, "%s: %s is not %s", path, pyShortRepr(starlark.String(out)), pyArticle(st.name))
				return x
			}
			return c
		}
		return starlark.String(out)
	case *starlark.List:
		var elem pyType
		if lt, ok := t.(*pyList); ok {
			elem = lt.elem
		}
		out := make([]starlark.Value, x.Len())
		for i := range out {
			out[i] = lw.field(s, x.Index(i), elem, scopes, fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
		return starlark.NewList(out)
	case *starlark.Dict:
		var kt, vt pyType
		if mt, ok := t.(*pyMap); ok {
			kt, vt = mt.key, mt.val
		}
		d := starlark.NewDict(x.Len())
		for _, kv := range x.Items() {
			k := lw.field(s, kv[0], kt, scopes, path+" key "+pyShortRepr(kv[0]), depth+1)
			if err := d.SetKey(k, lw.field(s, kv[1], vt, scopes, fmt.Sprintf("%s[%s]", path, pyShortRepr(kv[0])), depth+1)); err != nil {
				lw.fail(s.pos, "%s: %v", path, err)
			}
		}
		return d
	case *pyStruct:
		return lw.strct(x, scopes, depth+1)
	}
	return v
}
