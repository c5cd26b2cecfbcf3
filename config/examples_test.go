package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examplesDir holds the example job configs of the docs. Each is loaded and
// validated here; running them on Docker is the e2e suite's business.
var examplesDir = filepath.Join("..", "examples", "jobs")

// TestExamples loads every file in examples/jobs and checks what each is
// there to show. A new example needs a case here.
func TestExamples(t *testing.T) {
	checks := map[string]func(t *testing.T, j *Job){
		"hello_world.aurora": checkHelloWorld,
		"hello_world.yaml":   checkHelloWorld,
		"http_service.aurora": func(t *testing.T, j *Job) {
			assert.True(t, j.Service)
			assert.Equal(t, 2, j.Instances)
			assert.Equal(t, "borealis/demo:latest", j.Container.Docker.Image)
			assert.Equal(t, []string{"health", "http"}, j.Task.PortNames())
			assert.Equal(t, HealthCheckerHTTP, j.HealthChecker())
			assert.Contains(t, j.Task.Processes[0].Cmdline, "/usr/local/bin/borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}} -version 1")
			assert.Equal(t, "http", j.Announce.PrimaryPort)
		},
		"shell_health.aurora": func(t *testing.T, j *Job) {
			assert.Equal(t, HealthCheckerShell, j.HealthChecker())
			assert.False(t, j.Task.HasPort(HealthPortName))
			assert.Nil(t, j.HealthCheckConfig.HealthChecker.HTTP, "a shell checker replaces the default HTTP one")
			assert.Contains(t, j.HealthCheckConfig.HealthChecker.Shell.ShellCommand, "{{thermos.ports[http]}}")
			assert.Equal(t, 2, j.HealthCheckConfig.MinConsecutiveSuccesses)
		},
		"sequential_final.aurora": func(t *testing.T, j *Job) {
			assert.False(t, j.Service)
			assert.Equal(t, "pipeline", j.Task.Name)
			assert.Equal(t, []Constraint{{Order: []string{"fetch", "build", "publish"}}}, j.Task.Constraints)
			require.Len(t, j.Task.Processes, 4)
			assert.Equal(t, "cleanup", j.Task.Processes[3].Name)
			assert.True(t, j.Task.Processes[3].Final)
			assert.Equal(t, 10, j.Task.FinalizationWait)
			assert.Equal(t, 3, j.MaxTaskFailures)
		},
		"web.aurora": func(t *testing.T, j *Job) {
			assert.True(t, j.Service)
			assert.Equal(t, 6, j.Instances)
			assert.Equal(t, &BatchUpdateStrategy{BatchSize: 2}, j.UpdateConfig.UpdateStrategy.Batch)
			assert.Equal(t, 2, j.HealthCheckConfig.MinConsecutiveSuccesses)
			assert.Contains(t, j.Task.Processes[0].Cmdline, "-version 1")
		},
		"batch_update_rollback.aurora": func(t *testing.T, j *Job) {
			assert.True(t, j.Service)
			assert.Equal(t, 4, j.Instances)
			u := j.UpdateConfig
			require.NotNil(t, u.UpdateStrategy)
			assert.Equal(t, &BatchUpdateStrategy{BatchSize: 2}, u.UpdateStrategy.Batch)
			assert.True(t, u.RollbackOnFailure)
			assert.Zero(t, u.MaxTotalFailures)
			cmd := j.Task.Processes[0].Cmdline
			assert.Contains(t, cmd, "if [ 1 -ge 2 ] && [ {{mesos.instance}} -eq 3 ]; then flags='-unhealthy'; fi")
			assert.Contains(t, cmd, "-version 1 $flags")
		},
		"pulsed_update.aurora": func(t *testing.T, j *Job) {
			assert.True(t, j.Service)
			require.NotNil(t, j.UpdateConfig.PulseIntervalSecs)
			assert.Equal(t, 60, *j.UpdateConfig.PulseIntervalSecs)
			assert.Contains(t, j.Task.Processes[0].Cmdline, "-version 1")
		},
		"web_sla.aurora": func(t *testing.T, j *Job) {
			assert.True(t, j.Service)
			assert.True(t, j.Production)
			assert.Equal(t, 4, j.Instances)
			assert.Equal(t, &SlaPolicy{Count: &CountSlaPolicy{Count: 2, DurationSecs: 3}}, j.SlaPolicy)
			u := j.UpdateConfig
			assert.True(t, u.SlaAware)
			assert.Equal(t, 2, u.BatchSize)
			assert.Nil(t, u.UpdateStrategy)
			assert.Equal(t, UpdateStrategy{Queue: &QueueUpdateStrategy{BatchSize: 2}}, u.EffectiveStrategy())
			assert.Equal(t, HealthCheckerHTTP, j.HealthChecker())
			assert.Contains(t, j.Task.Processes[0].Cmdline, "-version 1")
		},
		"cron_hello.aurora": func(t *testing.T, j *Job) {
			assert.True(t, j.IsCron())
			assert.False(t, j.Service)
			assert.Equal(t, 1, j.Instances)
			assert.Equal(t, "* * * * *", j.CronSchedule)
			assert.Equal(t, CronKillExisting, j.CronCollisionPolicy)
			c, err := ParseCron(j.CronSchedule)
			require.NoError(t, err)
			assert.Equal(t, "* * * * *", c.String())
			require.Len(t, j.Task.Processes, 1)
			assert.Contains(t, j.Task.Processes[0].Cmdline, `echo "hello from cron"`)
			assert.Contains(t, j.Task.Processes[0].Cmdline, "date")
		},
		"autopause_update.aurora": func(t *testing.T, j *Job) {
			assert.True(t, j.Service)
			s := j.UpdateConfig.EffectiveStrategy()
			require.NotNil(t, s.VariableBatch)
			assert.Equal(t, []int{1, 2}, s.VariableBatch.BatchSizes)
			assert.True(t, s.VariableBatch.AutopauseAfterBatch)
		},
	}

	entries, err := os.ReadDir(examplesDir)
	require.NoError(t, err)
	keys := map[string]string{}
	tested := 0
	for _, e := range entries {
		if e.IsDir() || FormatOf(e.Name()) == FormatUnknown {
			continue
		}
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			check, ok := checks[name]
			require.True(t, ok, "examples/jobs/%s has no case in TestExamples", name)
			jobs, err := Load(filepath.Join(examplesDir, name), LoadOptions{})
			require.NoError(t, err)
			require.Len(t, jobs, 1)
			j := jobs[0]
			base := strings.TrimSuffix(name, filepath.Ext(name))
			want := "devcluster/www-data/prod/" + base
			if base == "hello_world" {
				want = "devcluster/www-data/prod/hello" // the seed's job, in both formats
			}
			assert.Equal(t, want, j.Key(), "an example's job is named after its file")
			if other, dup := keys[j.Key()]; dup && base != "hello_world" {
				t.Errorf("%s and %s define the same job %s", other, name, j.Key())
			}
			keys[j.Key()] = name
			check(t, j)
		})
		tested++
	}
	assert.Len(t, checks, tested, "every case names an example that exists")
}

func checkHelloWorld(t *testing.T, j *Job) {
	assert.True(t, j.Service)
	assert.Equal(t, "hello", j.Task.Name)
	assert.Equal(t, []Constraint{{Order: []string{"hello"}}}, j.Task.Constraints)
	assert.Equal(t, HealthCheckerNone, j.HealthChecker())
	assert.Equal(t, 128*MB, j.Task.Resources.RAM)
}

// TestUpdateExamplesVersion2 loads the update examples as `update start
// --bind version=2` does: only batch_update_rollback's instance 3 is made
// unhealthy, in a shell conditional filled at launch.
func TestUpdateExamplesVersion2(t *testing.T) {
	for _, name := range []string{"batch_update_rollback.aurora", "pulsed_update.aurora", "autopause_update.aurora", "web_sla.aurora"} {
		v1, err := Load(filepath.Join(examplesDir, name), LoadOptions{})
		require.NoError(t, err, name)
		v2, err := Load(filepath.Join(examplesDir, name), LoadOptions{Binds: map[string]string{"version": "2"}})
		require.NoError(t, err, name)
		assert.Contains(t, v2[0].Task.Processes[0].Cmdline, "-version 2", name)
		assert.NotEqual(t, v1[0].Task.Processes[0].Cmdline, v2[0].Task.Processes[0].Cmdline, name)
	}
	v2, err := Load(filepath.Join(examplesDir, "batch_update_rollback.aurora"), LoadOptions{Binds: map[string]string{"version": "2"}})
	require.NoError(t, err)
	assert.Contains(t, v2[0].Task.Processes[0].Cmdline, "if [ 2 -ge 2 ] && [ {{mesos.instance}} -eq 3 ]; then flags='-unhealthy'; fi")
}
