package dockerrun

import (
	"fmt"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"
)

// containerConfig builds the container's configuration (docs/semantics.md
// §2, §7): the runner as entrypoint, the task's user and groups, limits,
// no capabilities, a capped json-file log, Borealis's labels.
func (d *Docker) containerConfig(spec TaskSpec, ports map[string]int, sandbox string, access taskAccess) (*container.Config, *container.HostConfig) {
	exposed := nat.PortSet{}
	bindings := nat.PortMap{}
	for _, p := range ports {
		port := nat.Port(fmt.Sprintf("%d/tcp", p))
		exposed[port] = struct{}{}
		bindings[port] = []nat.PortBinding{{HostIP: d.opts.Host, HostPort: fmt.Sprintf("%d", p)}}
	}
	workDir := SandboxMountPath
	if spec.WorkDir != "" {
		workDir = spec.WorkDir
	}
	cfg := &container.Config{
		Image:      spec.Image,
		Entrypoint: []string{RunnerMountPath},
		// The runner finds the sandbox by name, whatever the working dir.
		Cmd:          []string{"-sandbox", SandboxMountPath},
		Env:          spec.env(ports),
		Labels:       spec.labels(ports, d.opts.HostName, d.opts.Deployment),
		WorkingDir:   workDir,
		User:         access.user(),
		ExposedPorts: exposed,
		StopSignal:   "SIGTERM",
	}
	if fw := spec.Runner.FinalizationWait; fw > 0 {
		cfg.StopTimeout = &fw
	}
	noInit := false
	pids := d.opts.PidsLimit
	mounts := []mount.Mount{
		{Type: mount.TypeBind, Source: sandbox, Target: SandboxMountPath},
		{Type: mount.TypeBind, Source: d.opts.RunnerPath, Target: RunnerMountPath, ReadOnly: true},
	}
	hostCfg := &container.HostConfig{
		Mounts:        append(mounts, spec.bindMounts()...),
		PortBindings:  bindings,
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyDisabled},
		CapDrop:       []string{"ALL"},
		CapAdd:        append([]string(nil), spec.CapAdd...),
		GroupAdd:      append([]string(nil), access.groupAdd...),
		SecurityOpt:   []string{"no-new-privileges"},
		Privileged:    false,
		Init:          &noInit,
		LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{
			"max-size": strconv.FormatInt(d.opts.LogMaxBytes, 10),
			"max-file": strconv.Itoa(d.opts.LogMaxFiles),
		}},
		Resources: container.Resources{
			NanoCPUs:  int64(spec.CPU * 1e9),
			Memory:    spec.RAMBytes,
			PidsLimit: &pids,
		},
	}
	if spec.RAMBytes > 0 {
		hostCfg.MemorySwap = spec.RAMBytes
	}
	return cfg, hostCfg
}
