package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func load(t *testing.T, name, src string, binds map[string]string) ([]*Job, error) {
	t.Helper()
	return LoadBytes(name, []byte(src), LoadOptions{Binds: binds})
}

func mustLoad(t *testing.T, name, src string) []*Job {
	t.Helper()
	jobs, err := load(t, name, src, nil)
	require.NoError(t, err)
	return jobs
}

func TestHelloWorldExample(t *testing.T) {
	for _, file := range []string{"hello_world.aurora", "hello_world.yaml"} {
		t.Run(file, func(t *testing.T) {
			jobs, err := Load(filepath.Join("..", "examples", "jobs", file), LoadOptions{})
			require.NoError(t, err)
			require.Len(t, jobs, 1)
			j := jobs[0]
			assert.Equal(t, "devcluster/www-data/prod/hello", j.Key())
			assert.True(t, j.Service)
			require.Len(t, j.Task.Processes, 1)
			p := j.Task.Processes[0]
			assert.Equal(t, "hello", p.Name)
			assert.Contains(t, p.Cmdline, "echo hello world")
			assert.Equal(t, "hello", j.Task.Name)
			assert.Equal(t, &Resources{CPU: 1.0, RAM: 134217728, Disk: 134217728}, j.Task.Resources)
			assert.Equal(t, []Constraint{{Order: []string{"hello"}}}, j.Task.Constraints)
			assert.Equal(t, DefaultHealthCheckConfig(), j.HealthCheckConfig)
			assert.Equal(t, DefaultUpdateConfig(), j.UpdateConfig)
			assert.Equal(t, 1, j.Instances)
			assert.Equal(t, HealthCheckerNone, j.HealthChecker())
		})
	}
}

func TestSeedPortSnippets(t *testing.T) {
	for _, port := range []string{"http", "health"} {
		src := `
nginx = Process(
  name = 'nginx',
  cmdline = './run_nginx.sh -port {{thermos.ports[` + port + `]}}'
)
jobs = [Service(cluster='devcluster', role='www-data', environment='prod',
  task=Task(processes=[nginx], resources=Resources(cpu=1, ram=64*MB, disk=64*MB)))]
`
		j := mustLoad(t, "nginx.aurora", src)[0]
		assert.Equal(t, "./run_nginx.sh -port {{thermos.ports["+port+"]}}", j.Task.Processes[0].Cmdline)
		assert.Equal(t, []string{port}, j.Task.PortNames())
		assert.Equal(t, "devcluster/www-data/prod/nginx", j.Key())
	}
	j := mustLoad(t, "n.aurora", `jobs=[Service(cluster='c', role='r', environment='e', task=Task(processes=[Process(name='nginx', cmdline='./run_nginx.sh -port {{thermos.ports[health]}}')], resources=Resources(cpu=1, ram=MB, disk=MB)))]`)[0]
	assert.Equal(t, HealthCheckerHTTP, j.HealthChecker())
}

// The same job in every format loads to the same model.
func TestFormatsAgree(t *testing.T) {
	aurora := `
web = Process(name='web', cmdline='serve --port {{thermos.ports[http]}} --env {{environment}}', daemon=True)
setup = Process(name='setup', cmdline='echo setup for {{role}}', max_failures=3)
cleanup = Process(name='cleanup', cmdline='echo bye', final=True)
task = Task(
  name='webtask',
  processes=[setup, web, cleanup],
  constraints=[order(setup, 'web')],
  resources=Resources(cpu=0.5, ram=256*MB, disk=1*GB, gpu=0),
  finalization_wait=10)
jobs = [Service(
  cluster='local', role='www', environment='test', name='web', instances=3,
  task=task,
  container=Docker(image='borealis/demo:latest', parameters=[Parameter(name='env', value='A=1')]),
  health_check_config=HealthCheckConfig(
    health_checker=HealthCheckerConfig(shell=ShellHealthChecker(shell_command='true')),
    interval_secs=5, initial_interval_secs=10, max_consecutive_failures=2),
  update_config=UpdateConfig(watch_secs=0, max_total_failures=1,
    update_strategy=VariableBatchUpdateStrategy(batch_sizes=[1, 2], autopause_after_batch=True),
    pulse_interval_secs=60, update_order='start_first', sla_aware=True),
  sla_policy=CountSlaPolicy(count=2, duration_secs=30),
  announce=Announcer(primary_port='http'),
  metadata=[Metadata(key='team', value='infra')],
  constraints={'host': 'limit:1'},
  contact='ops@example.com', tier='preferred', priority=5, production=True,
  lifecycle=LifecycleConfig(http=HttpLifecycleConfig(graceful_shutdown_wait_secs=3)),
)]
`
	yml := `
jobs:
  - cluster: local
    role: www
    environment: test
    name: web
    instances: 3
    service: true
    task:
      name: webtask
      processes:
        - {name: setup, cmdline: "echo setup for {{role}}", max_failures: 3}
        - {name: web, cmdline: "serve --port {{thermos.ports[http]}} --env {{environment}}", daemon: true}
        - {name: cleanup, cmdline: echo bye, final: true}
      constraints: [{order: [setup, web]}]
      resources: {cpu: 0.5, ram: 256MB, disk: 1GB, gpu: 0}
      finalization_wait: 10
    container: {docker: {image: "borealis/demo:latest", parameters: [{name: env, value: A=1}]}}
    health_check_config:
      health_checker: {shell: {shell_command: "true"}}
      interval_secs: 5
      initial_interval_secs: 10
      max_consecutive_failures: 2
    update_config:
      watch_secs: 0
      max_total_failures: 1
      update_strategy: {variable_batch: {batch_sizes: [1, 2], autopause_after_batch: true}}
      pulse_interval_secs: 60
      update_order: start_first
      sla_aware: true
    sla_policy: {count: {count: 2, duration_secs: 30}}
    announce: {primary_port: http}
    metadata: [{key: team, value: infra}]
    constraints: {host: "limit:1"}
    contact: ops@example.com
    tier: preferred
    priority: 5
    production: true
    lifecycle: {http: {graceful_shutdown_wait_secs: 3}}
`
	json := `{"jobs": [{
  "cluster": "local", "role": "www", "environment": "test", "name": "web", "instances": 3, "service": true,
  "task": {"name": "webtask",
    "processes": [
      {"name": "setup", "cmdline": "echo setup for {{role}}", "max_failures": 3},
      {"name": "web", "cmdline": "serve --port {{thermos.ports[http]}} --env {{environment}}", "daemon": true},
      {"name": "cleanup", "cmdline": "echo bye", "final": true}],
    "constraints": [{"order": ["setup", "web"]}],
    "resources": {"cpu": 0.5, "ram": 268435456, "disk": "1GB", "gpu": 0},
    "finalization_wait": 10},
  "container": {"docker": {"image": "borealis/demo:latest", "parameters": [{"name": "env", "value": "A=1"}]}},
  "health_check_config": {"health_checker": {"shell": {"shell_command": "true"}},
    "interval_secs": 5, "initial_interval_secs": 10, "max_consecutive_failures": 2},
  "update_config": {"watch_secs": 0, "max_total_failures": 1,
    "update_strategy": {"variable_batch": {"batch_sizes": [1, 2], "autopause_after_batch": true}},
    "pulse_interval_secs": 60, "update_order": "start_first", "sla_aware": true},
  "sla_policy": {"count": {"count": 2, "duration_secs": 30}},
  "announce": {"primary_port": "http"},
  "metadata": [{"key": "team", "value": "infra"}],
  "constraints": {"host": "limit:1"},
  "contact": "ops@example.com", "tier": "preferred", "priority": 5, "production": true,
  "lifecycle": {"http": {"graceful_shutdown_wait_secs": 3}}}]}`

	fromAurora := mustLoad(t, "web.aurora", aurora)
	fromYAML := mustLoad(t, "web.yml", yml)
	fromJSON := mustLoad(t, "web.json", json)
	assert.Equal(t, fromAurora, fromYAML)
	assert.Equal(t, fromAurora, fromJSON)

	j := fromAurora[0]
	assert.Equal(t, "echo setup for www", j.Task.Processes[0].Cmdline)
	assert.Equal(t, "serve --port {{thermos.ports[http]}} --env test", j.Task.Processes[1].Cmdline)
	assert.Equal(t, HealthCheckerShell, j.HealthChecker())
	assert.Equal(t, intPtr(60), j.UpdateConfig.PulseIntervalSecs)
	assert.True(t, j.UpdateConfig.SlaAware)
	assert.Equal(t, &SlaPolicy{Count: &CountSlaPolicy{Count: 2, DurationSecs: 30}}, j.SlaPolicy)
}

func TestAuroraLanguage(t *testing.T) {
	src := `
base = Process(name='base', cmdline='echo {{greeting}}', max_failures=2)
a = base(name='a').bind(greeting='hi')
b = base(name='b', cmdline='echo ' + base.name).bind({'greeting': 'unused'})
names = set([a.name, b.name])
i = 0
while i < 2:
    i += 1
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)
procs = []
for p in [a, b]:
    procs.append(p)
if fact(4) == 24 and a.max_failures == 2 and a.min_duration == 5 and len(names) == 2:
    task = Task(processes=procs, constraints=[order(a, b)], resources=Resources(cpu=1.5, ram=0.5*GB, disk=2*GB))
jobs = [Job(cluster='c', role='r', environment='e', task=task, name=task.name + '-job',
            update_config=UpdateConfig(update_strategy=BatchUpdateStrategy(batch_size=2, autopause_after_batch=True)),
            container=Container(docker=Docker(image='busybox')))]
`
	j := mustLoad(t, "lang.aurora", src)[0]
	assert.Equal(t, "c/r/e/a-job", j.Key())
	assert.Equal(t, []Process{
		{Name: "a", Cmdline: "echo hi", MaxFailures: 2, MinDuration: 5},
		{Name: "b", Cmdline: "echo base", MaxFailures: 2, MinDuration: 5},
	}, j.Task.Processes)
	assert.Equal(t, []Constraint{{Order: []string{"a", "b"}}}, j.Task.Constraints)
	assert.Equal(t, &Resources{CPU: 1.5, RAM: GB / 2, Disk: 2 * GB}, j.Task.Resources)
	assert.Equal(t, &UpdateStrategy{Batch: &BatchUpdateStrategy{BatchSize: 2, AutopauseAfterBatch: true}}, j.UpdateConfig.UpdateStrategy)
	assert.Equal(t, &Container{Docker: &Docker{Image: "busybox"}}, j.Container)
}

func TestSequentialTask(t *testing.T) {
	j := mustLoad(t, "s.aurora", `
ps = [Process(name=n, cmdline='true') for n in ['x', 'y', 'z']]
jobs = [Job(cluster='c', role='r', environment='e', task=SequentialTask(processes=ps, resources=Resources(cpu=1, ram=MB, disk=MB)))]
`)[0]
	assert.Equal(t, []Constraint{{Order: []string{"x", "y", "z"}}}, j.Task.Constraints)
	assert.Equal(t, "x", j.Name)

	_, err := load(t, "s.aurora", `
p = Process(name='x', cmdline='true')
t = SequentialTask(processes=[p], constraints=[order(p)])
jobs = []
`, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "s.aurora:3:19: SequentialTask: constraints given")
}

func TestFormatByExtension(t *testing.T) {
	_, err := load(t, "job.toml", "x = 1", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown config format ".toml"`)
	assert.True(t, IsConfigError(err))
	assert.Equal(t, FormatAurora, FormatOf("a/b.AURORA"))
	assert.Equal(t, FormatYAML, FormatOf("x.yml"))
	assert.Equal(t, FormatJSON, FormatOf("x.json"))
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.aurora"), LoadOptions{})
	require.Error(t, err)
	assert.True(t, IsConfigError(err))
	assert.Contains(t, err.Error(), "cannot read config")
}

func TestLoadFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.yaml")
	require.NoError(t, os.WriteFile(path, []byte(validYAML), 0o600))
	jobs, err := Load(path, LoadOptions{})
	require.NoError(t, err)
	assert.Equal(t, "c/r/e/p", jobs[0].Key())
}

const validYAML = `
jobs:
  - cluster: c
    role: r
    environment: e
    task:
      processes: [{name: p, cmdline: run}]
      resources: {cpu: 1, ram: 16MB, disk: 16MB}
`

func TestSelectJob(t *testing.T) {
	jobs := mustLoad(t, "two.aurora", `
t = Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB))
jobs = [Job(cluster='c', role='r', environment=env, name='n', task=t) for env in ['prod', 'devel']]
`)
	j, err := SelectJob(jobs, "c/r/devel/n")
	require.NoError(t, err)
	assert.Equal(t, "devel", j.Environment)
	assert.Nil(t, Find(jobs, "c/r/test/n"))

	_, err = SelectJob(jobs, "c/r/test/n")
	require.Error(t, err)
	assert.True(t, IsConfigError(err))
	assert.Contains(t, err.Error(), "job c/r/test/n not found; the config defines: c/r/devel/n, c/r/prod/n")
}

func TestErrorsType(t *testing.T) {
	_, err := load(t, "bad.yaml", `
jobs:
  - cluster: c
    role: r
    environment: e
    instances: 0
    task:
      processes: [{name: p, cmdline: run}]
      resources: {cpu: 1, ram: 16MB, disk: 16MB}
    update_config: {batch_size: 0}
`, nil)
	var ce *Errors
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, []FieldError{
		{Path: "jobs[0].instances", Msg: "must be > 0, got 0"},
		{Path: "jobs[0].update_config.batch_size", Msg: "must be > 0, got 0"},
	}, ce.List)
	assert.Equal(t, "jobs[0].instances: must be > 0, got 0\njobs[0].update_config.batch_size: must be > 0, got 0", err.Error())
	var fe FieldError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, "jobs[0].instances", fe.Path)
	assert.False(t, IsConfigError(errors.New("other")))
}

// Malformed configs: every error names the field (or file:line) at fault.
func TestMalformed(t *testing.T) {
	const task = `task=Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB))`
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"aurora syntax error", "a.aurora", "jobs = [Job(\n", []string{"a.aurora:2:1:"}},
		{"aurora runtime error", "a.aurora", "x = 1\ny = x + 'a'\njobs=[]", []string{"a.aurora:2:7: unknown binary op: int + string"}},
		{"aurora undefined name", "a.aurora", "jobs = [Jobb()]", []string{"a.aurora:1:9: undefined: Jobb"}},
		{"aurora unknown kwarg", "a.aurora", "p = Process(name='p',\n  cmdlin='x')\njobs=[]", []string{`a.aurora:1:12: Process: unknown field "cmdlin"`}},
		{"aurora unknown kwarg on copy", "a.aurora", "p = Process(name='p')\nq = p(nme='x')\njobs=[]", []string{`a.aurora:2:6: Process: unknown field "nme"`}},
		{"aurora positional", "a.aurora", "p = Process('p')\njobs=[]", []string{"a.aurora:1:12: Process: takes keyword arguments only"}},
		{"aurora no jobs", "a.aurora", "x = 1", []string{"a.aurora: no jobs"}},
		{"aurora jobs not list", "a.aurora", "jobs = 3", []string{"jobs: expected a list of Job, got integer 3"}},
		{"aurora wrong kind", "a.aurora", "jobs = [Process(name='x')]", []string{"jobs[0]: expected Job, got Process"}},
		{"aurora wrong nested kind", "a.aurora", "jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[Process(name='p', cmdline='x')], resources=Process()))]",
			[]string{"jobs[0].task.resources: expected Resources, got Process"}},
		{"aurora wrong type", "a.aurora", "jobs = [Job(cluster='c', role='r', environment='e', instances='many', " + task + ")]",
			[]string{`jobs[0].instances: expected an integer, got string "many"`}},
		{"aurora function value", "a.aurora", "def f(): pass\njobs = [Job(cluster=f)]", []string{"jobs: Job.cluster: cannot use a function as a config value"}},
		{"aurora load", "a.aurora", "load('x.star', 'y')\njobs=[]", []string{"load() is not supported"}},
		{"aurora missing required", "a.aurora", "jobs = [Job(task=Task(processes=[Process()]))]", []string{
			"jobs[0].cluster: is required", "jobs[0].role: is required", "jobs[0].environment: is required", "jobs[0].name: is required",
			"jobs[0].task.processes[0].name: is required", "jobs[0].task.processes[0].cmdline: is required", "jobs[0].task.resources: is required"}},
		{"aurora order with unnamed process", "a.aurora", "c = order(Process(cmdline='x'))\njobs=[]", []string{"a.aurora:1:10: order: argument 1"}},
		{"yaml syntax error", "a.yaml", "jobs: [\n", []string{"a.yaml:"}},
		{"yaml not a mapping", "a.yaml", "- 1\n", []string{"a.yaml: expected a mapping with a jobs list, got list"}},
		{"yaml empty", "a.yaml", "", []string{"jobs: is required"}},
		{"yaml top-level unknown", "a.yaml", "job: []\n", []string{"job: unknown field", "jobs: is required"}},
		{"yaml unknown nested field", "a.yaml", `
jobs:
  - cluster: c
    role: r
    environment: e
    task:
      processes: [{name: p, cmdline: x}, {name: q, cmdlin: y}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
`, []string{"jobs[0].task.processes[1].cmdlin: unknown field", "jobs[0].task.processes[1].cmdline: is required"}},
		{"yaml wrong types", "a.yaml", `
jobs:
  - cluster: [c]
    role: r
    environment: e
    service: maybe
    task:
      processes: {name: p}
      resources: {cpu: fast, ram: lots, disk: 1MB}
    health_check_config: {health_checker: {tcp: {}}}
    update_config: {update_strategy: {queue: {batch_size: 1.5}}}
`, []string{
			"jobs[0].cluster: expected a string, got list",
			`jobs[0].service: expected a boolean, got string "maybe"`,
			"jobs[0].task.processes: expected a list, got mapping",
			`jobs[0].task.resources.cpu: expected a number, got string "fast"`,
			`jobs[0].task.resources.ram: invalid size "lots"`,
			"jobs[0].health_check_config.health_checker.tcp: unknown field",
			"jobs[0].update_config.update_strategy.queue.batch_size: expected an integer, got number 1.5",
		}},
		{"yaml duplicate key", "a.yaml", "jobs: []\njobs: []\n", []string{"jobs"}},
		{"json wrong type", "a.json", `{"jobs": {"cluster": "c"}}`, []string{"jobs: expected a list of Job, got mapping"}},
		{"bad value", "a.yaml", `
jobs:
  - {cluster: c, role: "r/x", environment: e, task: {processes: [{name: p, cmdline: x}], resources: {cpu: 0, ram: 1KB, disk: 1MB}}}
`, []string{`jobs[0].role: "r/x" must match`, "jobs[0].task.resources.cpu: must be > 0", "jobs[0].task.resources.ram: must be at least 1 MiB"}},
		{"unbound template", "a.aurora", "jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[Process(name='p', cmdline='run {{version}}')], resources=Resources(cpu=1, ram=MB, disk=MB)))]",
			[]string{"jobs[0].task.processes[0].cmdline: unbound template reference {{version}}"}},
		{"cyclic order", "a.yaml", `
jobs:
  - cluster: c
    role: r
    environment: e
    task:
      processes: [{name: a, cmdline: x}, {name: b, cmdline: x}]
      constraints: [{order: [a, b]}, {order: [b, a]}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
`, []string{"jobs[0].task.constraints: order constraints form a cycle: a -> b -> a"}},
		{"invalid order", "a.yaml", `
jobs:
  - cluster: c
    role: r
    environment: e
    task:
      processes: [{name: a, cmdline: x}]
      constraints: [{order: [a, ghost]}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
`, []string{`jobs[0].task.constraints[0].order: unknown process "ghost"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, err := load(t, tt.file, tt.src, nil)
			require.Error(t, err)
			assert.Nil(t, jobs)
			assert.True(t, IsConfigError(err))
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestStarlarkIsBounded(t *testing.T) {
	_, err := LoadBytes("loop.aurora", []byte("while True:\n  pass\njobs=[]"), LoadOptions{MaxSteps: 10000})
	require.Error(t, err)
	assert.True(t, IsConfigError(err))
	assert.Contains(t, err.Error(), "too many steps")
}

func TestAuroraPrint(t *testing.T) {
	var got []string
	_, err := LoadBytes("p.aurora", []byte("print('hi', 1)\n"+strings.TrimSpace(`
jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB)))]`)),
		LoadOptions{Print: func(s string) { got = append(got, s) }})
	require.NoError(t, err)
	assert.Equal(t, []string{"hi 1"}, got)
}

func TestYAMLAnchorsAndMerge(t *testing.T) {
	jobs := mustLoad(t, "m.yaml", `
jobs:
  - &prod {cluster: c, role: r, environment: prod, name: a, task: {processes: [{name: p, cmdline: x}], resources: {cpu: 1, ram: 1MB, disk: 1MB}}}
  - <<: *prod
    environment: devel
`)
	require.Len(t, jobs, 2)
	assert.Equal(t, "c/r/devel/a", jobs[1].Key())
	assert.Equal(t, jobs[0].Task, jobs[1].Task)
}
