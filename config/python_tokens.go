package config

// The tokens of a Python source, for python_translate.go: a scanner that
// reads them one by one, keeping none, and counts lines and columns as
// Starlark does.

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

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
