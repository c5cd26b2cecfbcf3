package config

// Measuring values: what one allocates, what comparing or hashing one
// visits, how many elements iterating one gives, and how long it prints.

import (
	"fmt"

	"go.starlark.net/starlark"
)

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
