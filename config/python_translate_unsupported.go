package config

// Python that Starlark cannot run, refused by the translator
// (python_translate.go) with a message naming the statement and its line,
// where Starlark's parser would say "got with, want primary expression".
//
// Starlark reserves Python's keywords with, try, except, finally, raise,
// global, nonlocal, yield, async, await, del and is: a file that holds one
// outside strings and comments does not parse, so each is refused wherever
// it is. (lambda, which Starlark has, is not refused.) assert and Python 2's
// print statement, whose words Starlark takes as names, are refused at the
// start of a statement when an operand follows them (assert x, print 'x'),
// and not when the word is used as a name (print('x'), assert = f).

// pyUnsupportedWords are the reserved words refused, with why and what to
// write instead.
var pyUnsupportedWords = map[string]string{
	"with":     `"with" statements are not supported: an Aurora file cannot open files (Borealis configs are hermetic)`,
	"try":      `"try" statements are not supported: Starlark has no exceptions; test values with if, and stop with fail("message")`,
	"except":   `"except" is not supported: Starlark has no exceptions; test values with if, and stop with fail("message")`,
	"finally":  `"finally" is not supported: Starlark has no exceptions; test values with if, and stop with fail("message")`,
	"raise":    `"raise" statements are not supported: stop with fail("message"), which names the line`,
	"global":   `"global" statements are not supported: a function cannot assign a global variable; return the value and assign it at the top level`,
	"nonlocal": `"nonlocal" statements are not supported: a function cannot assign a variable of the function around it; return the value instead`,
	"yield":    `"yield" is not supported: Starlark has no generator functions; build a list and return it`,
	"async":    `"async" is not supported: an Aurora file runs no asynchronous code`,
	"await":    `"await" is not supported: an Aurora file runs no asynchronous code`,
	"del":      `"del" statements are not supported: use list.pop(i), list.remove(x) or dict.pop(key), or build a new list or dict`,
	"is":       `"is" is not supported: compare with == or != (x == None, x != None)`,
}

// pyUnsupportedStatements are the words that start a statement Starlark
// does not have but parses as a name.
var pyUnsupportedStatements = map[string]string{
	"assert": `"assert" statements are not supported: write if not CONDITION: fail("message")`,
	"print":  `Python 2 print statements are not supported: call print(...)`,
}

// pyUnsupported refuses the Python of a source that Starlark cannot run,
// as its tokens come.
type pyUnsupported struct {
	// pending is an assert or print starting a statement, refused if the
	// next token is an operand.
	pending    pyTok
	hasPending bool
	// tried is set once a try is refused: its except and finally are not.
	tried bool
}

// token looks at the next token of the source.
func (u *pyUnsupported) token(tr *pyTranslator, t pyTok) {
	if u.hasPending {
		u.hasPending = false
		if pyIsOperandStart(u.pending.text, t) {
			tr.errorf(u.pending, "%s", pyUnsupportedStatements[u.pending.text])
		}
	}
	if t.kind != pyName {
		return
	}
	msg, ok := pyUnsupportedWords[t.text]
	switch {
	case !ok:
	case t.text == "try":
		u.tried = true
		tr.errorf(t, "%s", msg)
	case (t.text == "except" || t.text == "finally") && u.tried:
	default:
		tr.errorf(t, "%s", msg)
	}
}

// statement looks at a token that starts a statement, outside import and
// class statements.
func (u *pyUnsupported) statement(t pyTok) {
	if t.kind == pyName && pyUnsupportedStatements[t.text] != "" {
		u.pending, u.hasPending = t, true
	}
}

// pyIsOperandStart reports whether t, after the word starting a statement
// (assert or print), starts the word's operand: a token that cannot follow
// a name in Starlark, or a bracket after assert, which no Python name
// can be.
func pyIsOperandStart(word string, t pyTok) bool {
	switch t.kind {
	case pyStr, pyNum:
		return true
	case pyName:
		switch t.text {
		case "in", "if", "else", "for", "and", "or", "is":
			return false // an operator after a name
		case "not":
			return word == "assert" // print not in x is Starlark
		}
		return true
	case pyOp:
		switch t.text {
		case ">>":
			return word == "print" // print >>f, x
		case "(", "[", "{", "-", "~":
			return word == "assert" // print(x) is a call
		}
	}
	return false
}
