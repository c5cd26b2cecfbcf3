package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolvedPortmap(t *testing.T) {
	a := Announcer{PrimaryPort: "http", Portmap: map[string]string{"http": "80", "aurora": "http", "https": "aurora", "thrift": "service"}}
	pm, err := a.ResolvedPortmap()
	require.NoError(t, err)
	assert.Equal(t, map[string]PortTarget{"http": {Number: 80}, "aurora": {Number: 80}, "https": {Number: 80}, "thrift": {Name: "service"}}, pm)

	pm, err = (&Announcer{PrimaryPort: "web"}).ResolvedPortmap()
	require.NoError(t, err)
	assert.Equal(t, map[string]PortTarget{"aurora": {Name: "web"}}, pm, "Aurora's default alias of the primary port")

	_, err = (&Announcer{PrimaryPort: "a", Portmap: map[string]string{"a": "b", "b": "a"}}).ResolvedPortmap()
	require.EqualError(t, err, `cycle through "a"`)
}

// TestJobPortNamesAllocatesPortmapTargets: a port the portmap maps an alias
// to is allocated even when no cmdline references it; numbers are not.
func TestJobPortNamesAllocatesPortmapTargets(t *testing.T) {
	task := Task{Processes: []Process{{Name: "p", Cmdline: "serve --port={{thermos.ports[http]}}"}}}
	j := Job{Task: &task, Announce: &Announcer{PrimaryPort: "http", Portmap: map[string]string{"admin": "admin_port", "legacy": "8080"}}}
	assert.Equal(t, []string{"admin_port", "http"}, j.PortNames())
	j.Announce = &Announcer{PrimaryPort: "thrift"}
	assert.Equal(t, []string{"http"}, j.PortNames(), "the default alias allocates nothing")
}

func TestValidatePortmap(t *testing.T) {
	load := func(portmap string) error {
		src := `jobs = [Service(cluster = 'c', role = 'r', environment = 'prod', name = 'n',
  announce = Announcer(primary_port = 'http', portmap = ` + portmap + `),
  task = Task(name = 'n', resources = Resources(cpu = 1, ram = MB, disk = MB),
    processes = [Process(name = 'p', cmdline = 'serve {{thermos.ports[http]}} {{thermos.ports[admin]}}')]))]`
		_, err := LoadBytes("pm.aurora", []byte(src), LoadOptions{})
		return err
	}
	require.NoError(t, load(`{'aurora': 'http', 'legacy': '8080'}`))
	require.NoError(t, load(`{'admin': 'http'}`), "a cmdline may reference an alias")
	for portmap, want := range map[string]string{
		`{'a': 'b', 'b': 'a'}`: `jobs[0].announce.portmap: cycle through "a"`,
		`{'x': '70000'}`:       `jobs[0].announce.portmap["x"]: port number must be 1 to 65535, got 70000`,
		`{'x': 'a b'}`:         `jobs[0].announce.portmap["x"]: port name "a b" must not contain spaces`,
		`{'': 'http'}`:         `jobs[0].announce.portmap[""]: port name (a portmap key) must not be empty`,
	} {
		err := load(portmap)
		require.Error(t, err, portmap)
		assert.Contains(t, err.Error(), want, portmap)
	}
}

// TestPortAliasesInCmdlines: an alias a cmdline references is filled with
// its port, as Aurora's executor does (its e2e http_example job
// references {{thermos.ports[alias]}} with portmap {'alias': 'http'}).
func TestPortAliasesInCmdlines(t *testing.T) {
	src := `jobs = [Service(cluster = 'c', role = 'r', environment = 'prod', name = 'n',
  announce = Announcer(portmap = {'alias': 'http', 'admin': 'alias', 'fixed': '8080', 'health': 'http'}),
  health_check_config = HealthCheckConfig(health_checker = ShellHealthChecker(shell_command = 'check {{thermos.ports[admin]}}')),
  task = Task(name = 'n', resources = Resources(cpu = 1, ram = MB, disk = MB),
    processes = [Process(name = 'p', cmdline = 'serve {{thermos.ports[alias]}} {{thermos.ports[admin]}} {{thermos.ports[fixed]}} {{thermos.ports[tcp]}}')]))]`
	jobs, err := LoadBytes("alias.aurora", []byte(src), LoadOptions{})
	require.NoError(t, err)
	j := jobs[0]
	assert.Equal(t, "serve {{thermos.ports[http]}} {{thermos.ports[http]}} 8080 {{thermos.ports[tcp]}}", j.Task.Processes[0].Cmdline)
	assert.Equal(t, "check {{thermos.ports[http]}}", j.HealthCheckConfig.HealthChecker.Shell.ShellCommand)
	assert.Equal(t, []string{"http", "tcp"}, j.PortNames())

	// The health port is a port of its own.
	src = strings.Replace(src, "{{thermos.ports[tcp]}}", "{{thermos.ports[health]}}", 1)
	_, err = LoadBytes("alias.aurora", []byte(src), LoadOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `jobs[0].announce.portmap["health"]: is an alias of "http", but a cmdline references {{thermos.ports[health]}}`)
}
