package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyProfile is a Struct class most tests use.
const pyProfile = `
class Profile(Struct):
  role      = Default(String, 'www-data')
  instances = Default(Integer, 1)
  cmd       = Required(String)
  tags      = Default(List(String), [])
  env       = Default(Map(String, String), {})
  cpu       = Default(Float, 0.5)
  debug     = Default(Boolean, False)
  note      = String
`

// pyJobWith is a job with a process running cmdline, bound to profile.
func pyJobWith(profile, cmdline string) string {
	return "jobs = [Job(cluster='c', role='{{profile.role}}', environment='e', name='n', instances='{{profile.instances}}'," +
		" task=Task(processes=[Process(name='p', cmdline='" + cmdline + "')]," +
		" resources=Resources(cpu='{{profile.cpu}}', ram=MB, disk=MB))).bind(profile=" + profile + ")]\n"
}

func TestStructFieldsAndDefaults(t *testing.T) {
	got := pyPrints(t, pyProfile+`
p = Profile(cmd = 'run')
print(p.role, p.instances, p.cmd, p.tags, p.env, p.cpu, p.debug, p.note)
print(p.has_cmd(), p.has_note(), Profile(cmd = 'x', note = 'n').has_note())
print(type(p), type(Profile), type(String), p)
q = p(instances = 4, tags = ['a', 'b'], env = {'K': 'V'})
print(q.instances, q.tags, q.env['K'], p.instances, q.cmd)
d = Profile({'cmd': 'from a dict', 'instances': 2}, debug = True)
print(d.cmd, d.instances, d.debug)
print(dir(p)[:3], hasattr(p, 'nope'), getattr(p, 'cmd'))
`)
	assert.Equal(t, []string{
		`www-data 1 run [] {} 0.5 False None`,
		`True False True`,
		`Profile class type Profile(role="www-data", instances=1, cmd="run", tags=[], env...`,
		`4 ["a", "b"] V 1 run`,
		`from a dict 2 True`,
		`["bind", "cmd", "cpu"] False run`,
	}, got)
}

func TestStructCoercion(t *testing.T) {
	// Pystachio's conversions: a value is checked against its field's type.
	tests := []struct {
		field, value, want string
	}{
		{"role", "5", "5"},
		{"role", "1.5", "1.5"},
		{"role", "True", "True"},
		{"instances", "'7'", "7"},
		{"instances", "' 7 '", "7"},
		{"instances", "3.0", "3"},
		{"instances", "True", "1"},
		{"instances", "'{{n}}'", "{{n}}"},
		{"cpu", "2", "2.0"},
		{"cpu", "'0.25'", "0.25"},
		{"cpu", "'{{c}}'", "{{c}}"},
		{"debug", "1", "True"},
		{"debug", "0.0", "False"},
		{"debug", "'true'", "True"},
		{"debug", "'FALSE'", "False"},
		{"debug", "'1'", "True"},
		{"tags", "('a', 1, 2.5)", `["a", "1", "2.5"]`},
		{"env", "{'a': 1, 2: 'b'}", `{"a": "1", "2": "b"}`},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.value, func(t *testing.T) {
			got := pyPrints(t, pyProfile+"print(Profile(cmd='x', "+tt.field+"="+tt.value+")."+tt.field+")")
			assert.Equal(t, []string{tt.want}, got)
		})
	}
}

func TestStructRefusesWrongTypes(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"string to integer", "Profile(cmd='x', instances='x')", `p.aurora:11:12: Profile.instances: "x" is not an Integer`},
		{"fraction to integer", "Profile(cmd='x', instances=1.5)", `Profile.instances: 1.5 is not an Integer`},
		{"list to integer", "Profile(cmd='x', instances=[1])", `Profile.instances: a list is not an Integer`},
		{"none to string", "Profile(cmd=None)", `Profile.cmd: None is not a String`},
		{"list to string", "Profile(cmd=['x'])", `Profile.cmd: a list is not a String`},
		{"text to float", "Profile(cmd='x', cpu='fast')", `Profile.cpu: "fast" is not a Float`},
		{"nan to float", "Profile(cmd='x', cpu='nan')", `Profile.cpu: "nan" is not a Float`},
		{"text to boolean", "Profile(cmd='x', debug='maybe')", `Profile.debug: "maybe" is not a Boolean`},
		{"string to list", "Profile(cmd='x', tags='a')", `Profile.tags: "a" is not a List(String)`},
		{"element of a list", "Profile(cmd='x', tags=['a', None])", `Profile.tags[1]: None is not a String`},
		{"list to map", "Profile(cmd='x', env=[])", `Profile.env: a list is not a Map(String, String)`},
		{"value of a map", "Profile(cmd='x', env={'k': [1]})", `Profile.env["k"]: a list is not a String`},
		{"unknown field", "Profile(cmd='x', instance=2)", `p.aurora:11:12: Profile: unknown field "instance" (fields: role, instances, cmd, tags, env, cpu, debug, note)`},
		{"unknown field on a copy", "Profile(cmd='x')(cmdd='y')", `p.aurora:11:21: Profile: unknown field "cmdd"`},
		{"wrong type on a copy", "Profile(cmd='x')(instances='y')", `p.aurora:11:21: Profile.instances: "y" is not an Integer`},
		{"positional", "Profile('x')", `Profile: takes name=value arguments or a dict of fields, got string`},
		{"dict keys", "Profile({1: 'x'})", `Profile: field names are strings, got int`},
		{"required read", "Profile().cmd", `p.aurora:11:14: Profile.cmd is required`},
		{"struct called", "Struct(a=1)", `Struct: Struct is the base of Struct classes`},
		{"bind positional", "Profile(cmd='x').bind(1)", `Profile.bind: takes name=value arguments or a dict, got int`},
		{"has with argument", "Profile(cmd='x').has_cmd(1)", `Profile.has_cmd: got 1 arguments, want 0`},
		{"no attribute", "Profile(cmd='x').cmdd", `Profile has no .cmdd field or method (did you mean .cmd?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pyRun(t, pyProfile+"x = "+tt.src)
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestStructClassRefuses(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"default of the wrong type", "class P(Struct):\n  a = Default(String, 'x')\n  n = Default(Integer, 'many')\n", `p.aurora:3:3: P.n: "many" is not an Integer`},
		{"default in a list", "class P(Struct):\n  l = Default(List(Integer),\n      [1, 'x'])\n", `p.aurora:2:3: P.l[1]: "x" is not an Integer`},
		{"not a signature", "class P(Struct):\n  a = 'x'\n", `p.aurora:2:3: P.a: want Default(Type, value), Required(Type) or a type, got string`},
		{"not a Struct base", "Base = 1\nclass P(Base):\n  a = String\n", `p.aurora:2:1: class P: its base is a int, not Struct or a Struct class`},
		{"Default of a value", "class P(Struct):\n  a = Default('x', 1)\n", `p.aurora:2:14: Default: want a type (String, Integer, Float, Boolean, List(T), Map(K, V) or a Struct class), got string`},
		{"Default without value", "class P(Struct):\n  a = Default(String)\n", `p.aurora:2:14: Default: got 1 arguments, want 2`},
		{"Required of Struct", "class P(Struct):\n  a = Required(Struct)\n", `Required: want a type; Struct is the base of Struct classes`},
		{"List of a value", "x = List(1)", `List: want a type`},
		{"Map of one type", "x = Map(String)", `Map: got 1 arguments, want 2`},
		{"types nest too deeply", "t = String\nfor i in range(200):\n  t = List(t)\n", `List: types nest more than 100 levels deep`},
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

func TestStructSubclassAndNested(t *testing.T) {
	got := pyPrints(t, pyProfile+`
class Endpoint(Struct):
  port_name = Default(String, 'http')
  path      = Default(String, '/')

class WebProfile(Profile):
  instances = Default(Integer, 2)
  endpoint  = Default(Endpoint, Endpoint())
  upstreams = Default(List(Endpoint), [])

class AdminProfile(WebProfile):
  endpoint = Default(Endpoint, {'port_name': 'admin'})

w = WebProfile(cmd = 'serve', endpoint = {'path': '/api'}, upstreams = [Endpoint(), {'port_name': 'grpc'}])
print(w.instances, w.role, w.endpoint.path, w.endpoint.port_name, w.upstreams[1].port_name)
a = AdminProfile(cmd = 'admin')
print(a.instances, a.endpoint.port_name, a.endpoint.path)
# an object of a subclass is an object of its base
holder = Map(String, Profile)({'web': w, 'admin': a})
print(holder['admin'].cmd, type(holder['web']))
`)
	assert.Equal(t, []string{
		"2 www-data /api http grpc",
		"2 admin /",
		"admin WebProfile",
	}, got)
	_, err := pyRun(t, pyProfile+"class Other(Struct):\n  a = String\nx = Map(String, Profile)({'o': Other()})")
	assert.ErrorContains(t, err, `Map(String, Profile)["o"]: Other(...) is not a Profile`)
}

func TestStructTypesConvert(t *testing.T) {
	got := pyPrints(t, `
print(Integer('3') + 1, Float(2), String(5), Boolean('false'))
print(List(Integer)(['1', 2]), Map(String, Integer)({'a': '1'}))
print(List(String), Map(String, List(Integer)), Integer)
`)
	assert.Equal(t, []string{
		`4 2.0 5 False`,
		`[1, 2] {"a": 1}`,
		`List(String) Map(String, List(Integer)) Integer`,
	}, got)
	_, err := pyRun(t, "x = Integer('three')")
	assert.ErrorContains(t, err, `Integer: "three" is not an Integer`)
}

func TestStructTemplates(t *testing.T) {
	// A Struct fills in its own fields ({{name}}, {{self.name}}), then its
	// binds; the job fills in the rest.
	tests := []struct {
		name, src, cmdline, want string
		instances                int
	}{
		{"own fields", `
class Python(Struct):
  version = Required(String)
  base    = Default(String, 'Python-{{version}}')
  package = Default(String, '{{base}}.tar.bz2')
P = Python(version = '2.7.3')
`, "fetch {{profile.package}}", "fetch Python-2.7.3.tar.bz2", 1},
		{"self", `
class S(Struct):
  name = Default(String, 'x')
  cmd  = Default(String, 'run {{self.name}}')
  role = Default(String, 'r')
P = S()
`, "{{profile.cmd}}", "run x", 1},
		{"override changes what refers to it", `
class Profile(Struct):
  environment = Default(String, 'prod')
  dataset     = Default(String, 'hdfs://data/{{environment}}')
  role        = Default(String, 'r')
P = Profile()(environment = 'devel')
`, "{{profile.dataset}}", "hdfs://data/devel", 1},
		{"integer from a reference", `
class S(Struct):
  count     = Default(Integer, 3)
  instances = Default(Integer, '{{count}}')
  role      = Default(String, 'r')
P = S(count = 5)
`, "x", "x", 5},
		{"binds of the struct", `
class S(Struct):
  cmd  = Default(String, 'run {{what}}')
  role = Default(String, 'r')
P = S().bind(what = 'tests')
`, "{{profile.cmd}}", "run tests", 1},
		{"left for the job", `
class S(Struct):
  cmd  = Default(String, 'run {{role}} {{mesos.instance}}')
  role = Default(String, 'r')
P = S()
`, "{{profile.cmd}}", "run r {{mesos.instance}}", 1},
		{"job's own fields", `
class S(Struct):
  cmd  = Default(String, 'in {{environment}}')
  role = Default(String, 'r')
P = S()
`, "{{profile.cmd}}", "in e", 1},
		{"nested struct sees its parent", `
class Db(Struct):
  host = Default(String, 'db-{{environment}}')
class S(Struct):
  environment = Default(String, 'staging')
  db   = Default(Db, Db())
  role = Default(String, 'r')
P = S()
`, "{{profile.db.host}}", "db-staging", 1},
		{"lists and maps", `
class S(Struct):
  hosts = Default(List(String), ['a', '{{zone}}-b'])
  env   = Default(Map(String, String), {'ZONE': '{{zone}}'})
  zone  = Default(String, 'eu')
  role  = Default(String, 'r')
P = S()
`, "{{profile.hosts[1]}} {{profile.env[ZONE]}}", "eu-b eu", 1},
		{"in a list of binds", `
class S(Struct):
  role = Default(String, 'r')
  cmd  = Default(String, 'go')
P = [S(), S(cmd = 'stop')]
`, "{{profile[1].cmd}}", "stop", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src + "jobs = [Job(cluster='c', role='r', environment='e', name='n', instances=" +
				map[bool]string{true: "'{{profile.instances}}'", false: "1"}[tt.instances != 1] +
				", task=Task(processes=[Process(name='p', cmdline='" + tt.cmdline + "')]," +
				" resources=Resources(cpu=1, ram=MB, disk=MB))).bind(profile=P)]\n"
			jobs, err := LoadBytes("p.aurora", []byte(src), LoadOptions{})
			require.NoError(t, err)
			require.Len(t, jobs, 1)
			assert.Equal(t, tt.want, jobs[0].Task.Processes[0].Cmdline)
			assert.Equal(t, "r", jobs[0].Role)
			assert.Equal(t, tt.instances, jobs[0].Instances)
		})
	}
}

func TestStructBoundIntoJobs(t *testing.T) {
	src := pyProfile + `
P = Profile(cmd = 'python app.py', instances = 3, cpu = 2, tags = ['x', 'y'], env = {'HOME': '/h'})
` + pyJobWith("P", "{{profile.cmd}} {{profile.tags[1]}} {{profile.env[HOME]}} {{profile.debug}}")
	jobs, err := LoadBytes("p.aurora", []byte(src), LoadOptions{})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	j := jobs[0]
	assert.Equal(t, "c/www-data/e/n", j.Key())
	assert.Equal(t, 3, j.Instances)
	assert.Equal(t, 2.0, j.Task.Resources.CPU)
	assert.Equal(t, "python app.py y /h False", j.Task.Processes[0].Cmdline)
}

func TestStructRequiredWhenBound(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing", "P = Profile()\n" + pyJobWith("P", "x"), "p.aurora:11:12: Profile.cmd is required"},
		{"missing in a copy", "B = Profile(instances = 2)\nP = B(role = 'x')\n" + pyJobWith("P", "x"), "p.aurora:12:6: Profile.cmd is required"},
		{"missing in a nested struct", "class Outer(Struct):\n  inner = Required(Profile)\n  role = Default(String, 'r')\nP = Outer(inner = {'role': 'x'})\n" + pyJobWith("P", "x"),
			"p.aurora:14:10: Profile.cmd is required"},
		{"nested missing", "class Outer(Struct):\n  inner = Required(Profile)\n  role = Default(String, 'r')\nP = Outer()\n" + pyJobWith("P", "x"),
			"p.aurora:14:10: Outer.inner is required"},
		{"a loop", "class S(Struct):\n  a = Default(String, '{{b}}')\n  b = Default(String, '{{a}}')\n  role = Default(String, 'r')\nP = S()\n" + pyJobWith("P", "{{profile.a}}"),
			"p.aurora:15:6: S.a: templates nest too deeply (is there a loop?)"},
		{"not an integer once filled", "class S(Struct):\n  n = Default(String, 'x')\n  instances = Default(Integer, '{{n}}')\n  role = Default(String, 'r')\nP = S()\n" + pyJobWith("P", "x"),
			`p.aurora:15:6: S.instances: "x" is not an Integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("p.aurora", []byte(pyProfile+tt.src), LoadOptions{})
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestStructUnusedFactoryNeedNotBeComplete(t *testing.T) {
	// Structurals are factories: one without its Required fields is fine
	// until it is bound.
	src := pyProfile + "BASE = Profile(instances = 2)\nP = BASE(cmd = 'run')\n" + pyJobWith("P", "{{profile.cmd}}")
	jobs, err := LoadBytes("p.aurora", []byte(src), LoadOptions{})
	require.NoError(t, err)
	assert.Equal(t, 2, jobs[0].Instances)
	assert.Equal(t, "run", jobs[0].Task.Processes[0].Cmdline)
}

func TestStructValuesAreImmutable(t *testing.T) {
	_, err := pyRun(t, pyProfile+"p = Profile(cmd = 'x', tags = ['a'])\np.tags.append('b')\n")
	assert.ErrorContains(t, err, "p.aurora:12:14: append: cannot append to frozen list")
	// The list given is copied, not frozen.
	got := pyPrints(t, pyProfile+"l = ['a']\np = Profile(cmd = 'x', tags = l)\nl.append('b')\nprint(l, p.tags)\n")
	assert.Equal(t, []string{`["a", "b"] ["a"]`}, got)
}

func TestStructShownShort(t *testing.T) {
	// The guards count a value's text as at most 64 bytes.
	got := pyPrints(t, pyProfile+"p = Profile(cmd = 'x' * 1000, note = 'y' * 1000)\nprint(len(str(p)), len(str([p] * 10)))\n")
	assert.Equal(t, []string{"64 660"}, got)
}

func TestPythonNamesDoNotShadow(t *testing.T) {
	// Python's names sit beside Aurora's schema and the guards, replacing
	// none of them.
	py := pythonPredeclared()
	for name := range schemaPredeclared() {
		assert.NotContains(t, py, name)
	}
	for _, name := range auroraName {
		assert.NotContains(t, py, name)
	}
	for name := range py {
		assert.NotContains(t, []string{"Service", "SequentialTask", "order", "B", "KB", "MB", "GB", "TB"}, name)
		assert.NotContains(t, name, guardPrefix)
	}
	for _, name := range []string{"Struct", "Default", "Required", "String", "Integer", "Float", "Boolean", "List", "Map"} {
		assert.Contains(t, auroraPredeclared(), name)
	}
}
