package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaJob is an Aurora file whose one job runs task (an expression, after
// the lines of prelude) with the given extra Job arguments.
func schemaJob(prelude, task, jobArgs string) string {
	return prelude + `
jobs = [Job(cluster='c', role='r', environment='prod', name='j', task=` + task + jobArgs + `)]
`
}

// schemaJobYAML is a YAML job with one process; extra holds more job
// fields, each line indented by four spaces.
func schemaJobYAML(extra string) string {
	return `
jobs:
  - cluster: c
    role: r
    environment: prod
    name: j
    task:
      processes: [{name: p, cmdline: x}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
` + extra
}

// proc is a Process with Aurora's defaults.
func proc(name, cmdline string) Process {
	p := DefaultProcess()
	p.Name, p.Cmdline = name, cmdline
	return p
}

// orders is the constraints order(a, b), order(c, d), ... of name lists.
func orders(lists ...[]string) []Constraint {
	out := make([]Constraint, len(lists))
	for i, l := range lists {
		out[i] = Constraint{Order: l}
	}
	return out
}

func TestSimpleTask(t *testing.T) {
	want := DefaultTask()
	want.Name = "hello"
	want.Processes = []Process{proc("hello", "echo hello world")}
	want.Resources = &Resources{CPU: 1, RAM: GB, Disk: GB}
	for _, expr := range []string{
		`SimpleTask('hello', 'echo hello world')`,
		`SimpleTask(name = 'hello', command = 'echo hello world')`,
		`Tasks.simple('hello', command = 'echo hello world')`,
	} {
		t.Run(expr, func(t *testing.T) {
			j := mustLoad(t, "s.aurora", schemaJob("", expr, ""))[0]
			assert.Equal(t, &want, j.Task)
		})
	}
	_, err := load(t, "s.aurora", schemaJob("", `SimpleTask('hello')`, ""), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SimpleTask: missing argument for command")
}

// The task helpers' rules, as Aurora's schema_helpers.py has them.
func TestCombineAndConcatTasks(t *testing.T) {
	prelude := `
a = Process(name = 'a', cmdline = 'run a')
b = Process(name = 'b', cmdline = 'run b')
c = Process(name = 'c', cmdline = 'run c')
d = Process(name = 'd', cmdline = 'run d')
t1 = Task(name = 't1', processes = [a, b], constraints = order(a, b),
          resources = Resources(cpu = 1, ram = 512*MB, disk = 1*GB), finalization_wait = 10)
t2 = Task(name = 't2', processes = [c, d], max_failures = 2,
          resources = Resources(cpu = 0.5, ram = '1GB', disk = 2*GB, gpu = 1), finalization_wait = 20)
t3 = Task(processes = [d], resources = Resources(cpu = 2, ram = 64*MB, disk = 64*MB))
`
	base := func(name string, procs []Process, cons []Constraint, r Resources, wait int) *Task {
		task := DefaultTask()
		task.Name, task.Processes, task.Constraints, task.Resources, task.FinalizationWait = name, procs, cons, &r, wait
		return &task
	}
	abcd := []Process{proc("a", "run a"), proc("b", "run b"), proc("c", "run c"), proc("d", "run d")}
	withFailures := func(task *Task, n int) *Task { task.MaxFailures = n; return task }
	tests := []struct {
		name, expr string
		want       *Task
	}{
		{"combine: union, sum, largest wait, last task's fields", `combine_tasks(t1, t2)`,
			withFailures(base("t2", abcd, orders([]string{"a", "b"}), Resources{CPU: 1.5, RAM: 1536 * MB, Disk: 3 * GB, GPU: 1}, 20), 2)},
		{"Tasks.combine is combine_tasks", `Tasks.combine(t1, t2)`,
			withFailures(base("t2", abcd, orders([]string{"a", "b"}), Resources{CPU: 1.5, RAM: 1536 * MB, Disk: 3 * GB, GPU: 1}, 20), 2)},
		{"combine: keyword arguments override", `combine_tasks(t1, t2, name = 'both', max_failures = 3, finalization_wait = 5)`,
			withFailures(base("both", abcd, orders([]string{"a", "b"}), Resources{CPU: 1.5, RAM: 1536 * MB, Disk: 3 * GB, GPU: 1}, 5), 3)},
		{"combine: a shared process runs once", `combine_tasks(t2, t3)`,
			base("c", []Process{proc("c", "run c"), proc("d", "run d")}, nil, Resources{CPU: 2.5, RAM: GB + 64*MB, Disk: 2*GB + 64*MB, GPU: 1}, 30)},
		{"combine: equal processes count as one", `combine_tasks(Task(processes = [Process(name = 'd', cmdline = 'run d')]), t3)`,
			base("d", []Process{proc("d", "run d")}, nil, Resources{CPU: 2, RAM: 64 * MB, Disk: 64 * MB}, 30)},
		{"combine: one task is a copy", `combine_tasks(t1)`,
			base("t1", abcd[:2], orders([]string{"a", "b"}), Resources{CPU: 1, RAM: 512 * MB, Disk: GB}, 10)},
		{"concat: every process after the task before, largest resources, summed wait", `concat_tasks(t1, t2)`,
			withFailures(base("t2", abcd, orders([]string{"a", "b"}, []string{"a", "c"}, []string{"a", "d"}, []string{"b", "c"}, []string{"b", "d"}),
				Resources{CPU: 1, RAM: GB, Disk: 2 * GB, GPU: 1}, 30), 2)},
		{"Tasks.concat is concat_tasks", `Tasks.concat(t1, t2)`,
			withFailures(base("t2", abcd, orders([]string{"a", "b"}, []string{"a", "c"}, []string{"a", "d"}, []string{"b", "c"}, []string{"b", "d"}),
				Resources{CPU: 1, RAM: GB, Disk: 2 * GB, GPU: 1}, 30), 2)},
		{"concat: a shared process is not ordered after itself", `concat_tasks(t3, t2)`,
			withFailures(base("t2", []Process{proc("d", "run d"), proc("c", "run c")}, orders([]string{"d", "c"}),
				Resources{CPU: 2, RAM: GB, Disk: 2 * GB, GPU: 1}, 50), 2)},
		{"concat: three steps chain", `concat_tasks(SimpleTask('x', 'run x'), SimpleTask('y', 'run y'), SimpleTask('z', 'run z'))`,
			base("z", []Process{proc("x", "run x"), proc("y", "run y"), proc("z", "run z")}, orders([]string{"x", "y"}, []string{"y", "z"}),
				Resources{CPU: 1, RAM: GB, Disk: GB}, 90)},
		{"a task without resources counts 0", `combine_tasks(Task(processes = [a]), t3)`,
			base("a", []Process{proc("a", "run a"), proc("d", "run d")}, nil, Resources{CPU: 2, RAM: 64 * MB, Disk: 64 * MB}, 30)},
		{"Tasks.sequential", `Tasks.sequential(Task(processes = [a, b, c], resources = Resources(cpu = 1, ram = MB, disk = MB)))`,
			base("a", abcd[:3], orders([]string{"a", "b", "c"}), Resources{CPU: 1, RAM: MB, Disk: MB}, 30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustLoad(t, "m.aurora", schemaJob(prelude, tt.expr, ""))[0]
			assert.Equal(t, tt.want, j.Task)
		})
	}
}

func TestMergedTaskTemplates(t *testing.T) {
	prelude := `
greet = Process(name = 'greet', cmdline = 'echo {{greeting}} from {{task_kind}}')
serve = Process(name = 'serve', cmdline = 'serve --threads {{threads}}')
setup = Task(processes = [greet], resources = Resources(cpu = '{{cpu}}', ram = '{{ram}}', disk = 64*MB)).bind(
    greeting = 'hello', task_kind = 'setup', cpu = 0.25, ram = '128MB')
main = Task(name = 'main', processes = [serve], resources = Resources(cpu = 1, ram = 256*MB, disk = 64*MB).bind(unused = 1)).bind(
    threads = 4, task_kind = 'main')
`
	j := mustLoad(t, "b.aurora", schemaJob(prelude, `combine_tasks(setup, main)`, ""))[0]
	require.Len(t, j.Task.Processes, 2)
	assert.Equal(t, "echo hello from setup", j.Task.Processes[0].Cmdline, "setup's binds stay with its processes and win over main's")
	assert.Equal(t, "serve --threads 4", j.Task.Processes[1].Cmdline)
	assert.Equal(t, &Resources{CPU: 1.25, RAM: 384 * MB, Disk: 128 * MB}, j.Task.Resources)
}

func TestMergeTasksErrors(t *testing.T) {
	prelude := `
p = Process(name = 'p', cmdline = 'x')
ok = Task(processes = [p], resources = Resources(cpu = 1, ram = MB, disk = MB))
`
	tests := []struct{ name, expr, want string }{
		{"not a task", `combine_tasks(ok, p)`, "combine_tasks: argument 2: want a Task, got Process"},
		{"not a task either", `Tasks.concat('ok')`, "Tasks.concat: argument 1: want a Task, got string"},
		{"unbound template in resources", `combine_tasks(ok, Task(processes = [p], resources = Resources(cpu = '{{cpu}}', ram = MB, disk = MB)))`,
			`combine_tasks: argument 2 (task "p"): resources: cpu: must be a number by the time tasks are combined (unbound template reference {{cpu}}`},
		{"not a number", `concat_tasks(ok, Task(processes = [p], resources = Resources(cpu = 1, ram = 'lots', disk = MB)))`,
			`concat_tasks: argument 2 (task "p"): resources: ram: invalid size "lots"`},
		{"processes not a list", `combine_tasks(Task(processes = p))`, "combine_tasks: argument 1 (task without a name): processes: want a list, got Process"},
		{"sequential with constraints", `Tasks.sequential(Task(processes = [p], constraints = order(p)))`,
			"Tasks.sequential: cannot turn a Task with existing constraints into a SequentialTask"},
		{"concat of unnamed processes", `concat_tasks(Task(processes = [Process(cmdline = 'x')]), ok)`,
			"concat_tasks: argument 1: want a Process with a name or a process name"},
		{"unknown keyword", `combine_tasks(ok, colour = 'red')`, `combine_tasks: unknown field "colour"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, "e.aurora", schemaJob(prelude, tt.expr, ""), nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	// No task at all: Task(), as in Aurora.
	var printed []string
	_, err := LoadBytes("n.aurora", []byte(`print(combine_tasks(), concat_tasks())`+"\njobs = []\n"), LoadOptions{Print: func(s string) { printed = append(printed, s) }})
	require.Error(t, err, "no jobs")
	assert.Equal(t, []string{"Task() Task()"}, printed)
}

// A concat of tasks with many processes is bounded like any other value.
func TestConcatTasksBounded(t *testing.T) {
	src := `
big = Task(processes = [Process(name = 'p%d' % i, cmdline = 'x') for i in range(1100)])
other = Task(processes = [Process(name = 'q%d' % i, cmdline = 'x') for i in range(1000)])
t = concat_tasks(big, other)
jobs = []
`
	_, err := load(t, "big.aurora", src, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "concat_tasks: ordering every process of a task after every process of the task before makes 1100000 order constraints, over the limit of 1048576")
}

func TestMesosContainer(t *testing.T) {
	task := `SimpleTask('web', 'serve')`
	nginx := &Container{Docker: &Docker{Image: "nginx:1.25", Parameters: []DockerParameter{
		{Name: "volume", Value: "/srv/www:/usr/share/nginx/html:ro"},
		{Name: "volume", Value: "/var/cache/web:/cache:rw"},
	}}}
	tests := []struct {
		name, file, src string
		want            *Container
	}{
		{"aurora, Mode objects", "m.aurora", schemaJob("", task, `, container = Mesos(
    image = DockerImage(name = 'nginx', tag = '1.25'),
    volumes = [Volume(container_path = '/usr/share/nginx/html', host_path = '/srv/www', mode = Mode('RO')),
               Volume(container_path = '/cache', host_path = '/var/cache/web', mode = Mode('RW'))])`), nginx},
		{"aurora, mode strings", "m.aurora", schemaJob("", task, `, container = Mesos(
    image = DockerImage(name = 'nginx', tag = '1.25'),
    volumes = [Volume(container_path = '/usr/share/nginx/html', host_path = '/srv/www', mode = 'RO'),
               Volume(container_path = '/cache', host_path = '/var/cache/web', mode = 'RW')])`), nginx},
		{"aurora, Container(mesos = ...)", "m.aurora", schemaJob("", task, `, container = Container(mesos = Mesos(
    image = DockerImage(name = 'nginx', tag = '1.25'),
    volumes = [Volume(container_path = '/usr/share/nginx/html', host_path = '/srv/www', mode = 'RO'),
               Volume(container_path = '/cache', host_path = '/var/cache/web', mode = 'RW')]))`), nginx},
		{"aurora, templates", "m.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(name = 'nginx', tag = '{{version}}'),
    volumes = [Volume(container_path = '/data', host_path = '/srv/{{environment}}', mode = Mode('{{mode}}'))])`) +
			"jobs = [jobs[0].bind(version = '1.27', mode = 'RO')]\n",
			&Container{Docker: &Docker{Image: "nginx:1.27", Parameters: []DockerParameter{{Name: "volume", Value: "/srv/prod:/data:ro"}}}}},
		{"aurora, no volumes", "m.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(name = 'registry:5000/team/app', tag = 'v2'))`),
			&Container{Docker: &Docker{Image: "registry:5000/team/app:v2"}}},
		{"aurora, Mesos() is no container", "m.aurora", schemaJob("", task, `, container = Mesos()`), nil},
		{"yaml", "m.yaml", schemaJobYAML(`    container:
      mesos:
        image: {docker: {name: nginx, tag: "1.25"}}
        volumes:
          - {container_path: /usr/share/nginx/html, host_path: /srv/www, mode: RO}
          - {container_path: /cache, host_path: /var/cache/web, mode: RW}
`), nginx},
		{"yaml, numeric tag", "m.yaml", schemaJobYAML("    container: {mesos: {image: {docker: {name: redis, tag: 7}}}}\n"),
			&Container{Docker: &Docker{Image: "redis:7"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustLoad(t, tt.file, tt.src)[0]
			assert.Equal(t, tt.want, j.Container)
			require.NoError(t, j.Validate())
		})
	}
}

// A Mesos container's refusals, as a user meets them: loaded from a file,
// with jobs[i] paths (exit code 3 at the CLI).
func TestMesosContainerRefused(t *testing.T) {
	task := `SimpleTask('web', 'serve')`
	tests := []struct{ name, file, src, want string }{
		{"appc", "a.aurora", schemaJob("", task, `, container = Mesos(image = AppcImage(name = 'web', image_id = 'sha512-abc'))`),
			"jobs[0].container.mesos.image: appc images are not supported: use DockerImage"},
		{"appc yaml", "a.yaml", schemaJobYAML("    container: {mesos: {image: {appc: {name: web, image_id: sha512-abc}}}}\n"),
			"jobs[0].container.mesos.image: appc images are not supported: use DockerImage"},
		{"volumes without an image", "a.aurora", schemaJob("", task, `, container = Mesos(volumes = [Volume(container_path = '/d', host_path = '/srv/d', mode = 'RO')])`),
			"jobs[0].container.mesos.image: is required with volumes: Borealis runs every task in a Docker image"},
		{"empty image choice", "a.yaml", schemaJobYAML("    container: {mesos: {image: {}}}\n"),
			"jobs[0].container.mesos.image: set docker (a DockerImage)"},
		{"tag required", "a.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(name = 'nginx'))`),
			"jobs[0].container.mesos.image.docker.tag: is required"},
		{"name required", "a.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(tag = '1'))`),
			"jobs[0].container.mesos.image.docker.name: is required"},
		{"tag with a colon", "a.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(name = 'nginx', tag = '1:2'))`),
			`jobs[0].container.mesos.image.docker.tag: "1:2" must not contain ':' (the image runs as NAME:TAG)`},
		{"mode lower case", "a.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(name = 'n', tag = '1'),
    volumes = [Volume(container_path = '/d', host_path = '/srv/d', mode = 'ro')])`),
			`jobs[0].container.mesos.volumes[0].mode: must be RO or RW, got "ro"`},
		{"mode required", "a.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(name = 'n', tag = '1'),
    volumes = [Volume(container_path = '/d', host_path = '/srv/d')])`),
			"jobs[0].container.mesos.volumes[0].mode: is required: RO or RW"},
		{"host_path required", "a.yaml", schemaJobYAML(`    container: {mesos: {image: {docker: {name: n, tag: "1"}}, volumes: [{container_path: /d, mode: RW}]}}
`), "jobs[0].container.mesos.volumes[0].host_path: is required"},
		{"colon in a path", "a.aurora", schemaJob("", task, `, container = Mesos(image = DockerImage(name = 'n', tag = '1'),
    volumes = [Volume(container_path = '/d:rw', host_path = '/srv/d', mode = 'RO')])`),
			`jobs[0].container.mesos.volumes[0].container_path: "/d:rw" must not contain ':' (a volume is mounted as HOST:CONTAINER:MODE)`},
		{"Mode refuses other values", "a.aurora", schemaJob("", task, `, container = Mesos(volumes = [Volume(mode = Mode('rw'))])`),
			`Mode only accepts the following values: RO, RW (got "rw")`},
		{"docker and mesos", "a.yaml", schemaJobYAML("    container: {docker: {image: x}, mesos: {}}\n"),
			"jobs[0].container: set exactly one of docker and mesos, not both"},
		{"Docker has no volumes", "a.aurora", schemaJob("", task, `, container = Docker(image = 'x', volumes = [])`),
			`Docker: unknown field "volumes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, tt.src, nil)
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one problem only")
		})
	}
}

// Validate refuses every Mesos container left in a job: with its problem,
// or, when it has none, because it was not resolved to Docker.
func TestValidateMesos(t *testing.T) {
	image := &MesosImage{Docker: &DockerImage{Name: "nginx", Tag: "1"}}
	tests := []struct {
		name  string
		mesos *Mesos
		path  string
		msg   string
	}{
		{"appc", &Mesos{Image: &MesosImage{Appc: &AppcImage{Name: "a", ImageID: "b"}}}, "container.mesos.image", errAppcImage},
		{"appc and docker", &Mesos{Image: &MesosImage{Docker: image.Docker, Appc: &AppcImage{}}}, "container.mesos.image", errAppcImage},
		{"not resolved", &Mesos{Image: image}, "container.mesos", errMesosNotResolved},
		{"empty, not resolved", &Mesos{}, "container.mesos", errMesosNotResolved},
		{"tag with white space", &Mesos{Image: &MesosImage{Docker: &DockerImage{Name: "n", Tag: "1 2"}}},
			"container.mesos.image.docker.tag", `"1 2" must not contain white space (the image runs as NAME:TAG)`},
		{"name with white space", &Mesos{Image: &MesosImage{Docker: &DockerImage{Name: "my app", Tag: "1"}}},
			"container.mesos.image.docker.name", `"my app" must not contain white space or control characters`},
		{"container_path required", &Mesos{Image: image, Volumes: []Volume{{HostPath: "/h", Mode: "RO"}}},
			"container.mesos.volumes[0].container_path", "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			j.Container = &Container{Mesos: tt.mesos}
			err := j.Validate()
			var ce *Errors
			require.True(t, errors.As(err, &ce), "want an *Errors, got %v", err)
			assert.Equal(t, []FieldError{{Path: tt.path, Msg: tt.msg}}, ce.List)
		})
	}

	// Resolved, the same job validates.
	j := validJob()
	j.Container = &Container{Mesos: &Mesos{Image: image, Volumes: []Volume{{ContainerPath: "/c", HostPath: "/h", Mode: VolumeReadWrite}}}}
	j.ResolveMesos()
	assert.Equal(t, &Container{Docker: &Docker{Image: "nginx:1", Parameters: []DockerParameter{{Name: "volume", Value: "/h:/c:rw"}}}}, j.Container)
	assert.NoError(t, j.Validate())
	// A Docker container is left alone.
	d := &Container{Docker: &Docker{Image: "x"}}
	j.Container = d
	j.ResolveMesos()
	assert.Same(t, d, j.Container)
}

func TestVolumeDockerParameter(t *testing.T) {
	tests := []struct {
		v    Volume
		want string
	}{
		{Volume{ContainerPath: "/data", HostPath: "/srv/data", Mode: VolumeReadOnly}, "/srv/data:/data:ro"},
		{Volume{ContainerPath: "/data", HostPath: "/srv/data", Mode: VolumeReadWrite}, "/srv/data:/data:rw"},
	}
	for _, tt := range tests {
		assert.Equal(t, DockerParameter{Name: "volume", Value: tt.want}, tt.v.DockerParameter())
	}
}

func TestPartitionPolicyAndExecutorConfig(t *testing.T) {
	task := `SimpleTask('p', 'x')`
	tests := []struct {
		name, file, src string
		partition       *PartitionPolicy
		executor        *ExecutorConfig
	}{
		{"unset", "p.aurora", schemaJob("", task, ""), nil, nil},
		{"defaults", "p.aurora", schemaJob("", task, `, partition_policy = PartitionPolicy(), executor_config = ExecutorConfig()`),
			&PartitionPolicy{Reschedule: true}, &ExecutorConfig{Name: "AuroraExecutor"}},
		{"given", "p.aurora", schemaJob("", task, `, partition_policy = PartitionPolicy(reschedule = False, delay_secs = 60),
    executor_config = ExecutorConfig(name = 'AuroraExecutor', data = '{"a": 1}')`),
			&PartitionPolicy{DelaySecs: 60}, &ExecutorConfig{Name: "AuroraExecutor", Data: `{"a": 1}`}},
		{"yaml defaults", "p.yaml", schemaJobYAML("    partition_policy: {}\n    executor_config: {}\n"),
			&PartitionPolicy{Reschedule: true}, &ExecutorConfig{Name: "AuroraExecutor"}},
		{"yaml given", "p.yaml", schemaJobYAML("    partition_policy: {delay_secs: 5}\n    executor_config: {data: x}\n"),
			&PartitionPolicy{Reschedule: true, DelaySecs: 5}, &ExecutorConfig{Name: "AuroraExecutor", Data: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustLoad(t, tt.file, tt.src)[0]
			assert.Equal(t, tt.partition, j.PartitionPolicy)
			assert.Equal(t, tt.executor, j.ExecutorConfig)
		})
	}

	_, err := load(t, "p.aurora", schemaJob("", task, `, partition_policy = PartitionPolicy(delay_secs = -1)`), nil)
	require.Error(t, err)
	assert.Equal(t, "jobs[0].partition_policy.delay_secs: must be >= 0, got -1", err.Error())

	// Another Mesos executor would run something else than the processes.
	_, err = load(t, "p.aurora", schemaJob("", task, `, executor_config = ExecutorConfig(name = 'custom', data = '{}')`), nil)
	require.Error(t, err)
	assert.Equal(t, `jobs[0].executor_config.name: executor "custom" is not supported: Borealis runs a task's processes `+
		`with its own runner, as Aurora's Thermos executor (AuroraExecutor) does, and runs no other Mesos executor`, err.Error())

	// Read back as attributes, with Aurora's defaults.
	var printed []string
	_, err = LoadBytes("p.aurora", []byte(`
j = Job(partition_policy = PartitionPolicy(delay_secs = 3))
print(j.partition_policy.reschedule, j.partition_policy.delay_secs, j.executor_config, ExecutorConfig().name)
jobs = []
`), LoadOptions{Print: func(s string) { printed = append(printed, s) }})
	require.Error(t, err)
	assert.Equal(t, []string{"True 3 None AuroraExecutor"}, printed)
}

func TestParsedOnlyFields(t *testing.T) {
	src := schemaJob(`
p = Process(name = 'p', cmdline = 'x', resources = Resources(cpu = 0.5, ram = 64*MB, disk = 0))
`, `Task(processes = [p], user = 'www-data', resources = Resources(cpu = 1, ram = 128*MB, disk = 128*MB, gpu = 2))`, "")
	j := mustLoad(t, "f.aurora", src)[0]
	assert.Equal(t, &Resources{CPU: 0.5, RAM: 64 * MB}, j.Task.Processes[0].Resources)
	require.NotNil(t, j.Task.User)
	assert.Equal(t, "www-data", *j.Task.User)
	assert.Equal(t, 2, j.Task.Resources.GPU)

	y := mustLoad(t, "f.yaml", `
jobs:
  - {cluster: c, role: r, environment: e, name: n,
     task: {user: nobody, processes: [{name: p, cmdline: x, resources: {cpu: 1, ram: 1MB, disk: 1MB, gpu: 1}}],
            resources: {cpu: 1, ram: 1MB, disk: 1MB, gpu: 3}}}
`)[0]
	assert.Equal(t, &Resources{CPU: 1, RAM: MB, Disk: MB, GPU: 1}, y.Task.Processes[0].Resources)
	assert.Equal(t, "nobody", *y.Task.User)
	assert.Equal(t, 3, y.Task.Resources.GPU)

	// An unset user is no template value: {{user}} stays unbound, as in Aurora.
	_, err := load(t, "u.aurora", schemaJob("", `Task(processes = [Process(name = 'p', cmdline = 'echo {{user}}')], resources = Resources(cpu = 1, ram = MB, disk = MB))`, ""), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unbound template reference {{user}}")

	_, err = load(t, "r.aurora", schemaJob("", `Task(processes = [Process(name = 'p', cmdline = 'x', resources = Resources(cpu = -1, ram = MB, disk = MB))], resources = Resources(cpu = 1, ram = MB, disk = MB))`, ""), nil)
	require.Error(t, err)
	assert.Equal(t, "jobs[0].task.processes[0].resources.cpu: must be >= 0, got -1", err.Error())
}

func TestBytesConstant(t *testing.T) {
	j := mustLoad(t, "b.aurora", schemaJob("", `Task(processes = [Process(name = 'p', cmdline = 'x')],
    resources = Resources(cpu = 1, ram = 1024*1024*BYTES, disk = 2*MB*B))`, ""))[0]
	assert.Equal(t, &Resources{CPU: 1, RAM: MB, Disk: 2 * MB}, j.Task.Resources)
}

// The new fields are omitted from the JSON of a job that does not use them,
// so that recorded workflow histories replay byte for byte.
func TestSchemaFieldsOmittedFromJSON(t *testing.T) {
	j := mustLoad(t, "o.aurora", schemaJob("", `SimpleTask('p', 'x')`, `, container = Docker(image = 'x')`))[0]
	data, err := json.Marshal(j)
	require.NoError(t, err)
	for _, key := range []string{"partition_policy", "executor_config", "mesos", `"user"`} {
		assert.NotContains(t, string(data), key)
	}
	assert.Equal(t, 1, strings.Count(string(data), `"resources"`), "only the task's resources")
}

func TestSchemaNames(t *testing.T) {
	var printed []string
	_, err := LoadBytes("n.aurora", []byte(`
print(Mode('RO'), Mode('RW'), BYTES, B, Tasks, Processes.order('a', 'b'))
print(type(Tasks.combine), dir(Tasks))
jobs = []
`), LoadOptions{Print: func(s string) { printed = append(printed, s) }})
	require.Error(t, err)
	assert.Equal(t, []string{
		`RO RW 1 1 <class 'Tasks'> [Constraint(order=["a", "b"])]`,
		`builtin_function_or_method ["combine", "concat", "sequential", "simple"]`,
	}, printed)

	_, err = load(t, "n.aurora", "x = Tasks.combin\njobs = []\n", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Tasks has no .combin field or method (did you mean .combine?)")
}

func TestSchemaReference(t *testing.T) {
	objs := Reference()
	cases := []struct{ object, field, typ, def string }{
		{"Job", "partition_policy", "PartitionPolicy", "unset"},
		{"Job", "executor_config", "ExecutorConfig", "unset"},
		{"PartitionPolicy", "reschedule", "Boolean", "True"},
		{"PartitionPolicy", "delay_secs", "Integer", "0"},
		{"ExecutorConfig", "name", "String", "'AuroraExecutor'"},
		{"ExecutorConfig", "data", "String", "''"},
		{"Container", "mesos", "Mesos", "unset"},
		{"Mesos", "image", "MesosImage", "unset"},
		{"Mesos", "volumes", "List(Volume)", "[]"},
		{"DockerImage", "tag", "String", "required"},
		{"Volume", "mode", "String", "required"},
		{"Task", "user", "String", "unset"},
		{"Process", "resources", "Resources", "unset"},
	}
	for _, c := range cases {
		f := findField(t, objs, c.object, c.field)
		assert.Equal(t, c.typ, f.Type, "%s.%s type", c.object, c.field)
		assert.Equal(t, c.def, f.Default, "%s.%s default", c.object, c.field)
	}
}
