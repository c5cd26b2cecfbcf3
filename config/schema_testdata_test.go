package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// schemaTestdata holds Aurora files written as Aurora's docs write them,
// with the schema's helpers and objects.
var schemaTestdata = filepath.Join("testdata", "aurora")

// TestSchemaTestdata loads each schema_*.aurora file and compares the jobs
// with the ones it stands for, field by field.
func TestSchemaTestdata(t *testing.T) {
	tests := []struct {
		file string
		want func() []*Job
	}{
		{"schema_nightly_report.aurora", func() []*Job {
			j := DefaultJob()
			j.Cluster, j.Role, j.Environment, j.Name = "devcluster", "analytics", "prod", "nightly_report"
			task := DefaultTask()
			task.Name = "nightly_report"
			task.Processes = []Process{proc("nightly_report", `echo "report for analytics/prod" && sleep 5`)}
			task.Resources = &Resources{CPU: 1, RAM: GB, Disk: GB}
			j.Task = &task
			j.CronSchedule, j.CronCollisionPolicy = "15 3 * * *", CronCancelNew
			j.Contact = "analytics@example.com"
			j.PartitionPolicy = &PartitionPolicy{Reschedule: false, DelaySecs: 120}
			return []*Job{&j}
		}},
		{"schema_web_sidecar.aurora", func() []*Job {
			j := DefaultJob()
			j.Cluster, j.Role, j.Environment, j.Name = "devcluster", "www-data", "staging", "site"
			j.Service, j.Instances = true, 2
			ship := proc("ship_logs", "tail -F /sandbox/.logs/web.stdout | logger -t ship_logs")
			ship.Ephemeral = true
			task := DefaultTask()
			task.Name = "web"
			task.Processes = []Process{ship, proc("web", "httpd -f -p {{thermos.ports[http]}} -h /srv/www")}
			task.Resources = &Resources{CPU: 0.75, RAM: 160 * MB, Disk: 272 * MB}
			j.Task = &task
			j.Container = &Container{Docker: &Docker{Image: "borealis/demo:latest", Parameters: []DockerParameter{
				{Name: "volume", Value: "/var/lib/site/www:/srv/www:ro"},
				{Name: "volume", Value: "/var/lib/site/cache:/var/cache/site:rw"},
			}}}
			announce := DefaultAnnouncer()
			j.Announce = &announce
			return []*Job{&j}
		}},
		{"schema_build_pipeline.aurora", func() []*Job {
			j := DefaultJob()
			j.Cluster, j.Role, j.Environment, j.Name = "devcluster", "ci", "test", "pipeline"
			j.MaxTaskFailures = 3
			task := DefaultTask()
			task.Name, task.MaxFailures = "pipeline", 2
			task.Processes = []Process{
				proc("clone", "echo clone https://git.example.com/app.git"),
				proc("checkout", "echo checkout v1.4.2"),
				proc("compile", "echo compile v1.4.2"),
				proc("lint", "echo lint v1.4.2"),
				proc("publish", "echo publish v1.4.2"),
			}
			task.Constraints = orders(
				[]string{"clone", "checkout"},
				[]string{"clone", "compile"}, []string{"clone", "lint"},
				[]string{"checkout", "compile"}, []string{"checkout", "lint"},
				[]string{"compile", "publish"}, []string{"lint", "publish"},
			)
			task.Resources = &Resources{CPU: 2, RAM: 2 * GB, Disk: 2 * GB}
			task.FinalizationWait = 30 + 15 + 30
			j.Task = &task
			executor := DefaultExecutorConfig()
			j.ExecutorConfig = &executor
			return []*Job{&j}
		}},
		{"schema_cache_volumes.aurora", func() []*Job {
			var jobs []*Job
			for _, name := range []string{"cache_mesos", "cache_docker"} {
				j := DefaultJob()
				j.Cluster, j.Role, j.Environment, j.Name = "devcluster", "cache", "prod", name
				j.Service = true
				task := DefaultTask()
				task.Name = "cache"
				task.Processes = []Process{proc("cache", "redis-server --port {{thermos.ports[redis]}} --dir /data")}
				task.Resources = &Resources{CPU: 1, RAM: 512 * MB, Disk: 4 * GB}
				j.Task = &task
				j.Container = &Container{Docker: &Docker{Image: "redis:7.2", Parameters: []DockerParameter{
					{Name: "volume", Value: "/var/lib/borealis-volumes/prod/cache:/data:rw"},
					{Name: "volume", Value: "/etc/borealis-volumes/redis:/etc/redis:ro"},
				}}}
				jobs = append(jobs, &j)
			}
			return jobs
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			jobs, err := Load(filepath.Join(schemaTestdata, tt.file), LoadOptions{})
			require.NoError(t, err)
			want := tt.want()
			require.Len(t, jobs, len(want))
			for i := range want {
				if r := jobs[i].Task.Resources; r != nil && want[i].Task.Resources != nil {
					// Sums of CPU shares are floats.
					assert.InDelta(t, want[i].Task.Resources.CPU, r.CPU, 1e-9)
					r.CPU = want[i].Task.Resources.CPU
				}
				assert.Equal(t, want[i], jobs[i])
			}
		})
	}
}
