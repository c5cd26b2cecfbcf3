package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyWantJob is what a job of a python_*.aurora file must resolve to.
type pyWantJob struct {
	key       string
	instances int
	service   bool
	resources Resources
	// processes' names and cmdlines, in order
	procs [][2]string
}

func pyCheckJobs(t *testing.T, jobs []*Job, want []pyWantJob) {
	t.Helper()
	require.Len(t, jobs, len(want))
	for i, w := range want {
		j := jobs[i]
		assert.Equal(t, w.key, j.Key(), "job %d", i)
		assert.Equal(t, w.instances, j.Instances, "job %d", i)
		assert.Equal(t, w.service, j.Service, "job %d", i)
		require.NotNil(t, j.Task.Resources)
		assert.Equal(t, w.resources, *j.Task.Resources, "job %d", i)
		var procs [][2]string
		for _, p := range j.Task.Processes {
			procs = append(procs, [2]string{p.Name, p.Cmdline})
		}
		assert.Equal(t, w.procs, procs, "job %d", i)
	}
}

func TestPythonTestdata(t *testing.T) {
	dir := filepath.Join("testdata", "aurora")
	t.Run("profiles", func(t *testing.T) {
		pyEnv(t, map[string]string{"USER": "ledger"})
		jobs, err := Load(filepath.Join(dir, "python_profiles.aurora"), LoadOptions{})
		require.NoError(t, err)
		res := Resources{CPU: 0.5, RAM: 256 * MB, Disk: 512 * MB}
		serve := [2]string{"ledger", "./ledger --port {{thermos.ports[http]}} --log-level info"}
		pyCheckJobs(t, jobs, []pyWantJob{
			{"devcluster/ledger/prod/ledger", 3, true, res, [][2]string{
				{"fetch", "cp /packages/ledger-2.4.1.tar.gz . && tar xzf ledger-2.4.1.tar.gz"}, serve}},
			{"devcluster/ledger/staging/ledger", 1, true, res, [][2]string{
				{"fetch", "cp /packages/ledger-2.4.1.tar.gz . && tar xzf ledger-2.4.1.tar.gz"}, serve}},
			{"devcluster/ledger/devel/ledger", 1, true, res, [][2]string{
				{"fetch", "cp /packages/ledger-latest.tar.gz . && tar xzf ledger-latest.tar.gz"},
				{"ledger", "./ledger --port {{thermos.ports[http]}} --log-level debug"}}},
		})
		assert.Equal(t, []Constraint{{Order: []string{"fetch", "ledger"}}}, jobs[0].Task.Constraints)
		// --bind still wins over the profile.
		jobs, err = Load(filepath.Join(dir, "python_profiles.aurora"), LoadOptions{Binds: map[string]string{"profile.instances": "5"}})
		require.NoError(t, err)
		assert.Equal(t, 5, jobs[2].Instances)
	})
	t.Run("toolchain build", func(t *testing.T) {
		jobs, err := Load(filepath.Join(dir, "python_toolchain_build.aurora"), LoadOptions{})
		require.NoError(t, err)
		pyCheckJobs(t, jobs, []pyWantJob{
			{"devcluster/builds/test/toolchain", 1, false, Resources{CPU: 2, RAM: GB, Disk: 4 * GB}, [][2]string{
				{"unpack", "mkdir -p /sandbox/build && tar xJf toolchain-13.2.tar.xz -C /sandbox/build"},
				{"compile", "make -C /sandbox/build/toolchain-13.2 -j4"},
				{"notify", "echo built toolchain-13.2 for builds"},
			}},
		})
		ps := jobs[0].Task.Processes
		assert.Equal(t, []int{3, 1, 3}, []int{ps[0].MaxFailures, ps[1].MaxFailures, ps[2].MaxFailures})
		assert.Equal(t, "build_toolchain", jobs[0].Task.Name)
	})
	t.Run("web tier", func(t *testing.T) {
		jobs, err := Load(filepath.Join(dir, "python_web_tier.aurora"), LoadOptions{})
		require.NoError(t, err)
		pyCheckJobs(t, jobs, []pyWantJob{
			{"devcluster/www-data/prod/frontend", 2, true, Resources{CPU: 0.25, RAM: 128 * MB, Disk: 128 * MB}, [][2]string{
				{"frontend", "LOG_LEVEL=info ./frontend --port {{thermos.ports[http]}} --prefix /shop --upstream catalog:8080 --upstream basket:8080"},
			}},
			{"devcluster/www-data/prod/catalog", 3, true, Resources{CPU: 1, RAM: 128 * MB, Disk: 128 * MB}, [][2]string{
				{"catalog", "LOG_LEVEL=warn ./catalog --port {{thermos.ports[http]}} --prefix /"},
			}},
		})
		assert.Equal(t, []string{"http"}, jobs[0].Task.PortNames())
	})
	t.Run("client environment", func(t *testing.T) {
		pyEnv(t, map[string]string{"LOGNAME": "reporter"})
		jobs, err := Load(filepath.Join(dir, "python_client_env.aurora"), LoadOptions{})
		require.NoError(t, err)
		pyCheckJobs(t, jobs, []pyWantJob{
			{"devcluster/reporter/test/report", 1, false, Resources{CPU: 1, RAM: 512 * MB, Disk: GB}, [][2]string{
				{"report", "cd /releases/report && java -Dtrace=False -jar report-1.0.jar --version 1.0"},
			}},
		})
		pyEnv(t, map[string]string{"USER": "ci", "RELEASE_PATH": "builds/report-2.0-rc1.jar", "REPORT_VERSION": "2.0-rc1", "REPORT_TRACE": ""})
		jobs, err = Load(filepath.Join(dir, "python_client_env.aurora"), LoadOptions{})
		require.NoError(t, err)
		pyCheckJobs(t, jobs, []pyWantJob{
			{"devcluster/ci/test/report", 1, false, Resources{CPU: 1, RAM: 512 * MB, Disk: 2 * GB}, [][2]string{
				{"report", "cd builds && java -Dtrace=True -jar report-2.0-rc1.jar --version 2.0-rc1"},
			}},
		})
	})
}
