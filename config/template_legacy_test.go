package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLegacyTemplateNamesAtLoad(t *testing.T) {
	tests := []struct {
		name  string
		cmd   string
		binds map[string]string
		want  string
	}{
		{"thermos.user is the role", "{{thermos.user}}", nil, "www"},
		{"mesos.role", "{{mesos.role}}", nil, "www"},
		{"mesos.cluster", "{{mesos.cluster}}", nil, "west"},
		{"spaces", "{{ thermos.user }} {{ mesos.cluster }}", nil, "www west"},
		{"mesos.hostname stays for launch", "{{mesos.hostname}} {{ mesos.hostname }}", nil, "{{mesos.hostname}} {{ mesos.hostname }}"},
		{"all of them", "echo {{mesos.hostname}} {{thermos.user}} {{mesos.role}} {{mesos.cluster}}", nil,
			"echo {{mesos.hostname}} www www west"},
		{"docker.image", "{{docker.image[web][1.2]}}", nil, "web:1.2"},
		{"docker.image with a registry", "{{docker.image[registry.example:5000/team/web][v1-rc.2]}}", nil,
			"registry.example:5000/team/web:v1-rc.2"},
		{"docker.image spaces in brackets", "{{docker.image[ web ][ 1.2 ]}}", nil, "web:1.2"},
		{"a bind of the whole text wins", "{{mesos.cluster}} {{docker.image[web][1.2]}}",
			map[string]string{"mesos.cluster": "east", "docker.image[web][1.2]": "web@sha256:abc"}, "east web@sha256:abc"},
		{"the job's role, not a bind of role", "{{role}} {{thermos.user}} {{mesos.role}}",
			map[string]string{"role": "bound"}, "bound www www"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, err := load(t, "t.aurora", "CMD = '"+tt.cmd+"'\n"+templateJob, tt.binds)
			require.NoError(t, err)
			assert.Equal(t, tt.want, jobs[0].Task.Processes[0].Cmdline)
		})
	}
}

func TestLegacyTemplateNamesResolveTheJobFields(t *testing.T) {
	jobs, err := load(t, "r.aurora", `
p = Process(name='p', cmdline='{{role}} {{thermos.user}} {{mesos.role}} {{cluster}} {{mesos.cluster}}').bind(role='inner', cluster='c2')
jobs = [Job(cluster='{{dc}}-1', role='{{team}}', environment='prod', name='svc',
  task=Task(processes=[p], resources=Resources(cpu=1, ram=MB, disk=MB)),
  metadata=[Metadata(key='owner', value='{{thermos.user}}@{{mesos.cluster}}')])]
`, map[string]string{"team": "www", "dc": "west"})
	require.NoError(t, err)
	j := jobs[0]
	assert.Equal(t, "inner www www c2 west-1", j.Task.Processes[0].Cmdline,
		"{{role}} is the innermost bind, the legacy names the job's own (resolved) fields")
	assert.Equal(t, "www@west-1", j.Metadata[0].Value)
	assert.Equal(t, "west-1/www/prod/svc", j.Key())
}

func TestDockerImageTemplate(t *testing.T) {
	jobs := mustLoad(t, "d.aurora", `
jobs = [Job(cluster='c', role='r', environment='e', name='web',
  container=Docker(image = '{{docker.image[web][1.2]}}'),
  task=Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB)))]
`)
	assert.Equal(t, "web:1.2", jobs[0].Container.Docker.Image)

	jobs = mustLoad(t, "d.yaml", `
jobs:
  - cluster: c
    role: r
    environment: e
    container: {docker: {image: "{{docker.image[team/web][latest]}}"}}
    task:
      processes: [{name: web, cmdline: x}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
`)
	assert.Equal(t, "team/web:latest", jobs[0].Container.Docker.Image)
}

func TestLegacyTemplateNameErrors(t *testing.T) {
	tests := []struct {
		name, cmd, want string
	}{
		{"hostname typo", "{{mesos.hostnme}}", "jobs[0].task.processes[0].cmdline: unbound template reference {{mesos.hostnme}}"},
		{"user typo", "{{thermos.usr}}", "jobs[0].task.processes[0].cmdline: unbound template reference {{thermos.usr}}"},
		{"role typo", "{{mesos.rol}}", "unbound template reference {{mesos.rol}}"},
		{"cluster deeper", "{{mesos.cluster.name}}", "unbound template reference {{mesos.cluster.name}}"},
		{"other mesos name", "{{mesos.slave_id}}", "unbound template reference {{mesos.slave_id}}"},
		{"other thermos name", "{{thermos.ports}}", "unbound template reference {{thermos.ports}}"},
		{"docker typo", "{{docker.imag[web][1.2]}}", "unbound template reference {{docker.imag[web][1.2]}}"},
		{"docker.image alone", "{{docker.image}}", "template reference {{docker.image}}: expected an image name and a tag, each in brackets; " +
			"Aurora's form is {{docker.image[NAME][TAG]}}"},
		{"docker.image without tag", "{{docker.image[web]}}", "expected an image name and a tag, each in brackets"},
		{"docker.image three parts", "{{docker.image[web][1][2]}}", "expected an image name and a tag, each in brackets"},
		{"docker.image field", "{{docker.image.web}}", "expected an image name and a tag, each in brackets"},
		{"docker.image empty name", "{{docker.image[][1.2]}}", "{{docker.image[][1.2]}}: the image name is empty"},
		{"docker.image empty tag", "{{docker.image[web][ ]}}", "the tag is empty"},
		{"docker.image spaces", "{{docker.image[my web][1]}}", "an image name or tag cannot contain spaces"},
		{"docker.image tag with colon", "{{docker.image[web][1:2]}}", `the tag "1:2" cannot contain :, / or @`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, "t.aurora", "CMD = '"+tt.cmd+"'\n"+templateJob, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestLegacyTemplateNameLoops(t *testing.T) {
	_, err := load(t, "l.yaml", `
jobs:
  - cluster: "{{mesos.cluster}}"
    role: "{{thermos.user}}"
    environment: e
    task:
      processes: [{name: p, cmdline: "x"}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
`, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "jobs[0].cluster: template loop")
	assert.Contains(t, err.Error(), "jobs[0].role: template loop")
}

func TestLegacyNamesAreNotLaunchTime(t *testing.T) {
	assert.True(t, IsLaunchTimeRef("mesos.hostname"))
	assert.True(t, IsLaunchTimeRef(" mesos.hostname "))
	for _, ref := range []string{"mesos.hostnme", "thermos.user", "mesos.role", "mesos.cluster", "docker.image[web][1.2]"} {
		assert.False(t, IsLaunchTimeRef(ref), ref)
	}
}

func TestLegacyNamesEndToEnd(t *testing.T) {
	jobs := mustLoad(t, "e.aurora", `
jobs = [Service(cluster='west', role='www', environment='prod', name='svc',
  container=Docker(image='{{docker.image[web][1.2]}}'),
  task=Task(processes=[Process(name='p',
    cmdline='echo {{mesos.hostname}} {{thermos.user}} {{mesos.role}} {{mesos.cluster}} {{mesos.instance}} {{thermos.ports[http]}}')],
    resources=Resources(cpu=1, ram=MB, disk=MB)))]
`)
	j := jobs[0]
	assert.Equal(t, "web:1.2", j.Container.Docker.Image)
	cmd := j.Task.Processes[0].Cmdline
	assert.Equal(t, "echo {{mesos.hostname}} www www west {{mesos.instance}} {{thermos.ports[http]}}", cmd)
	assert.Equal(t, []string{"http"}, j.Task.PortNames(), "{{mesos.hostname}} asks for no port")
	// What the worker does at launch: the host's name, then the rest.
	cmd = FillLaunchTemplates(FillHostname(cmd, "node-7.example"), 2, "t-1", map[string]int{"http": 31005})
	assert.Equal(t, "echo node-7.example www www west 2 31005", cmd)
}
