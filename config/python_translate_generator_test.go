package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPythonGeneratorsTranslated(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"argument of a call", "x = sum(x for x in xs)\n", "x = sum([x for x in xs])\n"},
		{"method call", "jobs.extend(Job(name = c) for c in clusters)\n", "jobs.extend([Job(name = c) for c in clusters])\n"},
		{"with if", "y = any(p.startswith('a') for p in names if p)\n", "y = any([p.startswith('a') for p in names if p])\n"},
		{"parenthesised", "g = (x * 2 for x in y)\n", "g = [x * 2 for x in y]\n"},
		{"parenthesised argument", "f((x for x in y), 1)\n", "f([x for x in y], 1)\n"},
		{"after a keyword", "for a in (x for x in y):\n  pass\nz = b in (x for x in y)\n",
			"for a in [x for x in y]:\n  pass\nz = b in [x for x in y]\n"},
		{"tuple unpacked", "d = dict((k, v) for k, v in items)\n", "d = dict([(k, v) for k, v in items])\n"},
		{"nested", "n = sum(len(a for a in b) for b in c)\n", "n = sum([len([a for a in b]) for b in c])\n"},
		{"two fors", "n = sum(x for a in b for x in a)\n", "n = sum([x for a in b for x in a])\n"},
		{"over lines", "jobs.extend(\n  Job(name = c)  # one a cluster\n  for c in clusters\n)\nx = 1\n",
			"jobs.extend([\n  Job(name = c)  # one a cluster\n  for c in clusters\n])\nx = 1\n"},
		{"continued", "x = sum(a \\\n  for a in b)\n", "x = sum([a \\\n  for a in b])\n"},
		{"called result", "x = f()(a for a in b)\n", "x = f()([a for a in b])\n"},
		{"in a class field", "class P(Struct):\n  a = Default(List(String), list(x for x in 'ab'))\n",
			"P = __pystachio_class(\"P\", Struct, \"1:1 2:3\", \n  a = Default(List(String), list([x for x in 'ab'])),)\n"},
		{"strings joined", "x = ''.join(s for s in 'a' 'b')\n", "x = ''.join([s for s in ('a' + 'b')])\n"},
		{"crlf", "x = sum(a\r\n  for a in b)\r\n", "x = sum([a\r\n  for a in b])\r\n"},
		// Left alone:
		{"for statement", "for x in (1, 2):\n  f(x)\n", "for x in (1, 2):\n  f(x)\n"},
		{"list comprehension", "x = f([a for a in b])\n", "x = f([a for a in b])\n"},
		{"dict comprehension", "x = f({a: 1 for a in b})\n", "x = f({a: 1 for a in b})\n"},
		{"in a subscript", "x = y[a for a in b]\n", "x = y[a for a in b]\n"},
		{"in strings and comments", "x = f('a for a in b')  # f(a for a in b)\n", "x = f('a for a in b')  # f(a for a in b)\n"},
		{"unclosed", "x = f(a for a in b\n", "x = f(a for a in b\n"},
		{"mismatched", "x = f(a for a in b]\n", "x = f(a for a in b]\n"},
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

func TestPythonGeneratorsLoad(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"sum", "xs = [1, 2, 3]\nprint(sum(x * x for x in xs))", "14"},
		{"sum with a start", "print(sum((x for x in [0.5, 1]), 10))", "11.5"},
		{"any", "names = ['web', 'api']\nprint(any(p.startswith('a') for p in names), any(p.startswith('z') for p in names))", "True False"},
		{"all", "print(all(x > 0 for x in [1, 2]))", "True"},
		{"parenthesised", "g = (x + 1 for x in [1, 2])\nprint(g, list(g))", "[2, 3] [2, 3]"},
		{"join", "print(', '.join(\n    str(x)\n    for x in range(3)\n))", "0, 1, 2"},
		{"dict", "print(dict((k, len(k)) for k in ['a', 'bb']))", `{"a": 1, "bb": 2}`},
		{"sorted", "print(sorted((x for x in [3, 1, 2]), reverse = True))", "[3, 2, 1]"},
		{"max", "print(max(len(s) for s in ['a', 'abc']))", "3"},
		{"in a function", "def total(xs):\n  return sum(x for x in xs if x)\nprint(total([1, None, 2]))", "3"},
		{"in a class default", "class P(Struct):\n  tags = Default(List(String), list(c.upper() for c in ['a', 'b']))\nprint(P().tags)", `["A", "B"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []string{tt.want}, pyPrints(t, tt.src))
		})
	}
}

func TestPythonGeneratorMakesJobs(t *testing.T) {
	src := "task = Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB))\n" +
		"clusters = ['east', 'west']\n" +
		"jobs = []\n" +
		"jobs.extend(Job(cluster=c, role='r', environment='prod', name='web', task=task)\n" +
		"            for c in clusters)\n"
	jobs, err := LoadBytes("p.aurora", []byte(src), LoadOptions{})
	require.NoError(t, err)
	var keys []string
	for _, j := range jobs {
		keys = append(keys, j.Key())
	}
	assert.Equal(t, []string{"east/r/prod/web", "west/r/prod/web"}, keys)
}

func TestPythonGeneratorErrorsKeepTheirLines(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"syntax error after one", "x = sum(a for a in [1])\ny = (\n", "p.aurora:3:"},
		{"syntax error after one over lines", "x = sum(\n  a\n  for a in [1]\n)\ny = 1 +\n", "p.aurora:5:8:"},
		{"syntax error in one", "x = 1\ny = sum(a for a in)\n", "p.aurora:2:20:"},
		{"syntax error in one over lines", "x = sum(\n  a +\n  for a in [1])\n", "p.aurora:3:3:"},
		{"runtime error in one", "x = 1\ny = sum(a + 1 for a in [1, 'b'])\n", "p.aurora:2:12: unknown binary op: string + int"}, // a column right,
		{"undefined in one", "\n\nx = any(f(a) for a in [1])\n", "p.aurora:3:10: undefined: f"},
		{"not the only argument", "x = sorted(a for a in [1], reverse = True)\n",
			"p.aurora:1:14: a generator expression must be the only argument of a call, or be in brackets: f((x for x in xs), y)"},
		{"not the first argument", "x = 1\ny = f(1,\n  a for a in [1])\n", "p.aurora:3:5: a generator expression must be the only argument"},
		{"a trailing comma", "x = f(a for a, b in [(1, 2)],)\n", "p.aurora:1:9: a generator expression must be the only argument"},
		{"tuple without brackets", "x = (1, a for a in [1])\n", "p.aurora:1:14: got for"},
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
