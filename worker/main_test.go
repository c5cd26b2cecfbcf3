package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/borealis-dev/borealis/activities"
	"github.com/borealis-dev/borealis/config/settings"
)

func TestWorkerPolicy(t *testing.T) {
	st := &settings.Settings{
		DataDir:                 "/srv/borealis",
		RunnerPath:              "/opt/borealis/bin/borealis-runner",
		DockerHost:              "unix:///custom/docker.sock",
		SecretsDir:              "/etc/borealis/secrets",
		AllowedDockerParameters: []string{"env", "volume"},
		AllowedHostPaths:        []string{"/srv/shared"},
		MaxInstances:            7,
		Tasks:                   settings.Tasks{UID: 0, GID: 0, Root: true},
	}
	assert.Equal(t, &activities.Policy{
		AllowedParameters: []string{"env", "volume"},
		AllowedHostPaths:  []string{"/srv/shared"},
		ProtectedHostPaths: []string{"/srv/borealis", "/opt/borealis/bin/borealis-runner", "/var/run/docker.sock", "/run/docker.sock",
			"/etc/borealis/secrets", "/custom/docker.sock"},
		MaxInstances: 7,
		RootTasks:    true,
	}, workerPolicy(st))

	st.SecretsDir, st.DockerHost = "", "tcp://127.0.0.1:2375"
	assert.Equal(t, []string{"/srv/borealis", "/opt/borealis/bin/borealis-runner", "/var/run/docker.sock", "/run/docker.sock"},
		workerPolicy(st).ProtectedHostPaths)
}
