package config

// Aurora's Python in Starlark: imports, Struct classes and generator
// expressions.
//
// Aurora files are Python; Starlark has neither import nor class, nor
// generator expressions. Before an Aurora file is parsed, pyTranslate
// rewrites those into Starlark, statements into calls of the Pystachio
// built-ins of python_builtins.go. Every other line is left as it is, and a
// rewritten statement takes exactly the lines it took, so every position
// in an error is a line of the user's file (only the columns of a
// rewritten line may move).
//
// Imports (a statement of their own, at any indentation, or after a ;):
//
//	import getpass                  getpass = __pystachio_getpass
//	import os, os.path as p         os = __pystachio_os; p = __pystachio_os_path
//	from os import path, environ    path = __pystachio_os.path; environ = __pystachio_os.environ
//	from os.path import (join,      (a blank line)
//	    basename)                   join = __pystachio_os_path.join; basename = ...
//	from __future__ import division pass
//
// The modules are getpass, os and os.path (python_modules.go lists what
// each has); any other module, a name a module does not have, import * and
// relative imports are errors naming the line. from __future__ imports of
// Python's features are accepted and do nothing: what they change (print
// as a function, true division, unicode strings) is how Starlark behaves.
//
// Classes (a statement starting a line; a Struct class's body holds only
// fields, docstrings and pass):
//
//	class Profile(Struct):          Profile = __pystachio_class("Profile", Struct, "1:1 3:3 4:3",
//	  """A profile."""
//	  cmd  = Required(String)         cmd  = Required(String),
//	  port = Default(Integer,         port = Default(Integer,
//	                 8080)   # c                     8080))   # c
//
// Anything else in a class body (def, a nested class, an expression), a
// class without exactly one base, or a field defined twice is an error
// naming its line.
//
// Generator expressions become list comprehensions: sum(x for x in xs)
// becomes sum([x for x in xs]) and (x for x in xs) [x for x in xs].
//
// Adjacent string literals, which Python concatenates, are joined:
// 'a' 'b' becomes ('a' + 'b').
//
// Names starting with __pystachio_ are reserved, and import and class
// anywhere but at the start of a statement are errors, and so is the
// Python Starlark cannot run (with, try, raise, global, del, ...), with a
// message naming the statement. The source is read once, as a stream of
// tokens; only the tokens of import and class statements are kept (at most
// 65536 of a statement), so translating costs little more than the file's
// size.
//
// The files: python_tokens.go reads the tokens, this file walks them and
// makes the edits, python_translate_import.go, python_translate_class.go
// and python_translate_generator.go translate imports, classes and
// generator expressions, and python_translate_unsupported.go refuses what
// Starlark cannot run.

import (
	"fmt"
	"sort"
	"strings"

	"go.starlark.net/syntax"
)

// pyPrefix starts the names of the built-ins translated statements call; a
// file may not use such names.
const pyPrefix = "__pystachio_"

// Names of the built-ins translated statements call.
const (
	pyClassBuiltin = pyPrefix + "class"
)

// pyMaxStmtTokens bounds the tokens of one import or class statement, the
// only ones the translator keeps: real ones have a few hundred.
const pyMaxStmtTokens = 1 << 16

// pyEdit replaces src[start:end] with text.
type pyEdit struct {
	start, end int
	text       string
}

// pyTranslator rewrites the imports and classes of one file.
type pyTranslator struct {
	name  string
	src   string
	edits []pyEdit
	errs  []syntax.Error
}

// pyTranslate rewrites a file's imports and Struct classes into Starlark,
// keeping its lines; see the comment at the top of this file.
func pyTranslate(name string, data []byte) ([]byte, []syntax.Error) {
	src := string(data)
	tr := &pyTranslator{name: name, src: src}
	tr.translate()
	if len(tr.errs) > 0 {
		return nil, tr.errs
	}
	if len(tr.edits) == 0 {
		return data, nil
	}
	out := tr.apply()
	if pyCountLineBreaks(out) != pyCountLineBreaks(src) {
		// Not expected: every edit keeps its line breaks.
		return nil, []syntax.Error{{Pos: tr.pos(1, 1), Msg: "internal error: translating the Python statements changed the line numbers"}}
	}
	return []byte(out), nil
}

func (tr *pyTranslator) pos(line, col int) syntax.Position {
	return syntax.MakePosition(&tr.name, int32(line), int32(col))
}

func (tr *pyTranslator) errorf(t pyTok, format string, args ...any) {
	if len(tr.errs) < MaxProblems {
		tr.errs = append(tr.errs, syntax.Error{Pos: tr.pos(t.line, t.col), Msg: fmt.Sprintf(format, args...)})
	}
}

// translate reads the source once. It keeps the tokens of import and
// class statements only; the rest it looks at as they come.
func (tr *pyTranslator) translate() {
	sc := newPyScanner(tr.src)
	var (
		stmtStart = true // the next token starts a statement
		lineFirst = true // the next token starts a logical line
		imp       []pyTok
		impIndent string
		cls       []pyLine // a class statement's lines: its header, then its body
		clsToks   int      // the tokens in cls
		// A statement kept that is too long is dropped, after one error.
		impTooLong, clsTooLong bool
		concat                 pyConcat
		gens                   pyGenerators
		unsupported            pyUnsupported
	)
	endImport := func() {
		if imp != nil && !impTooLong {
			tr.importStmt(impIndent, imp)
		}
		imp, impTooLong = nil, false
	}
	keep := func(t pyTok, n int, tooLong *bool) bool {
		if n >= pyMaxStmtTokens && !*tooLong {
			tr.errorf(t, "statement too long: over %d tokens", pyMaxStmtTokens)
			*tooLong = true
		}
		return !*tooLong
	}
	for {
		t, ok := sc.next()
		if !ok {
			break
		}
		if t.kind == pyName && strings.HasPrefix(t.text, pyPrefix) {
			tr.errorf(t, "names starting with %s are reserved", pyPrefix)
		}
		unsupported.token(tr, t)
		gens.token(tr, t)
		if cls != nil {
			if t.kind == pyEOL {
				continue
			}
			if !t.lineStart || t.indent > cls[0].indent {
				if keep(t, clsToks, &clsTooLong) {
					clsToks++
					if t.lineStart {
						cls = append(cls, pyLine{indent: t.indent, indentText: t.indentText})
					}
					cls[len(cls)-1].toks = append(cls[len(cls)-1].toks, t)
				}
				continue
			}
			// A line back at the class's indentation ends it.
			if !clsTooLong {
				tr.classStmt(cls)
			}
			cls, clsTooLong = nil, false
		}
		if t.kind == pyEOL {
			endImport()
			concat.flush(tr)
			stmtStart, lineFirst = true, true
			continue
		}
		if imp != nil {
			if t.depth == 0 && t.is(pyOp, ";") {
				endImport()
				stmtStart, lineFirst = true, false
			} else if keep(t, len(imp), &impTooLong) {
				imp = append(imp, t)
			}
			continue
		}
		if t.kind == pyStr {
			concat.add(tr, t)
		} else {
			concat.flush(tr)
		}
		if stmtStart {
			unsupported.statement(t)
		}
		switch {
		case stmtStart && (t.is(pyName, "import") || t.is(pyName, "from")):
			imp, impIndent = []pyTok{t}, sc.indentText
			stmtStart, lineFirst = false, false
			continue
		case stmtStart && t.is(pyName, "class") && lineFirst:
			cls, clsToks = []pyLine{{indent: t.indent, indentText: t.indentText, toks: []pyTok{t}}}, 1
			continue
		case stmtStart && t.is(pyName, "class"):
			tr.errorf(t, "a class statement must start a line")
		case t.depth == 0 && (t.is(pyName, "import") || t.is(pyName, "class")):
			// Starlark would say "got import".
			tr.errorf(t, "%s must start a statement (put it on a line of its own)", t.text)
		}
		stmtStart = t.depth == 0 && t.is(pyOp, ";")
		lineFirst = false
	}
	endImport()
	concat.flush(tr)
	if cls != nil && !clsTooLong {
		tr.classStmt(cls)
	}
}

// pyConcat joins a run of adjacent string literals, which Python
// concatenates and Starlark does not: 'a' 'b' becomes ('a' + 'b'). It keeps
// the run's text only, never its tokens.
type pyConcat struct {
	n          int
	start, end int
	b          strings.Builder
}

func (c *pyConcat) add(tr *pyTranslator, t pyTok) {
	switch c.n {
	case 0:
		c.start = t.start
	case 1:
		c.b.Reset()
		c.b.WriteString("(")
		c.b.WriteString(tr.src[c.start:c.end])
		fallthrough
	default:
		c.b.WriteString(" +")
		c.b.WriteString(tr.src[c.end:t.end])
	}
	c.n++
	c.end = t.end
}

func (c *pyConcat) flush(tr *pyTranslator) {
	if c.n >= 2 {
		c.b.WriteString(")")
		tr.edits = append(tr.edits, pyEdit{start: c.start, end: c.end, text: c.b.String()})
		c.b.Reset()
	}
	c.n = 0
}

// apply makes the edited source. Edits do not overlap; an insertion at
// the offset where a replacement starts goes before it.
func (tr *pyTranslator) apply() string {
	sort.SliceStable(tr.edits, func(i, j int) bool {
		a, b := tr.edits[i], tr.edits[j]
		return a.start < b.start || a.start == b.start && a.end == a.start && b.end > b.start
	})
	var b strings.Builder
	at := 0
	for _, e := range tr.edits {
		if e.start < at {
			continue // overlapping: not made by translate
		}
		b.WriteString(tr.src[at:e.start])
		b.WriteString(e.text)
		at = e.end
	}
	b.WriteString(tr.src[at:])
	return b.String()
}
