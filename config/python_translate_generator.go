package config

// Generator expressions in Starlark (python_translate.go). Starlark has
// list comprehensions but no generator expressions, so a generator
// expression becomes the list comprehension that yields the same values:
//
//	sum(x for x in xs)              sum([x for x in xs])
//	jobs.extend(Job(name = c)       jobs.extend([Job(name = c)
//	    for c in clusters)              for c in clusters])
//	names = (n.upper() for n in ns) names = [n.upper() for n in ns]
//
// The brackets of a call whose one argument is a generator expression
// (a for at the brackets' top level, and no other argument) take a [ ]
// inside them; the brackets of a generator expression of their own become
// [ ]. A generator expression that is one of a call's arguments must be
// in brackets of its own, as in Python: f(x for x in xs, y) is an error
// naming its line. The words for in list and dict comprehensions, for
// statements, strings and comments are left alone. The lines do not
// change; the columns of a call's line move by one from its ( and by two
// from its ).

// pyMaxGeneratorDepth bounds how deep in brackets generator expressions
// are looked for: deeper code does not parse anyway (maxSyntaxDepth), and
// the translator keeps one pyBracket a level.
const pyMaxGeneratorDepth = maxSyntaxDepth

// pyBracket is a bracket open on the current logical line.
type pyBracket struct {
	open pyTok
	call bool  // a ( after a name, ) or ], ..., which calls it
	gen  pyTok // the first for at its top level; kind 0: none
	// inFor is set from the in after a for at its top level to the next
	// for: a comma there ends the generator expression, where a comma
	// between for and in separates its variables.
	inFor bool
	// comma is set by a , at its top level that is not one of a
	// generator expression's: before its first for, or after an in.
	comma bool
}

// pyGenerators finds the generator expressions of a source as its tokens
// come, keeping the brackets open (by depth) and the token before.
type pyGenerators struct {
	open    []pyBracket
	prev    pyTok
	hasPrev bool // prev is on the current logical line
}

// token looks at the next token of the source; it records the edits of a
// generator expression at its closing bracket.
func (g *pyGenerators) token(tr *pyTranslator, t pyTok) {
	if t.kind == pyEOL {
		g.open, g.hasPrev = g.open[:0], false
		return
	}
	switch {
	case t.kind == pyOp && (t.text == "(" || t.text == "[" || t.text == "{"):
		// The scanner's depth before an opening bracket is the number of
		// brackets open, which g.open holds up to its bound.
		if t.depth == len(g.open) && t.depth < pyMaxGeneratorDepth {
			g.open = append(g.open, pyBracket{open: t, call: t.text == "(" && g.hasPrev && pyIsCallee(g.prev)})
		}
	case t.kind == pyOp && (t.text == ")" || t.text == "]" || t.text == "}"):
		if d := t.depth - 1; d >= 0 && d < len(g.open) {
			b := g.open[d]
			g.open = g.open[:d]
			switch {
			case b.open.text != "(" || t.text != ")" || b.gen.kind == 0:
			case !b.comma:
				g.edit(tr, b, t)
			case b.call:
				// Starlark would say "got for, want ','".
				tr.errorf(b.gen, "a generator expression must be the only argument of a call, or be in brackets: f((x for x in xs), y)")
			}
		}
	case t.depth > 0 && t.depth <= len(g.open):
		b := &g.open[t.depth-1]
		switch {
		case t.is(pyName, "for"):
			if b.gen.kind == 0 {
				b.gen = t
			}
			b.inFor = false
		case t.is(pyName, "in") && b.gen.kind != 0:
			b.inFor = true
		case t.is(pyOp, ",") && (b.gen.kind == 0 || b.inFor):
			b.comma = true
		}
	}
	g.prev, g.hasPrev = t, true
}

// edit makes the generator expression in the brackets open ... close a
// list comprehension.
func (g *pyGenerators) edit(tr *pyTranslator, b pyBracket, close pyTok) {
	if b.call {
		tr.edits = append(tr.edits,
			pyEdit{start: b.open.end, end: b.open.end, text: "["},
			pyEdit{start: close.start, end: close.start, text: "]"})
		return
	}
	tr.edits = append(tr.edits,
		pyEdit{start: b.open.start, end: b.open.end, text: "["},
		pyEdit{start: close.start, end: close.end, text: "]"})
}

// pyIsCallee reports whether a ( after t calls what t ends: a name that is
// not a keyword, a closing bracket, or a literal.
func pyIsCallee(t pyTok) bool {
	switch t.kind {
	case pyName:
		return !pyIsKeyword(t.text)
	case pyStr, pyNum:
		return true
	case pyOp:
		return t.text == ")" || t.text == "]" || t.text == "}"
	}
	return false
}
