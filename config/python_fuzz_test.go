package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzPythonLoad drives the Aurora loader from Python's statements and
// Pystachio's idioms (python_*.go), as FuzzLoad does from its seeds: it
// must never panic, must fail only with *Errors, and must return only
// valid jobs; a translation must keep the file's lines. (Its name does not
// start with FuzzLoad, so that -fuzz FuzzLoad still names one target.)
func FuzzPythonLoad(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "aurora", "python_*.aurora"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no python_*.aurora seeds: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, src := range []string{
		"import os, getpass\nfrom os.path import (join,\n  basename as b)\nx = os.environ.get('HOME', '/'); y = os.getenv('USER', 'nobody'); z = join('a', b('c/d'))\n",
		"from __future__ import print_function\nimport socket\n",
		"class P(Struct):\n  '''Doc.'''\n  a = Default(Integer, 1)\n  b = Required(String)\n  c = Default(List(String), [])\n  d = Default(Map(String, String), {})\n" +
			"class Q(P):\n  e = Default(P, {'b': '{{a}}'})\n" + pyMinimalJobs[:len(pyMinimalJobs)-1] + ".bind(p=Q(b='x'))\n",
		"class P(Struct): a = Default(String, '{{b}}'); b = Default(String, '{{a}}')\njobs = [Job().bind(p=P())]\n",
		"class P(Struct):\n  pass\nx = P() 'a' 'b'\n",
		"class P(\n  Struct):\n    a = Default(Integer,\n  '{{x}}')\n\tb = String\n",
		"def f():\n  import os\n  class P(Struct):\n    a = String\n  return P(a=os.sep)\njobs=[f()]\n",
		"xs = [1, 2]\nn = sum(x * x for x in xs)\ng = (x for x in xs if x)\nok = any(str(x).startswith('1') for x in g)\n" +
			"task = Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB))\n" +
			"jobs = []\njobs.extend(Job(cluster='c%d' % c, role='r', environment='e', name='n', task=task)\n  for c in xs)\n",
		"d = dict((k, v) for k, v in [('a', 1)])\nx = sorted(a for a in d, reverse = True)\ny = f(((a for a in b)) for b in c\n",
		"with open('f') as f:\n  pass\ntry:\n  del x\nexcept:\n  raise\nassert x is not None, 'x'\nprint 'x'\n",
		"def f():\n  global n\n  yield (yield)\nasync def g(): await f()\nx = open('x'); y = __import__('os')\n",
	} {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if out, errs := pyTranslate("fuzz.aurora", data); len(errs) == 0 && pyCountLineBreaks(string(out)) != pyCountLineBreaks(string(data)) {
			t.Fatalf("translation changed the lines:\n%q\n%q", data, out)
		}
		fuzzLoad(t, "fuzz.aurora", data)
	})
}
