package config

import (
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyMinimalJobs is a jobs list that loads.
const pyMinimalJobs = "jobs = [Job(cluster='c', role='r', environment='e', name='n', " +
	"task=Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB)))]\n"

// pyRun loads src (with a job added) and returns what it printed.
func pyRun(t *testing.T, src string) ([]string, error) {
	t.Helper()
	var printed []string
	_, err := LoadBytes("p.aurora", []byte(src+"\n"+pyMinimalJobs), LoadOptions{Print: func(s string) { printed = append(printed, s) }})
	return printed, err
}

// pyPrints loads src and returns what it printed, failing on an error.
func pyPrints(t *testing.T, src string) []string {
	t.Helper()
	printed, err := pyRun(t, src)
	require.NoError(t, err)
	return printed
}

func TestPythonTranslationKeepsLines(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"import", "import os\n", "os = __pystachio_os\n"},
		{"import as", "import os.path as p, getpass\n", "p = __pystachio_os_path; getpass = __pystachio_getpass\n"},
		{"import dotted binds the package", "import os.path\n", "os = __pystachio_os\n"},
		{"from import", "from os import path, getenv as ge\n", "path = __pystachio_os.path; ge = __pystachio_os.getenv\n"},
		{"indented", "def f():\n    import os\n    return os\n", "def f():\n    os = __pystachio_os\n    return os\n"},
		{"after a statement", "x = 1; import os; y = 2\n", "x = 1; os = __pystachio_os; y = 2\n"},
		{"bracketed over lines", "if True:\n  from os.path import (join,\n      basename,)  # c\n  x = 1\n",
			"if True:\n  \n  join = __pystachio_os_path.join; basename = __pystachio_os_path.basename  # c\n  x = 1\n"},
		{"continued over lines", "import os, \\\n  getpass\n", "\nos = __pystachio_os; getpass = __pystachio_getpass\n"},
		{"future", "from __future__ import print_function, division\n", "pass\n"},
		{"class", "class P(Struct):\n  '''Doc.'''\n  a = Default(Integer, 1)  # c\n  b = Required(String)\nx = P\n",
			"P = __pystachio_class(\"P\", Struct, \"1:1 3:3 4:3\", \n            \n  a = Default(Integer, 1),  # c\n  b = Required(String),)\nx = P\n"},
		{"class on one line", "class P(Struct): a = Default(Integer, 1); b = String\n",
			"P = __pystachio_class(\"P\", Struct, \"1:1 1:18 1:43\",  a = Default(Integer, 1),  b = String,)\n"},
		{"class pass", "class P(Struct):\n  pass\n", "P = __pystachio_class(\"P\", Struct, \"1:1\", \n      )\n"},
		{"class header over lines", "class P(\n    Base):\n  a = String\n", "P = __pystachio_class(\"P\", Base, \"1:1 3:3\", \n\n  a = String,)\n"},
		{"multi-line docstring", "class P(Struct):\n  \"\"\"One.\n  Two.\"\"\"\n  a = String\n", "P = __pystachio_class(\"P\", Struct, \"1:1 4:3\", \n         \n         \n  a = String,)\n"},
		{"multi-line field", "class P(Struct):\n  m = Default(Map(String, String), {\n    'a': 'b',  # c\n  })\nx = 1\n",
			"P = __pystachio_class(\"P\", Struct, \"1:1 2:3\", \n  m = Default(Map(String, String), {\n    'a': 'b',  # c\n  }),)\nx = 1\n"},
		{"blank and comment lines in a body", "class P(Struct):\n\n  # a comment\n  a = String\n# at the margin\n\n  b = Integer\n\nx = P\n",
			"P = __pystachio_class(\"P\", Struct, \"1:1 4:3 7:3\", \n\n  # a comment\n  a = String,\n# at the margin\n\n  b = Integer,)\n\nx = P\n"},
		{"nested in a def", "def f():\n  class P(Struct):\n    a = String\n  return P\n",
			"def f():\n  P = __pystachio_class(\"P\", Struct, \"2:3 3:5\", \n    a = String,)\n  return P\n"},
		{"tabs", "class P(Struct):\n\ta = String\n\tb = Integer\n", "P = __pystachio_class(\"P\", Struct, \"1:1 2:2 3:2\", \n\ta = String,\n\tb = Integer,)\n"},
		{"strings concatenated", "x = 'a' \"b\"\ny = f('c'\n  'd'.upper())\n", "x = ('a' + \"b\")\ny = f(('c' +\n  'd').upper())\n"},
		{"the words in strings and comments", "x = 'import os' # class P(Struct):\n", "x = 'import os' # class P(Struct):\n"},
		{"crlf", "import os\r\nx = 1\r\n", "os = __pystachio_os\r\nx = 1\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs := pyTranslate("p.aurora", []byte(tt.src))
			require.Empty(t, errs)
			assert.Equal(t, tt.want, string(out))
			assert.Equal(t, pyCountLineBreaks(tt.src), pyCountLineBreaks(string(out)))
		})
	}
}

func TestPythonTranslationRefuses(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unsupported module", "x = 1\n\nimport socket\n", `p.aurora:3:1: import of module "socket" is not supported (supported: getpass, os, os.path)`},
		{"unsupported module among others", "import os, subprocess\n", `p.aurora:1:1: import of module "subprocess" is not supported (supported: getpass, os, os.path)`},
		{"unsupported from", "  from socket import gethostname\n", `p.aurora:1:3: import of module "socket" is not supported`},
		{"unknown submodule", "import os.system\n", `p.aurora:1:1: import of module "os.system" is not supported`},
		{"unknown name", "from os import system\n", `p.aurora:1:16: cannot import name "system" from "os" (os has: environ, getenv, path, sep)`},
		{"unknown name in os.path", "from os.path import exists\n", `p.aurora:1:21: cannot import name "exists" from "os.path" (os.path has: basename, dirname, isabs, join, sep, split, splitext)`},
		{"star", "from os import *\n", "p.aurora:1:1: from os import * is not supported: name what you use"},
		{"relative", "from . import x\n", "p.aurora:1:1: relative imports are not supported"},
		{"unknown future", "from __future__ import braces\n", "p.aurora:1:24: future feature braces is not defined"},
		{"no module", "import\n", "p.aurora:1:1: invalid import statement: want import MODULE [as NAME], ..."},
		{"trailing comma", "import os,\n", "p.aurora:1:1: invalid import statement"},
		{"bad as", "import os as\n", "p.aurora:1:1: invalid import statement"},
		{"from without import", "from os path\n", "p.aurora:1:1: invalid import statement: want from MODULE import NAME [as NAME], ..."},
		{"from without names", "from os import\n", "p.aurora:1:1: invalid import statement"},
		{"import inside an if", "if True: import os\n", "p.aurora:1:10: import must start a statement (put it on a line of its own)"},
		{"class without base", "class P:\n  a = String\n", "p.aurora:1:1: class P: only Struct classes are supported: write class P(Struct):"},
		{"class of object", "class P(object):\n  pass\n", "p.aurora:1:1: class P: only Struct classes are supported"},
		{"two bases", "class P(Struct, Mixin):\n  pass\n", "p.aurora:1:1: class P: a Struct class has one base"},
		{"keyword base", "class P(metaclass=M):\n  pass\n", "p.aurora:1:1: class P: a Struct class has one base"},
		{"no name", "class (Struct):\n  pass\n", "p.aurora:1:1: invalid class statement: want class Name(Struct):"},
		{"no colon", "class P(Struct)\n  a = String\n", "p.aurora:1:1: invalid class statement: want class P(Struct):"},
		{"no body", "class P(Struct):\nx = 1\n", "p.aurora:1:1: class P: expected an indented body"},
		{"no body at the end", "class P(Struct):", "p.aurora:1:1: class P: expected an indented body"},
		{"method", "class P(Struct):\n  a = String\n  def f(self):\n    return 1\n", "p.aurora:3:3: class P: a Struct class body holds only fields"},
		{"expression", "class P(Struct):\n  print('x')\n", "p.aurora:2:3: class P: a Struct class body holds only fields"},
		{"chained assignment", "class P(Struct):\n  a = b = String\n", "p.aurora:2:3: class P: a Struct class body holds only fields"},
		{"augmented assignment", "class P(Struct):\n  a += String\n", "p.aurora:2:3: class P: a Struct class body holds only fields"},
		{"nested class", "class P(Struct):\n  class Q(Struct):\n    pass\n", "p.aurora:2:3: class P: a Struct class body holds only fields"},
		{"import in a class", "class P(Struct):\n  import os\n", "p.aurora:2:3: class P: a Struct class body holds only fields"},
		{"field twice", "class P(Struct):\n  a = String\n  a = Integer\n", "p.aurora:3:3: class P: field a is defined twice"},
		{"class after a statement", "x = 1; class P(Struct): pass\n", "p.aurora:1:8: a class statement must start a line"},
		{"reserved name", "x = 1\n__pystachio_os = 2\n", "p.aurora:2:1: names starting with __pystachio_ are reserved"},
		{"reserved name called", "__pystachio_class('P', Struct, '')\n", "p.aurora:1:1: names starting with __pystachio_ are reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("p.aurora", []byte(tt.src), LoadOptions{})
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPythonSyntaxErrorsKeepTheirLines(t *testing.T) {
	// Errors Starlark finds in a translated file name the user's lines.
	tests := []struct{ name, src, want string }{
		{"after a class", "class P(Struct):\n  a = Default(Integer,\n    1)\n\nx = (\n", "p.aurora:6:"},
		{"in a field", "import os\nclass P(Struct):\n  a = Default(Integer, 1 +)\n", "p.aurora:3:27: got ')', want primary expression"},
		{"undefined in a field", "from os import path\n\nclass P(Struct):\n  a = Default(Intger, 1)\n", "p.aurora:4:15: undefined: Intger"},
		{"runtime error after imports", "from os.path import (join,\n  basename)\nx = join('a', 1)\n", "p.aurora:3:9: os.path.join: argument 2: want a string, got int"},
		{"unterminated string in a class", "class P(Struct):\n  a = Default(String, 'x)\n", "p.aurora:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("p.aurora", []byte(tt.src+"jobs = []\n"), LoadOptions{})
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPythonImplicitConcatenation(t *testing.T) {
	got := pyPrints(t, "x = 'a' 'b' \"c\"\nprint(x)\nprint('%s-%s' % ('x' 'y', 'z'))\nprint(len('ab' 'cd'))\n")
	assert.Equal(t, []string{"abc", "xy-z", "4"}, got)
}

func TestPythonScannerTakesAnything(t *testing.T) {
	// Odd inputs: the scanner neither panics nor loops, and the translation
	// keeps the lines.
	for _, src := range []string{
		"", "\\", "'", "'''", "\"\"\"abc\\", "(((", ")))", "class", "import", "from", "class P(", "class P(Struct):\n  a = (",
		"x = '\\\n'", "\r", "\r\r\n\n", "\t\tclass P(Struct):\n\t\t\ta = String", "é = 'ü' 'ö'", "\xff\xfe import os",
		"class P(Struct): pass;", "from os import (path", "from os import ()", "import os as (", "0x1e+5 'a' 'b'",
	} {
		out, errs := pyTranslate("p.aurora", []byte(src))
		if len(errs) == 0 {
			assert.Equal(t, pyCountLineBreaks(src), pyCountLineBreaks(string(out)), "%q", src)
		}
		_, _ = LoadBytes("p.aurora", []byte(src), LoadOptions{MaxSteps: 10_000})
	}
}

func TestPythonLineBreaksCounted(t *testing.T) {
	assert.Equal(t, 3, pyCountLineBreaks("a\nb\r\nc\r"))
	assert.Equal(t, "  \n \r\n  ", pyBlank("ab\né\r\n'x"))
	assert.False(t, strings.Contains(pyBlank("\"\"\"x\"\"\""), "x"))
}

func TestPythonTranslationIsCheap(t *testing.T) {
	// Only import and class statements are kept: a large file of other
	// code costs about its size.
	for _, tt := range []struct {
		src      string
		maxAlloc uint64
	}{
		{"x = [" + strings.Repeat("a, ", MaxConfigBytes/3-10) + "]\n", 16 << 20},
		{strings.Repeat("x = 'a' 'b'\n", MaxConfigBytes/12), 160 << 20},
		{strings.Repeat("import os\n", MaxConfigBytes/10), 400 << 20},
	} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, errs := pyTranslate("p.aurora", []byte(tt.src))
		runtime.ReadMemStats(&after)
		require.Empty(t, errs)
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, tt.maxAlloc, "%.20q", tt.src)
	}
	_, err := LoadBytes("p.aurora", []byte("class P(Struct):\n  a = Default(List(Integer), ["+strings.Repeat("1,", pyMaxStmtTokens)+"])\n"), LoadOptions{})
	assert.ErrorContains(t, err, "p.aurora:2:65551: statement too long: over 65536 tokens")
	_, err = LoadBytes("p.aurora", []byte("from os import ("+strings.Repeat("path,", pyMaxStmtTokens)+")\n"), LoadOptions{})
	assert.ErrorContains(t, err, "p.aurora:1:")
	assert.ErrorContains(t, err, "statement too long: over 65536 tokens")
}
