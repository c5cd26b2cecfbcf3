package config

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
)

// Aurora's legacy template names (docs/semantics.md §1.6). Aurora still
// accepts them, so Borealis binds them too, after everything else: a
// --bind or .bind() of the same reference text wins.
//
// At load time:
//
//	{{thermos.user}}             the job's role
//	{{mesos.role}}               the job's role
//	{{mesos.cluster}}            the job's cluster
//	{{docker.image[NAME][TAG]}}  the image reference NAME:TAG
//
// At launch, by the task's worker ([FillHostname]):
//
//	{{mesos.hostname}}           the name of the task's host
//
// Role and cluster are the job's own fields (themselves resolved), not
// whatever {{role}} or {{cluster}} would find: a .bind(role=...) around a
// process does not change the job's role.
//
// {{thermos.user}}: Aurora runs a task's processes as the Unix user named
// by the job's role, so there the user is the role. Borealis runs every
// task as the worker's tasks.uid (or a Docker user parameter), a number
// that has no name a config could use; {{thermos.user}} keeps Aurora's
// meaning, the role, so that a program given it gets what it got on Aurora.
//
// {{docker.image[NAME][TAG]}}: Aurora's client asks the image's registry
// for the digest of NAME:TAG and puts NAME@DIGEST in its place. Borealis
// has no registry to ask: the reference is NAME:TAG as written, and
// whether the host has that image is checked when the task starts, where a
// missing image fails the task with a reason naming it. To pin a digest,
// bind the whole reference: --bind 'docker.image[web][1.2]=web@sha256:...'.

// legacyJobFields maps the load-time legacy names to the job field each
// stands for.
var legacyJobFields = map[string]string{
	"thermos.user":  "role",
	"mesos.role":    "role",
	"mesos.cluster": "cluster",
}

// hostnameRef is the inside of {{mesos.hostname}}, filled at launch.
const hostnameRef = "mesos.hostname"

// legacy resolves ref (parsed into parts) when it is one of the load-time
// legacy names; ok is false when it is not one.
func (r *resolver) legacy(ref string, parts []refPart, scopes []scope) (string, bool, error) {
	if field, ok := legacyJobFields[ref]; ok {
		for i, sc := range scopes {
			if sc.v.Type() == reflect.TypeFor[Job]() {
				return r.lookupIn(field, []refPart{{name: field}}, scopes[i:])
			}
		}
		return "", false, nil
	}
	if len(parts) >= 2 && !parts[0].index && parts[0].name == "docker" && !parts[1].index && parts[1].name == "image" {
		image, err := dockerImageRef(ref, parts[2:])
		return image, err == nil, err
	}
	return "", false, nil
}

// dockerImageRef is the image {{docker.image[NAME][TAG]}} names, given the
// parts after docker.image.
func dockerImageRef(ref string, parts []refPart) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("template reference {{%s}}: %s; Aurora's form is {{docker.image[NAME][TAG]}}", shorten(ref), why)
	}
	if len(parts) != 2 || !parts[0].index || !parts[1].index {
		return "", bad("expected an image name and a tag, each in brackets")
	}
	name, tag := parts[0].name, parts[1].name
	switch {
	case name == "":
		return "", bad("the image name is empty")
	case tag == "":
		return "", bad("the tag is empty")
	case strings.ContainsFunc(name+tag, unicode.IsSpace):
		return "", bad("an image name or tag cannot contain spaces")
	case strings.ContainsAny(tag, ":/@"):
		return "", bad(fmt.Sprintf("the tag %q cannot contain :, / or @", tag))
	}
	return name + ":" + tag, nil
}
