package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFillLaunchTemplates(t *testing.T) {
	ports := map[string]int{"http": 31001, "health": 31002, "a-b": 31003}
	got := FillLaunchTemplates("demo -port {{thermos.ports[http]}} -health-port {{ thermos.ports[health] }} "+
		"-x {{thermos.ports[a-b]}} -i {{mesos.instance}} -t {{thermos.task_id}} -u {{thermos.ports[nope]}} {{other}}",
		3, "t-1", ports)
	assert.Equal(t, "demo -port 31001 -health-port 31002 -x 31003 -i 3 -t t-1 -u {{thermos.ports[nope]}} {{other}}", got)
	assert.Equal(t, "plain", FillLaunchTemplates("plain", 0, "", nil))
	assert.Equal(t, []string{"http", "health"},
		PortRefs("{{thermos.ports[http]}} {{thermos.ports[health]}} {{thermos.ports[http]}}"))
}

func TestFillHostname(t *testing.T) {
	s := "announce {{mesos.hostname}}:{{thermos.ports[http]}} {{ mesos.hostname }} {{mesos.hostnme}} {{mesos.instance}}"
	assert.Equal(t, "announce node-7:{{thermos.ports[http]}} node-7 {{mesos.hostnme}} {{mesos.instance}}", FillHostname(s, "node-7"))
	assert.Equal(t, s, FillHostname(s, ""), "no host name: left as it is")
	assert.Equal(t, "a$1b", FillHostname("a{{mesos.hostname}}b", "$1"), "the name is taken literally")
	assert.Equal(t, "plain", FillHostname("plain", "node-7"))
	assert.Equal(t, "{{mesos.hostname}} 1", FillLaunchTemplates("{{mesos.hostname}} {{mesos.instance}}", 1, "t", nil),
		"FillLaunchTemplates leaves the host name to FillHostname")
}
