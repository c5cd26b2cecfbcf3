package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPythonUnsupportedStatements(t *testing.T) {
	const noExceptions = `Starlark has no exceptions; test values with if, and stop with fail("message")`
	tests := []struct{ name, src, want string }{
		{"with", "x = 1\nwith open('f') as f:\n  x = f.read()\n",
			`p.aurora:2:1: "with" statements are not supported: an Aurora file cannot open files (Borealis configs are hermetic)`},
		{"with in a function", "def f():\n    with g() as h:\n        pass\n", `p.aurora:2:5: "with" statements are not supported`},
		{"try", "try:\n  x = 1\nexcept KeyError as e:\n  x = 2\nfinally:\n  pass\n", `p.aurora:1:1: "try" statements are not supported: ` + noExceptions},
		{"except without try", "x = 1\nexcept:\n  pass\n", `p.aurora:2:1: "except" is not supported: ` + noExceptions},
		{"finally without try", "finally:\n  pass\n", `p.aurora:1:1: "finally" is not supported`},
		{"raise", "if True:\n  raise ValueError('x')\n", `p.aurora:2:3: "raise" statements are not supported: stop with fail("message"), which names the line`},
		{"global", "n = 0\ndef f():\n  global n\n  n = 1\n", `p.aurora:3:3: "global" statements are not supported: a function cannot assign a global variable; return the value and assign it at the top level`},
		{"nonlocal", "def f():\n  n = 0\n  def g():\n    nonlocal n\n", `p.aurora:4:5: "nonlocal" statements are not supported: a function cannot assign a variable of the function around it`},
		{"yield", "def f():\n  yield 1\n", `p.aurora:2:3: "yield" is not supported: Starlark has no generator functions; build a list and return it`},
		{"yield in an expression", "def f():\n  x = (yield)\n", `p.aurora:2:8: "yield" is not supported`},
		{"async", "async def f():\n  pass\n", `p.aurora:1:1: "async" is not supported: an Aurora file runs no asynchronous code`},
		{"await", "def f():\n  return await g()\n", `p.aurora:2:10: "await" is not supported`},
		{"del", "x = [1]\ndel x[0]\n", `p.aurora:2:1: "del" statements are not supported: use list.pop(i), list.remove(x) or dict.pop(key), or build a new list or dict`},
		{"is", "x = None\nif x is None:\n  pass\n", `p.aurora:2:6: "is" is not supported: compare with == or != (x == None, x != None)`},
		{"is not", "y = 1 is not 2\n", `p.aurora:1:7: "is" is not supported`},
		{"is in a class field", "class P(Struct):\n  a = Default(Boolean, 1 is 1)\n", `p.aurora:2:26: "is" is not supported`},
		{"assert", "x = 1\nassert x == 1, 'x is 1'\n", `p.aurora:2:1: "assert" statements are not supported: write if not CONDITION: fail("message")`},
		{"assert not", "assert not False\n", `p.aurora:1:1: "assert" statements are not supported`},
		{"assert in brackets", "def f(x):\n  assert(x)\n", `p.aurora:2:3: "assert" statements are not supported`},
		{"assert after a statement", "x = 1; assert x\n", `p.aurora:1:8: "assert" statements are not supported`},
		{"print statement", "print 'hello'\n", `p.aurora:1:1: Python 2 print statements are not supported: call print(...)`},
		{"print statement of a name", "x = 1\nif x:\n  print x, 2\n", `p.aurora:3:3: Python 2 print statements are not supported`},
		{"print to a file", "print >>f, 'x'\n", `p.aurora:1:1: Python 2 print statements are not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("p.aurora", []byte(tt.src+pyMinimalJobs), LoadOptions{})
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "want primary expression")
		})
	}
}

func TestPythonUnsupportedReportedOnce(t *testing.T) {
	// A try's except and finally are not reported again; each statement
	// refused is, on its line.
	_, err := LoadBytes("p.aurora", []byte("try:\n  x = 1\nexcept:\n  del x\nfinally:\n  pass\nwith f:\n  pass\n"), LoadOptions{})
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `p.aurora:1:1: "try" statements are not supported`)
	assert.Contains(t, msg, `p.aurora:4:3: "del" statements are not supported`)
	assert.Contains(t, msg, `p.aurora:7:1: "with" statements are not supported`)
	assert.NotContains(t, msg, `"except"`)
	assert.NotContains(t, msg, `"finally"`)
	assert.Equal(t, 3, strings.Count(msg, "not supported"), msg)
}

func TestPythonSupportedLookalikes(t *testing.T) {
	// What Starlark runs is not refused: lambda, print and assert as names,
	// and the words in strings, comments and longer names.
	tests := []struct{ name, src, want string }{
		{"lambda", "f = lambda x, y = 1: x + y\nprint(f(1))", "2"},
		{"print call", "print ('a')", "a"},
		{"print of a generator", "print(', '.join(str(x) for x in [1]))", "1"},
		{"assert as a name", "assert = 3\nassert += 1\nprint(assert)", "4"},
		{"words in strings and comments", "x = 'with try raise del is'  # with try: yield\nprint(x)", "with try raise del is"},
		{"words in names", "is_set, with_x, tryer, delta = 1, 2, 3, 4\nprint(is_set + with_x + tryer + delta)", "10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []string{tt.want}, pyPrints(t, tt.src))
		})
	}
}

func TestPythonBuiltins(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"sum", "print(sum([1, 2, 3]))", "6"},
		{"sum of nothing", "print(sum([]), sum([], 5))", "0 5"},
		{"sum of floats", "print(sum([1, 2.5]), sum([1], start = 0.5))", "3.5 1.5"},
		{"sum of booleans", "print(sum([True, True, False]))", "2"},
		{"sum of a tuple", "print(sum((1, 2)))", "3"},
		{"open shadowed", "def open(name):\n  return name\nprint(open('x'))", "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []string{tt.want}, pyPrints(t, tt.src))
		})
	}
}

func TestPythonBuiltinsRefuse(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"open", "x = 1\nf = open('/etc/passwd')", "p.aurora:2:9: open() is not supported: an Aurora file cannot read files; pass values with --bind"},
		{"open in with", "with open('x') as f:\n  pass", `p.aurora:1:1: "with" statements are not supported`},
		{"__import__", "os = __import__('os')", "p.aurora:1:16: __import__() is not supported: write import MODULE (supported: getpass, os, os.path)"},
		{"sum of strings", "x = sum(['a', 'b'])", `p.aurora:1:8: sum: element 0 is a string: sum adds numbers; join strings with "".join(...)`},
		{"sum of lists", "x = sum([[1]], [])", "sum: start is a list: sum adds numbers"},
		{"sum of a number", "x = sum(1)", "sum: for parameter iterable: got int, want iterable"},
		{"sum of None", "x = sum([1, None])", "sum: element 1 is a NoneType: sum adds numbers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pyRun(t, tt.src)
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
