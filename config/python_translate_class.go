package config

// Struct class statements in Starlark (python_translate.go): a class and
// its body become one call of __pystachio_class (python_struct_class.go)
// with the fields as keyword arguments, on the class's lines.

import (
	"fmt"
	"strings"
)

// classStmt translates a class statement: lines are its header's logical
// line, then its body's.
func (tr *pyTranslator) classStmt(lines []pyLine) {
	toks := lines[0].toks
	kw := toks[0]
	if len(toks) < 2 || toks[1].kind != pyName {
		tr.errorf(kw, "invalid class statement: want class Name(Struct):")
		return
	}
	name := toks[1].text
	colon := -1
	for i, t := range toks {
		if t.depth == 0 && t.is(pyOp, ":") {
			colon = i
			break
		}
	}
	if colon < 0 {
		tr.errorf(kw, "invalid class statement: want class %s(Struct):", name)
		return
	}
	header := toks[2:colon]
	base := ""
	switch {
	case len(header) == 3 && header[0].is(pyOp, "(") && header[1].kind == pyName && header[2].is(pyOp, ")") && header[1].text != "object":
		base = header[1].text
	case len(header) == 0, len(header) == 2 && header[0].is(pyOp, "(") && header[1].is(pyOp, ")"), len(header) == 3 && header[1].is(pyName, "object"):
		tr.errorf(kw, "class %s: only Struct classes are supported: write class %s(Struct): (or a subclass of another Struct class)", name, name)
		return
	default:
		tr.errorf(kw, "class %s: a Struct class has one base, Struct or another Struct class: write class %s(Struct):", name, name)
		return
	}
	// The body: the rest of the header's line, or the lines indented under
	// it.
	var body [][]pyTok
	if inline := toks[colon+1:]; len(inline) > 0 {
		if len(lines) > 1 {
			tr.errorf(lines[1].toks[0], "class %s: unexpected indented line after a class on one line", name)
			return
		}
		body = pySplitStatements(inline)
	} else {
		for _, ln := range lines[1:] {
			body = append(body, pySplitStatements(ln.toks)...)
		}
	}
	var stmts [][]pyTok
	for _, st := range body {
		if len(st) > 0 {
			stmts = append(stmts, st)
		}
	}
	if len(stmts) == 0 {
		tr.errorf(kw, "class %s: expected an indented body (fields, a docstring or pass)", name)
		return
	}
	var edits []pyEdit
	// Separators between statements (;) become spaces, as the statements
	// become arguments of one call.
	for i, ln := range lines {
		from := 0
		if i == 0 {
			from = colon + 1
		}
		for _, t := range ln.toks[from:] {
			if t.depth == 0 && t.is(pyOp, ";") {
				edits = append(edits, pyEdit{start: t.start, end: t.end, text: " "})
			}
		}
	}
	seen := map[string]bool{}
	positions := []string{fmt.Sprintf("%d:%d", kw.line, kw.col)}
	ok := true
	for _, st := range stmts {
		first, last := st[0], st[len(st)-1]
		switch {
		case pyIsDocstring(st), len(st) == 1 && first.is(pyName, "pass"):
			edits = append(edits, pyEdit{start: first.start, end: last.end, text: pyBlank(tr.src[first.start:last.end])})
		case len(st) >= 3 && first.kind == pyName && st[1].is(pyOp, "=") && !pyIsKeyword(first.text) && !pyHasAssign(st[2:]):
			field := first.text
			if seen[field] {
				tr.errorf(first, "class %s: field %s is defined twice", name, field)
				ok = false
			}
			seen[field] = true
			positions = append(positions, fmt.Sprintf("%d:%d", first.line, first.col))
			var concat pyConcat
			for _, t := range st[2:] {
				if t.kind == pyStr {
					concat.add(tr, t)
				} else {
					concat.flush(tr)
				}
			}
			concat.flush(tr)
			edits = append(edits, pyEdit{start: last.end, end: last.end, text: ","})
		default:
			tr.errorf(first, "class %s: a Struct class body holds only fields (name = Default(Type, value), name = Required(Type) or name = Type), docstrings and pass", name)
			ok = false
		}
	}
	if !ok {
		return
	}
	end := stmts[len(stmts)-1]
	edits = append(edits, pyEdit{start: end[len(end)-1].end, end: end[len(end)-1].end, text: ")"})
	hstart, hend := kw.start, toks[colon].end
	code := fmt.Sprintf("%s = %s(%q, %s, %q, ", name, pyClassBuiltin, name, base, strings.Join(positions, " "))
	code += strings.Repeat("\n", pyCountLineBreaks(tr.src[hstart:hend]))
	edits = append(edits, pyEdit{start: hstart, end: hend, text: code})
	tr.edits = append(tr.edits, edits...)
}

// pyHasAssign reports whether toks have an = outside brackets.
func pyHasAssign(toks []pyTok) bool {
	for _, t := range toks {
		if t.depth == toks[0].depth && t.is(pyOp, "=") {
			return true
		}
	}
	return false
}

// pyIsDocstring reports whether a statement is only string literals.
func pyIsDocstring(st []pyTok) bool {
	for _, t := range st {
		if t.kind != pyStr {
			return false
		}
	}
	return true
}

// pyBlank is s with every character but line breaks made a space.
func pyBlank(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '\n' || r == '\r' {
			b.WriteRune(r)
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// pySplitStatements splits a logical line's tokens at its top-level ;s.
func pySplitStatements(toks []pyTok) [][]pyTok {
	var out [][]pyTok
	start := 0
	for i, t := range toks {
		if t.depth == 0 && t.is(pyOp, ";") {
			out = append(out, toks[start:i])
			start = i + 1
		}
	}
	return append(out, toks[start:])
}
