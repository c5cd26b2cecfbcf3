package activities

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/config/settings"
)

func params(nv ...string) []config.DockerParameter {
	var ps []config.DockerParameter
	for i := 0; i+1 < len(nv); i += 2 {
		ps = append(ps, config.DockerParameter{Name: nv[i], Value: nv[i+1]})
	}
	return ps
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	assert.Equal(t, []string{"env", "label", "workdir", "volume", "user"}, p.AllowedParameters)
	assert.Equal(t, config.MaxInstances, p.maxInstances())
	assert.Equal(t, config.MaxInstances, (&Policy{}).maxInstances(), "0: the model's cap")
	assert.Equal(t, p, *policyOf(&Activities{}))
	for _, name := range []string{paramEnv, paramLabel, paramWorkDir, paramVolume, paramUser, paramCapAdd} {
		assert.Contains(t, settings.SupportedDockerParameters, name)
	}
	assert.Len(t, settings.SupportedDockerParameters, 6)
}

// TestCheckDockerParametersWording pins the messages users and the CLI see.
func TestCheckDockerParametersWording(t *testing.T) {
	p := DefaultPolicy()
	got := p.CheckDockerParameters(params(
		"env", "A=1",
		"privileged", "true",
		"cap-add", "NET_ADMIN",
		"user", "0",
		"volume", "/etc:/etc",
		"device", "/dev/sda",
	))
	assert.Equal(t, []string{
		"job.container.docker.parameters[1] (privileged): refused: Borealis does not support this Docker parameter, whatever docker.allowed_parameters says (supported: cap-add, env, label, user, volume, workdir)",
		"job.container.docker.parameters[2] (cap-add): refused: not in docker.allowed_parameters on this worker (env, label, workdir, volume, user)",
		`job.container.docker.parameters[3] (user): refused: "0" runs the task as root, which this worker does not allow (tasks.uid and tasks.gid are not 0)`,
		"job.container.docker.parameters[4] (volume): refused: host path /etc: volumes.allowed_host_paths is empty on this worker, so no volume is allowed",
		"job.container.docker.parameters[5] (device): refused: Borealis does not support this Docker parameter, whatever docker.allowed_parameters says (supported: cap-add, env, label, user, volume, workdir)",
	}, got)

	none := Policy{}
	assert.Equal(t, []string{"job.container.docker.parameters[0] (env): refused: not in docker.allowed_parameters on this worker (none)"},
		none.CheckDockerParameters(params("env", "A=1")))
	assert.Empty(t, p.CheckDockerParameters(nil))
}

func TestCheckDockerParametersValues(t *testing.T) {
	p := Policy{AllowedParameters: settings.SupportedDockerParameters}
	for _, tc := range []struct {
		name, value, want string // want "" : accepted
	}{
		{"env", "A=1", ""},
		{"env", "A=", ""},
		{"env", "A_b2={{secret[x]}}", ""},
		{"env", "A", "want NAME=VALUE, got no '='"},
		{"env", "1A=x", `"1A" is not a variable name`},
		{"env", "A-B=x", `"A-B" is not a variable name`},
		{"env", "BOREALIS_TASK_ID=x", `"BOREALIS_TASK_ID": names starting with BOREALIS_ are set by Borealis`},
		{"label", "team=web", ""},
		{"label", "team", `want KEY=VALUE, got "team"`},
		{"label", "borealis.job=x", `label "borealis.job": the borealis.* labels are Borealis's`},
		{"label", "a b=x", "has white space"},
		{"label", "a=x\ny", "has a control character"},
		{"workdir", "/srv/app", ""},
		{"workdir", "srv", `container path "srv" is not absolute`},
		{"workdir", "/srv/../etc", `container path "/srv/../etc": has a ".." element`},
		{"user", "1000", ""},
		{"user", "1000:1000", ""},
		{"user", "nobody", `want UID[:GID], numeric: "nobody" is not an id`},
		{"user", "-1", "is not an id"},
		{"user", "4294967295", "is not an id from 0 to 4294967294"},
		{"user", "1000:0", `refused: "1000:0" runs the task as root`},
		{"cap-add", "NET_BIND_SERVICE,CAP_CHOWN", ""},
		{"cap-add", "ALL", `refused: "ALL" would keep every capability`},
		{"cap-add", "cap_all", `refused: "cap_all" would keep every capability`},
		{"cap-add", "", "no capability named"},
		{"cap-add", "NET ADMIN", `"NET ADMIN" is not a capability name`},
		{"volume", "/x", "want HOST:CONTAINER[:ro|:rw]"},
		{"volume", "/x:/y:rx", `mode "rx": want ro or rw`},
		{"volume", "x:/y", `host path "x" is not absolute`},
		{"volume", "/x/../etc:/y", `host path "/x/../etc": has a ".." element`},
		{"volume", "/x:y", `container path "y" is not absolute`},
		{"volume", "/x:/", "container path / is Borealis's own"},
		{"volume", "/x:/sandbox", "container path /sandbox is Borealis's own"},
		{"volume", "/x:/sandbox/.logs/a", "container path /sandbox/.logs/a is Borealis's own"},
		{"volume", "/x:/.borealis/runner", "container path /.borealis/runner is Borealis's own"},
	} {
		got := p.CheckDockerParameters(params(tc.name, tc.value))
		if tc.want == "" {
			if tc.name != "volume" {
				assert.Empty(t, got, "%s %q", tc.name, tc.value)
			}
			continue
		}
		if assert.Len(t, got, 1, "%s %q", tc.name, tc.value) {
			assert.Contains(t, got[0], "job.container.docker.parameters[0] ("+tc.name+"): ")
			assert.Contains(t, got[0], tc.want, "%s %q", tc.name, tc.value)
		}
	}

	p.RootTasks = true
	assert.Empty(t, p.CheckDockerParameters(params("user", "0:0")), "tasks.uid 0 allows root")
}

func TestCheckDockerParametersHostPaths(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	allowed := filepath.Join(dir, "allowed")
	outside := filepath.Join(dir, "outside")
	data := filepath.Join(dir, "data")
	for _, d := range []string{filepath.Join(allowed, "sub"), outside, data} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	require.NoError(t, os.Symlink(outside, filepath.Join(allowed, "escape")))
	require.NoError(t, os.Symlink(data, filepath.Join(allowed, "data-link")))
	require.NoError(t, os.Symlink(filepath.Join(allowed, "sub"), filepath.Join(dir, "via-link")))
	require.NoError(t, os.Symlink(allowed, filepath.Join(dir, "allowed-link")))

	p := Policy{
		AllowedParameters:  []string{"volume"},
		AllowedHostPaths:   []string{allowed, filepath.Join(dir, "allowed-link", "sub")},
		ProtectedHostPaths: []string{data},
	}
	check := func(host string) []string {
		return p.CheckDockerParameters(params("volume", host+":/data"))
	}
	assert.Empty(t, check(allowed))
	assert.Empty(t, check(filepath.Join(allowed, "sub")+"/"))
	assert.Empty(t, check(filepath.Join(dir, "via-link")), "a link to an allowed place is allowed")

	got := check(filepath.Join(allowed, "escape"))
	require.Len(t, got, 1)
	assert.Equal(t, "job.container.docker.parameters[0] (volume): refused: host path "+filepath.Join(allowed, "escape")+
		" (resolving to "+outside+") is not inside volumes.allowed_host_paths ("+allowed+", "+filepath.Join(dir, "allowed-link", "sub")+")", got[0])

	got = check(outside)
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "refused: host path "+outside+" is not inside volumes.allowed_host_paths")

	got = check(filepath.Join(allowed, "missing"))
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "refused: host path "+filepath.Join(allowed, "missing")+
		" cannot be checked against volumes.allowed_host_paths: no such file or directory")

	got = check(filepath.Join(allowed, "data-link"))
	require.Len(t, got, 1)
	assert.Equal(t, "job.container.docker.parameters[0] (volume): refused: host path "+filepath.Join(allowed, "data-link")+
		" (resolving to "+data+") reaches "+data+", which is Borealis's own and no volume may mount, whatever volumes.allowed_host_paths says", got[0])
	p.ProtectedHostPaths = []string{filepath.Join(allowed, "sub", "sandboxes")}
	got = check(allowed)
	require.Len(t, got, 1, "a directory around a protected one is refused too")
	assert.Contains(t, got[0], "reaches "+filepath.Join(allowed, "sub", "sandboxes"))

	// Two volumes on one container path.
	p.ProtectedHostPaths = nil
	got = p.CheckDockerParameters(params("volume", allowed+":/data", "volume", filepath.Join(allowed, "sub")+":/data/"))
	assert.Equal(t, []string{"job.container.docker.parameters[1] (volume): container path /data is mounted twice (also job.container.docker.parameters[0])"}, got)
}
