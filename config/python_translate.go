package config

// Aurora's Python statements in Starlark: imports and Struct classes.
//
// Aurora files are Python; Starlark has neither import nor class. Before an
// Aurora file is parsed, pyTranslate rewrites those two statements into
// Starlark that calls the Pystachio built-ins of python_builtins.go. Every
// other line is left as it is, and a rewritten statement takes exactly the
// lines it took, so every position in an error is a line of the user's file
// (only the columns of a rewritten line may move).
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
// Adjacent string literals, which Python concatenates, are joined:
// 'a' 'b' becomes ('a' + 'b').
//
// Names starting with __pystachio_ are reserved, and import and class
// anywhere but at the start of a statement are errors. The source is read
// once, as a stream of tokens; only the tokens of import and class
// statements are kept (at most 65536 of a statement), so translating costs
// little more than the file's size.

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

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

// pyModuleVar is the predeclared name of a supported module's value.
func pyModuleVar(module string) string {
	return pyPrefix + strings.ReplaceAll(module, ".", "_")
}

// pythonFutures are Python's __future__ features.
var pythonFutures = map[string]bool{
	"nested_scopes": true, "generators": true, "division": true,
	"absolute_import": true, "with_statement": true, "print_function": true,
	"unicode_literals": true, "barry_as_FLUFL": true, "generator_stop": true,
	"annotations": true,
}

type pyTokKind uint8

const (
	pyName  pyTokKind = iota + 1 // identifier or keyword
	pyStr                        // string literal, prefix and quotes included
	pyNum                        // number literal
	pyOp                         // operator or bracket
	pyOther                      // any other character
	pyEOL                        // the end of a logical line
)

// pyTok is a token of a Python source.
type pyTok struct {
	kind       pyTokKind
	text       string
	start, end int // byte offsets
	line, col  int // of start, 1-based; col counts runes, as Starlark does
	depth      int // bracket depth before the token
	// lineStart is set on the first token of a logical line, with the
	// line's indentation: its width (tabs to 8) and its text.
	lineStart  bool
	indent     int
	indentText string
}

func (t pyTok) is(kind pyTokKind, text string) bool { return t.kind == kind && t.text == text }

// pyLine is a logical line's tokens (comments dropped) and indentation.
type pyLine struct {
	indent     int
	indentText string
	toks       []pyTok
}

// pyScanner reads the tokens of a Python (or Starlark) source one by one,
// keeping none. It accepts any input: an unterminated string ends at the
// end of its line (or of the file), unbalanced brackets are counted as
// they come.
type pyScanner struct {
	src         string
	i           int
	line, col   int
	depth       int
	atLineStart bool // at the start of a physical line outside brackets
	inLine      bool // within a logical line
	newLine     bool // the next token starts a logical line
	indent      int
	indentText  string
}

func newPyScanner(src string) *pyScanner {
	return &pyScanner{src: src, line: 1, col: 1, atLineStart: true}
}

// advance moves over n bytes, counting lines and columns as Starlark does:
// \r\n, \r and \n each end a line.
func (s *pyScanner) advance(n int) {
	end := min(s.i+n, len(s.src))
	for s.i < end {
		c := s.src[s.i]
		switch {
		case c == '\r' && s.i+1 < len(s.src) && s.src[s.i+1] == '\n':
			s.i += 2
			s.line++
			s.col = 1
			end = max(end, s.i)
			continue
		case c == '\n' || c == '\r':
			s.line++
			s.col = 1
		case c < utf8.RuneSelf || c >= 0xC0:
			s.col++
		}
		s.i++
	}
}

func pyIsLineBreak(c byte) bool { return c == '\n' || c == '\r' }

// next returns the next token, a pyEOL token at the end of each logical
// line; false at the end of the source.
func (s *pyScanner) next() (pyTok, bool) {
	for s.i < len(s.src) {
		if s.atLineStart && s.depth == 0 {
			s.atLineStart = false
			start, width := s.i, 0
			for s.i < len(s.src) && (s.src[s.i] == ' ' || s.src[s.i] == '\t' || s.src[s.i] == '\f') {
				switch s.src[s.i] {
				case ' ':
					width++
				case '\t':
					width += 8 - width%8
				}
				s.advance(1)
			}
			if s.i < len(s.src) && s.src[s.i] != '#' && !pyIsLineBreak(s.src[s.i]) {
				s.inLine, s.newLine = true, true
				s.indent, s.indentText = width, s.src[start:s.i]
			}
			continue
		}
		c := s.src[s.i]
		switch {
		case c == ' ' || c == '\t' || c == '\f':
			s.advance(1)
		case c == '\\' && s.i+1 < len(s.src) && pyIsLineBreak(s.src[s.i+1]):
			s.advance(2) // a continuation; \r\n is taken whole
		case c == '#':
			for s.i < len(s.src) && !pyIsLineBreak(s.src[s.i]) {
				s.i++ // a comment: columns no longer matter on this line
			}
		case pyIsLineBreak(c):
			ends := s.depth == 0 && s.inLine
			if s.depth == 0 {
				s.atLineStart = true
			}
			t := pyTok{kind: pyEOL, start: s.i, end: s.i, line: s.line, col: s.col}
			s.advance(1)
			if ends {
				s.inLine = false
				return t, true
			}
		default:
			t := s.token()
			if !s.inLine {
				// After a line of only a continuation, say.
				s.inLine, s.newLine = true, true
				s.indent, s.indentText = 0, ""
			}
			if s.newLine {
				t.lineStart, t.indent, t.indentText = true, s.indent, s.indentText
				s.newLine = false
			}
			return t, true
		}
	}
	if s.inLine {
		s.inLine = false
		return pyTok{kind: pyEOL, start: s.i, end: s.i, line: s.line, col: s.col}, true
	}
	return pyTok{}, false
}

// pyStringPrefixes are the letters that may start a string literal.
var pyStringPrefixes = map[string]bool{
	"r": true, "b": true, "u": true, "f": true,
	"rb": true, "br": true, "fr": true, "rf": true, "ur": true,
}

var pyOps = []string{
	"**=", "//=", ">>=", "<<=", "...",
	"==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
	"**", "//", "<<", ">>", "->", ":=",
}

// token reads the token at s.i, which is not white space, a comment or a
// line break.
func (s *pyScanner) token() pyTok {
	t := pyTok{start: s.i, line: s.line, col: s.col, depth: s.depth}
	c := s.src[s.i]
	r, size := utf8.DecodeRuneInString(s.src[s.i:])
	switch {
	case c == '\'' || c == '"':
		t.kind = pyStr
		s.stringBody()
	case pyIsIdentStart(r):
		t.kind = pyName
		j := s.i + size
		for j < len(s.src) {
			r, n := utf8.DecodeRuneInString(s.src[j:])
			if !pyIsIdentStart(r) && !unicode.IsDigit(r) {
				break
			}
			j += n
		}
		word := s.src[s.i:j]
		s.advance(j - s.i)
		if j < len(s.src) && (s.src[j] == '\'' || s.src[j] == '"') && len(word) <= 2 && pyStringPrefixes[strings.ToLower(word)] {
			t.kind = pyStr
			s.stringBody()
		}
	case c >= '0' && c <= '9' || c == '.' && s.i+1 < len(s.src) && s.src[s.i+1] >= '0' && s.src[s.i+1] <= '9':
		t.kind = pyNum
		j := s.i
		for j < len(s.src) {
			d := s.src[j]
			if d == '_' || d == '.' || d >= '0' && d <= '9' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' {
				j++
			} else if (d == '+' || d == '-') && (s.src[j-1] == 'e' || s.src[j-1] == 'E') && !strings.HasPrefix(strings.ToLower(s.src[s.i:j]), "0x") {
				j++
			} else {
				break
			}
		}
		s.advance(j - s.i)
	case strings.IndexByte("([{", c) >= 0:
		t.kind = pyOp
		s.depth++
		s.advance(1)
	case strings.IndexByte(")]}", c) >= 0:
		t.kind = pyOp
		s.depth = max(s.depth-1, 0)
		s.advance(1)
	case strings.IndexByte("+-*/%&|^~<>=!.,:;@", c) >= 0:
		t.kind = pyOp
		n := 1
		for _, op := range pyOps {
			if strings.HasPrefix(s.src[s.i:], op) {
				n = len(op)
				break
			}
		}
		s.advance(n)
	default:
		t.kind = pyOther
		s.advance(size)
	}
	t.end = s.i
	t.text = s.src[t.start:t.end]
	return t
}

func pyIsIdentStart(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= utf8.RuneSelf && unicode.IsLetter(r)
}

// stringBody reads a string literal from its opening quote.
func (s *pyScanner) stringBody() {
	q := s.src[s.i]
	triple := `'''`
	if q == '"' {
		triple = `"""`
	}
	if strings.HasPrefix(s.src[s.i:], triple) {
		s.advance(3)
		for s.i < len(s.src) {
			switch {
			case s.src[s.i] == '\\':
				s.advance(2)
			case strings.HasPrefix(s.src[s.i:], triple):
				s.advance(3)
				return
			default:
				s.advance(1)
			}
		}
		return
	}
	s.advance(1)
	for s.i < len(s.src) {
		switch c := s.src[s.i]; {
		case c == '\\':
			s.advance(2)
		case c == q:
			s.advance(1)
			return
		case pyIsLineBreak(c):
			return // unterminated: Starlark reports it
		default:
			s.advance(1)
		}
	}
}

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

func pyCountLineBreaks(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			n++
		case '\r':
			n++
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		}
	}
	return n
}

// pyBinding is one name an import statement binds: name = expr.
type pyBinding struct{ name, expr string }

// importStmt translates an import or from ... import statement, st, of a
// logical line indented by indent.
func (tr *pyTranslator) importStmt(indent string, st []pyTok) {
	var binds []pyBinding
	var ok bool
	if st[0].text == "import" {
		binds, ok = tr.importNames(st)
	} else {
		binds, ok = tr.fromImport(st)
	}
	if !ok {
		return
	}
	code := "pass"
	if len(binds) > 0 {
		parts := make([]string, len(binds))
		for j, b := range binds {
			parts[j] = b.name + " = " + b.expr
		}
		code = strings.Join(parts, "; ")
	}
	start, end := st[0].start, st[len(st)-1].end
	if breaks := pyCountLineBreaks(tr.src[start:end]); breaks > 0 {
		// The statement spans lines (from m import (a,\n b)): the
		// assignments go on its last line, with its indentation, so that
		// what follows on that line (; x = 1) still follows them.
		// When another statement precedes it on its first line, that
		// line now ends with the ; after that statement, which is allowed.
		code = strings.Repeat("\n", breaks) + indent + code
	}
	tr.edits = append(tr.edits, pyEdit{start: start, end: end, text: code})
}

// pySupportedModules names the importable modules, for messages.
func pySupportedModules() string {
	names := make([]string, 0, len(pythonModules))
	for m := range pythonModules {
		names = append(names, m)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// pyDottedName reads NAME(.NAME)* from toks[i:], returning it and the index
// after it.
func pyDottedName(toks []pyTok, i int) (string, int) {
	if i >= len(toks) || toks[i].kind != pyName {
		return "", i
	}
	name := toks[i].text
	i++
	for i+1 < len(toks) && toks[i].is(pyOp, ".") && toks[i+1].kind == pyName {
		name += "." + toks[i+1].text
		i += 2
	}
	return name, i
}

// pyAsName reads an optional "as NAME" at toks[i:].
func pyAsName(toks []pyTok, i int) (string, int, bool) {
	if i < len(toks) && toks[i].is(pyName, "as") {
		if i+1 < len(toks) && toks[i+1].kind == pyName {
			return toks[i+1].text, i + 2, true
		}
		return "", i, false
	}
	return "", i, true
}

// importNames translates import M [as N], ...
func (tr *pyTranslator) importNames(st []pyTok) ([]pyBinding, bool) {
	const want = "want import MODULE [as NAME], ..."
	var binds []pyBinding
	i := 1
	for {
		module, j := pyDottedName(st, i)
		if module == "" {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		if _, ok := pythonModules[module]; !ok {
			tr.errorf(st[0], "import of module %q is not supported (supported: %s)", module, pySupportedModules())
			return nil, false
		}
		alias, j, ok := pyAsName(st, j)
		if !ok {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		switch {
		case alias != "":
			binds = append(binds, pyBinding{alias, pyModuleVar(module)})
		default:
			// import os.path binds os, as in Python.
			top, _, _ := strings.Cut(module, ".")
			binds = append(binds, pyBinding{top, pyModuleVar(top)})
		}
		if j == len(st) {
			return binds, true
		}
		if !st[j].is(pyOp, ",") || j+1 == len(st) {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		i = j + 1
	}
}

// fromImport translates from M import a [as b], ... (names in brackets or
// not) and from __future__ import ....
func (tr *pyTranslator) fromImport(st []pyTok) ([]pyBinding, bool) {
	const want = "want from MODULE import NAME [as NAME], ..."
	if len(st) > 1 && st[1].is(pyOp, ".") || len(st) > 1 && st[1].is(pyOp, "...") {
		tr.errorf(st[0], "relative imports are not supported (supported modules: %s)", pySupportedModules())
		return nil, false
	}
	module, i := pyDottedName(st, 1)
	if module == "" || i >= len(st) || !st[i].is(pyName, "import") {
		tr.errorf(st[0], "invalid import statement: %s", want)
		return nil, false
	}
	i++
	members, future := pythonModules[module], module == "__future__"
	if !future && members == nil {
		tr.errorf(st[0], "import of module %q is not supported (supported: %s)", module, pySupportedModules())
		return nil, false
	}
	names := st[i:]
	if len(names) == 1 && names[0].is(pyOp, "*") {
		tr.errorf(st[0], "from %s import * is not supported: name what you use", module)
		return nil, false
	}
	if len(names) >= 2 && names[0].is(pyOp, "(") && names[len(names)-1].is(pyOp, ")") {
		names = names[1 : len(names)-1]
		if len(names) > 0 && names[len(names)-1].is(pyOp, ",") {
			names = names[:len(names)-1] // a trailing comma, in brackets only
		}
	}
	var binds []pyBinding
	for j := 0; ; {
		if j >= len(names) || names[j].kind != pyName {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		member := names[j]
		alias, k, ok := pyAsName(names, j+1)
		if !ok {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		if alias == "" {
			alias = member.text
		}
		switch {
		case future:
			if !pythonFutures[member.text] {
				tr.errorf(member, "future feature %s is not defined", member.text)
				return nil, false
			}
		case !members[member.text]:
			tr.errorf(member, "cannot import name %q from %q (%s has: %s)", member.text, module, module, strings.Join(pythonModuleMembers(module), ", "))
			return nil, false
		default:
			binds = append(binds, pyBinding{alias, pyModuleVar(module) + "." + member.text})
		}
		if k == len(names) {
			return binds, true
		}
		if !names[k].is(pyOp, ",") {
			tr.errorf(st[0], "invalid import statement: %s", want)
			return nil, false
		}
		j = k + 1
	}
}

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

// pyIsKeyword reports whether name is a Python or Starlark keyword.
func pyIsKeyword(name string) bool {
	switch name {
	case "and", "as", "assert", "async", "await", "break", "class", "continue",
		"def", "del", "elif", "else", "except", "finally", "for", "from",
		"global", "if", "import", "in", "is", "lambda", "load", "nonlocal",
		"not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
		"True", "False", "None":
		return true
	}
	return false
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
