package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const templateJob = `
p = Process(name='proc_{{environment}}', cmdline=CMD)
jobs = [Job(cluster='west', role='www', environment='prod', instances=3, name='{{role}}-svc',
  task=Task(processes=[p, Process(name='other', cmdline='x')], resources=Resources(cpu=0.25, ram=MB, disk=MB)),
  container=Docker(image='repo/{{role}}:{{version}}'.replace('{{version}}', '1')))]
`

func TestTemplates(t *testing.T) {
	tests := []struct {
		name  string
		cmd   string
		binds map[string]string
		want  string
	}{
		{"process scope first", "{{name}}", nil, "proc_prod"},
		{"job fields", "{{cluster}}/{{role}}/{{environment}}/{{instances}}", nil, "west/www/prod/3"},
		{"task fields", "{{task.name}} {{task.resources.cpu}} {{task.max_failures}}", nil, "proc_prod 0.25 1"},
		{"other processes", "{{task.processes[1].name}}", nil, "other"},
		{"job name resolved in its own scope", "{{task.processes[1].cmdline}} {{min_duration}}", nil, "x 5"},
		{"launch time refs stay", "{{mesos.instance}} {{thermos.task_id}} {{ thermos.ports[http] }}", nil, "{{mesos.instance}} {{thermos.task_id}} {{ thermos.ports[http] }}"},
		{"cli binds", "v{{version}} {{profile.tier}}", map[string]string{"version": "7", "profile.tier": "gold"}, "v7 gold"},
		{"cli bind overrides fields", "{{role}}", map[string]string{"role": "bound"}, "bound"},
		{"cli bind values are templates too", "{{v}}", map[string]string{"v": "{{cluster}}-x"}, "west-x"},
		{"no templates", "plain", nil, "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "CMD = '" + tt.cmd + "'\n" + templateJob
			jobs, err := load(t, "t.aurora", src, tt.binds)
			require.NoError(t, err)
			assert.Equal(t, tt.want, jobs[0].Task.Processes[0].Cmdline)
		})
	}
}

func TestTemplatesInOtherFields(t *testing.T) {
	jobs, err := load(t, "t.aurora", "CMD = 'x'\n"+templateJob, nil)
	require.NoError(t, err)
	j := jobs[0]
	assert.Equal(t, "www-svc", j.Name)
	assert.Equal(t, "repo/www:1", j.Container.Docker.Image)
	assert.Equal(t, "proc_prod", j.Task.Name)
	assert.Equal(t, "west/www/prod/www-svc", j.Key())
}

func TestDerivedNamesInTemplates(t *testing.T) {
	jobs := mustLoad(t, "d.yaml", `
jobs:
  - cluster: c
    role: r
    environment: e
    task:
      processes:
        - {name: first, cmdline: "job={{name}}"}
        - {name: second, cmdline: "task={{task.name}}"}
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
    metadata: [{key: k, value: "{{name}}"}]
`)
	j := jobs[0]
	assert.Equal(t, "job=first", j.Task.Processes[0].Cmdline)
	assert.Equal(t, "task=first", j.Task.Processes[1].Cmdline)
	assert.Equal(t, "first", j.Metadata[0].Value)
}

func TestAuroraBind(t *testing.T) {
	jobs := mustLoad(t, "b.aurora", `
p = Process(name='p', cmdline='run {{version}} {{flags}}').bind(flags='-v')
t = Task(processes=[p], resources=Resources(cpu=1, ram=MB, disk=MB))
jobs = [Job(cluster='c', role='r', environment='e', task=t).bind(version=3, flags='-q')]
`)
	assert.Equal(t, "run 3 -v", jobs[0].Task.Processes[0].Cmdline, "the innermost bind wins")
}

func TestTemplatesInNumbers(t *testing.T) {
	src := `
jobs:
  - cluster: c
    role: r
    environment: e
    instances: "{{count}}"
    task:
      processes: [{name: p, cmdline: x}]
      resources: {cpu: "{{cpu}}", ram: "{{ram}}", disk: 1MB}
`
	jobs, err := load(t, "n.yaml", src, map[string]string{"count": "4", "cpu": "0.5", "ram": "64MB"})
	require.NoError(t, err)
	assert.Equal(t, 4, jobs[0].Instances)
	assert.Equal(t, &Resources{CPU: 0.5, RAM: 64 * MB, Disk: MB}, jobs[0].Task.Resources)

	_, err = load(t, "n.yaml", src, map[string]string{"cpu": "1", "ram": "1MB"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[0].instances: unbound template reference {{count}}")
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name, cmd, want string
	}{
		{"unbound", "{{nope}}", "jobs[0].task.processes[0].cmdline: unbound template reference {{nope}}"},
		{"unbound nested", "{{task.nope}}", "jobs[0].task.processes[0].cmdline: unbound template reference {{task.nope}}"},
		{"other mesos refs", "{{mesos.hostnme}}", "jobs[0].task.processes[0].cmdline: unbound template reference {{mesos.hostnme}}"},
		{"object not value", "{{task.resources}}", "template reference {{task.resources}} is an object, not a value"},
		{"invalid ref", "{{a..b}}", "invalid template reference {{a..b}}"},
		{"empty ref", "{{}}", "invalid template reference {{}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, "t.aurora", "CMD = '"+tt.cmd+"'\n"+templateJob, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestTemplateLoops(t *testing.T) {
	_, err := load(t, "l.yaml", `
jobs:
  - cluster: c
    role: "{{environment}}"
    environment: "{{role}}"
    task:
      processes: [{name: p, cmdline: "{{cmdline}}"}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
`, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[0].role: template loop")
	assert.Contains(t, err.Error(), "jobs[0].task.processes[0].cmdline: template loop")

	_, err = load(t, "l.yaml", validYAML, map[string]string{"a": "{{b}}", "b": "{{a}}"})
	require.NoError(t, err, "unused binds are fine")
	_, err = load(t, "l.aurora", `
jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[Process(name='p', cmdline='{{a}}')], resources=Resources(cpu=1, ram=MB, disk=MB)))]
`, map[string]string{"a": "{{b}}", "b": "x{{a}}"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[0].task.processes[0].cmdline: templates nest too deeply")
}

func TestTemplateExpansionIsBounded(t *testing.T) {
	src := `
b = {'a0': 'x'}
for i in range(1, 40):
    b['a%d' % i] = '{{a%d}}{{a%d}}' % (i - 1, i - 1)
p = Process(name='p', cmdline='{{a39}}').bind(**b)
jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[p], resources=Resources(cpu=1, ram=MB, disk=MB)))]
`
	_, err := load(t, "x.aurora", src, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[0].task.processes[0].cmdline: templates expand too much")
}
