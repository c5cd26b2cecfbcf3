package config

import (
	"errors"
	"os/user"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyEnv sets the client's environment for a test, and nothing else of it.
func pyEnv(t *testing.T, env map[string]string) {
	t.Helper()
	lookup, environ := pythonLookupEnv, pythonEnviron
	t.Cleanup(func() { pythonLookupEnv, pythonEnviron = lookup, environ })
	pythonLookupEnv = func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
	pythonEnviron = func() []string {
		var out []string
		for k, v := range env {
			out = append(out, k+"="+v)
		}
		return out
	}
}

func TestPythonModules(t *testing.T) {
	pyEnv(t, map[string]string{"USER": "alice", "HOME": "/home/alice", "EMPTY": "", "BOREALIS_SECRET_DB": "hunter2"})
	tests := []struct{ name, src, want string }{
		{"getuser", "import getpass\nprint(getpass.getuser())", "alice"},
		{"getuser from", "from getpass import getuser as who\nprint(who())", "alice"},
		{"environ index", "import os\nprint(os.environ['HOME'])", "/home/alice"},
		{"environ get", "import os\nprint(os.environ.get('HOME'), os.environ.get('NOPE'), os.environ.get('NOPE', '/'))", "/home/alice None /"},
		{"environ empty value", "import os\nprint(repr(os.environ.get('EMPTY', 'x')))", `""`},
		{"environ in", "import os\nprint('HOME' in os.environ, 'NOPE' in os.environ, 'BOREALIS_SECRET_DB' in os.environ)", "True False False"},
		{"environ keys", "import os\nprint(os.environ.keys(), len(os.environ), sorted(os.environ))", `["EMPTY", "HOME", "USER"] 3 ["EMPTY", "HOME", "USER"]`},
		{"environ items", "from os import environ\nprint(environ.items()[1], environ.values()[2])", `("HOME", "/home/alice") alice`},
		{"environ iterated", "import os\nprint([k for k in os.environ if k != 'EMPTY'])", `["HOME", "USER"]`},
		{"getenv", "import os\nprint(os.getenv('USER'), os.getenv('NOPE'), os.getenv('NOPE', 'nobody'), os.getenv(key='HOME'))", "alice None nobody /home/alice"},
		{"path through os", "import os\nprint(os.path.join('a', 'b'), os.sep, os.path.sep)", "a/b / /"},
		{"path imported", "import os.path\nprint(os.path.basename('/a/b.txt'))", "b.txt"},
		{"path from os", "from os import path\nprint(path.dirname('/a/b.txt'))", "/a"},
		{"path as", "import os.path as p\nprint(p.join('/x', 'y'))", "/x/y"},
		{"module shown", "import os, os.path as p\nprint(os, p, os.environ)", "<module 'os'> <module 'os.path'> os.environ"},
		{"future", "from __future__ import print_function, absolute_import\nprint('ok')", "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, []string{tt.want}, pyPrints(t, tt.src))
		})
	}
}

func TestPythonModulesRefuse(t *testing.T) {
	pyEnv(t, map[string]string{"USER": "alice", "BOREALIS_SECRET_DB": "hunter2"})
	tests := []struct{ name, src, want string }{
		{"missing variable", "import os\nx = os.environ['NOPE']", `p.aurora:2:15: key "NOPE" not in os.environ`},
		{"secret indexed", "import os\nx = os.environ['BOREALIS_SECRET_DB']", "p.aurora:2:15: os.environ: BOREALIS_SECRET_DB holds a Borealis secret, which a config may not read: write {{secret[NAME]}}"},
		{"secret got", "import os\nx = os.environ.get('BOREALIS_SECRET_DB', '')", "os.environ: BOREALIS_SECRET_DB holds a Borealis secret"},
		{"secret getenv", "import os\nx = os.getenv('BOREALIS_SECRET_DB')", "os.getenv: BOREALIS_SECRET_DB holds a Borealis secret"},
		{"not a string key", "import os\nx = os.environ[1]", "os.environ: keys are strings, got int"},
		{"read-only", "import os\nos.environ['X'] = 'y'", "p.aurora:2:"},
		{"unknown function", "import os\nx = os.system('ls')", "p.aurora:2:7: os.system is not supported (os has: environ, getenv, path, sep)"},
		{"unknown path function", "import os\nx = os.path.exists('/')", "os.path.exists is not supported (os.path has: basename, dirname, isabs, join, sep, split, splitext)"},
		{"getuser arguments", "import getpass\nx = getpass.getuser('x')", "p.aurora:2:20: getpass.getuser: got 1 arguments, want 0"},
		{"getenv without a name", "import os\nx = os.getenv()", "os.getenv: missing argument for key"},
		{"join of nothing", "import os\nx = os.path.join()", "os.path.join: takes at least 1 argument"},
		{"join of a number", "import os\nx = os.path.join('a', 1)", "os.path.join: argument 2: want a string, got int"},
		{"basename of two", "import os\nx = os.path.basename('a', 'b')", "os.path.basename: takes 1 argument(s), got 2"},
		{"keyword to join", "import os\nx = os.path.join(a='b')", "os.path.join: takes no keyword arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("p.aurora", []byte(tt.src+"\n"+pyMinimalJobs), LoadOptions{})
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := LoadBytes("p.aurora", []byte("import os\njobs = [Job(cluster=os)]\n"), LoadOptions{})
	assert.ErrorContains(t, err, "jobs: Job.cluster: cannot use a module as a config value")
}

func TestGetuserOrder(t *testing.T) {
	current := pythonCurrentUser
	t.Cleanup(func() { pythonCurrentUser = current })
	pythonCurrentUser = func() (*user.User, error) { return &user.User{Username: "from-passwd"}, nil }
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LOGNAME": "l", "USER": "u", "LNAME": "n", "USERNAME": "un"}, "l"},
		{map[string]string{"LOGNAME": "", "USER": "u", "USERNAME": "un"}, "u"},
		{map[string]string{"LNAME": "n", "USERNAME": "un"}, "n"},
		{map[string]string{"USERNAME": "un"}, "un"},
		{map[string]string{}, "from-passwd"},
	}
	for _, tt := range tests {
		pyEnv(t, tt.env)
		assert.Equal(t, []string{tt.want}, pyPrints(t, "import getpass\nprint(getpass.getuser())"))
	}
	pyEnv(t, map[string]string{})
	pythonCurrentUser = func() (*user.User, error) { return nil, errors.New("no passwd") }
	_, err := pyRun(t, "import getpass\nx = getpass.getuser()")
	assert.ErrorContains(t, err, "p.aurora:2:20: getpass.getuser: cannot tell which user runs the client: set USER")
}

func TestOSPathLikePython(t *testing.T) {
	// The answers of Python 3's posixpath.
	tests := []struct{ call, want string }{
		{"join('a')", "a"},
		{"join('a', 'b', 'c')", "a/b/c"},
		{"join('a/', 'b')", "a/b"},
		{"join('a', '/b', 'c')", "/b/c"},
		{"join('', 'b')", "b"},
		{"join('a', '')", "a/"},
		{"basename('/a/b')", "b"},
		{"basename('/a/b/')", ""},
		{"basename('b')", "b"},
		{"dirname('/a/b')", "/a"},
		{"dirname('/a/b/')", "/a/b"},
		{"dirname('/a')", "/"},
		{"dirname('//a')", "//"},
		{"dirname('a//b')", "a"},
		{"dirname('b')", ""},
		{"split('/a/b')", `("/a", "b")`},
		{"split('b')", `("", "b")`},
		{"splitext('a/b.tar.gz')", `("a/b.tar", ".gz")`},
		{"splitext('.bashrc')", `(".bashrc", "")`},
		{"splitext('a.d/b')", `("a.d/b", "")`},
		{"splitext('..x')", `("..x", "")`},
		{"splitext('a.')", `("a", ".")`},
		{"isabs('/a')", "True"},
		{"isabs('a')", "False"},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			assert.Equal(t, []string{tt.want}, pyPrints(t, "import os.path\nprint(os.path."+tt.call+")"))
		})
	}
}
