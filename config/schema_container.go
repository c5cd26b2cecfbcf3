package config

import (
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

// Aurora's Mesos container (Mesos(image = DockerImage(name, tag), volumes =
// [Volume(...)])) runs as a Docker container: Borealis has one container
// runtime, and one path from a config to it. At load time a Mesos container
// becomes the Docker container it means, each Volume a Docker parameter
// volume, so that the worker holds it to exactly the checks of
// Parameter('volume', 'HOST:CONTAINER:ro') (docker.allowed_parameters,
// volumes.allowed_host_paths) and runs it the same way.

// dockerParamVolume is the Docker parameter a Volume becomes.
const dockerParamVolume = "volume"

// DockerParameter is the Docker parameter that mounts v:
// Parameter('volume', 'HOST:CONTAINER:ro') for mode RO, ':rw' for RW.
func (v Volume) DockerParameter() DockerParameter {
	return DockerParameter{
		Name:  dockerParamVolume,
		Value: v.HostPath + ":" + v.ContainerPath + ":" + strings.ToLower(v.Mode),
	}
}

// Ref is the Docker image reference NAME:TAG.
func (i DockerImage) Ref() string {
	return i.Name + ":" + i.Tag
}

// ResolveMesos replaces a Mesos container by the Docker container it runs:
//
//   - Mesos(image = DockerImage(name = N, tag = T), volumes = [V1, V2]) is
//     Docker(image = 'N:T', parameters = [V1.DockerParameter(),
//     V2.DockerParameter()]), volumes[i] becoming parameters[i];
//   - Mesos() without image and volumes is no container: Aurora's default
//     container, which in Borealis is the worker's default image.
//
// A Mesos container with a problem (an AppcImage, volumes without an image,
// a missing field) is left as it is for validation to report. Load calls
// it; a job built otherwise must call it before Validate, which refuses
// every Mesos container left.
func (j *Job) ResolveMesos() {
	c := j.Container
	if c == nil || c.Mesos == nil || c.Docker != nil {
		return
	}
	probe := &Errors{}
	checkMesos(checker{errs: probe}, c.Mesos)
	if probe.Len() > 0 {
		return
	}
	m := c.Mesos
	if m.Image == nil {
		// checkMesos refuses volumes without an image.
		j.Container = nil
		return
	}
	d := &Docker{Image: m.Image.Docker.Ref()}
	for _, v := range m.Volumes {
		d.Parameters = append(d.Parameters, v.DockerParameter())
	}
	j.Container = &Container{Docker: d}
}

// Messages of the Mesos container's refusals.
const (
	errAppcImage         = "appc images are not supported: use DockerImage"
	errVolumesNeedImage  = "is required with volumes: Borealis runs every task in a Docker image, so give image = DockerImage(name = ..., tag = ...) (Aurora would run the task on the host's filesystem)"
	errMesosNotResolved  = "a Mesos container runs as the Docker container it stands for, which loading the config resolves it to; this one was not resolved (load the config with borealis, or call Job.ResolveMesos)"
	errMesosImageMissing = "set docker (a DockerImage)"
)

// checkMesos reports the problems of a Mesos container: everything that
// stops it from being resolved to a Docker container.
func checkMesos(c checker, m *Mesos) {
	ic := c.at("image")
	switch i := m.Image; {
	case i == nil:
		if len(m.Volumes) > 0 {
			ic.add("%s", errVolumesNeedImage)
		}
	case i.Appc != nil:
		ic.add("%s", errAppcImage)
	case i.Docker == nil:
		ic.add("%s", errMesosImageMissing)
	default:
		dc := ic.at("docker")
		if nc := dc.at("name"); nc.required(i.Docker.Name) {
			if k := strings.IndexFunc(i.Docker.Name, isImageSpaceOrControl); k >= 0 {
				nc.add("%s must not contain white space or control characters", jobkey.Quote(i.Docker.Name))
			}
		}
		if tc := dc.at("tag"); tc.required(i.Docker.Tag) {
			if k := strings.IndexFunc(i.Docker.Tag, func(r rune) bool {
				return r == ':' || r == '/' || r == '@' || isImageSpaceOrControl(r)
			}); k >= 0 {
				tc.add("%s must not contain %s (the image runs as NAME:TAG)", jobkey.Quote(i.Docker.Tag), describeImageRune(rune(i.Docker.Tag[k])))
			}
		}
	}
	for i, v := range m.Volumes {
		vc := c.at("volumes").idx(i)
		for _, f := range []struct{ name, path string }{{"container_path", v.ContainerPath}, {"host_path", v.HostPath}} {
			pc := vc.at(f.name)
			if pc.required(f.path) && strings.Contains(f.path, ":") {
				// Docker's volume parameter is HOST:CONTAINER:MODE.
				pc.add("%s must not contain ':' (a volume is mounted as HOST:CONTAINER:MODE)", jobkey.Quote(f.path))
			}
		}
		switch mc := vc.at("mode"); v.Mode {
		case VolumeReadOnly, VolumeReadWrite:
		case "":
			mc.add("is required: %s or %s", VolumeReadOnly, VolumeReadWrite)
		default:
			mc.add("must be %s or %s, got %s", VolumeReadOnly, VolumeReadWrite, jobkey.Quote(v.Mode))
		}
	}
}

func isImageSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f
}

func describeImageRune(r rune) string {
	switch {
	case r == ' ' || r == '\t' || r == '\n' || r == '\r':
		return "white space"
	case r < ' ' || r == 0x7f:
		return "control characters"
	}
	return "'" + string(r) + "'"
}

// validateMesos checks a Mesos container left in a job: its problems, or,
// when it has none, that it was not resolved to Docker.
func validateMesos(c checker, m *Mesos) {
	before := c.errs.Len()
	checkMesos(c, m)
	if c.errs.Len() == before {
		c.add("%s", errMesosNotResolved)
	}
}
