package config

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnactedListsEveryWarnedField loads a config setting every field
// Borealis parses but does not act on, and expects one warning each.
func TestUnactedListsEveryWarnedField(t *testing.T) {
	jobs, err := Load(filepath.Join(schemaTestdata, "warned_fields.aurora"), LoadOptions{})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	var paths []string
	for _, w := range Unacted(jobs[0]) {
		paths = append(paths, w.Path)
		assert.NotEmpty(t, w.Msg, w.Path)
	}
	assert.Equal(t, []string{
		"constraints", "tier", "priority", "task_links", "enable_hooks",
		"partition_policy", "executor_config.data", "announce.zk_path",
		"task.user", "task.resources.gpu",
		"task.processes[0].resources", "task.processes[0].logger.destination",
	}, paths)
	assert.Equal(t, "constraints: not acted on: every task runs on the worker's one Docker host (host, rack)",
		Unacted(jobs[0])[0].String())
	assert.Equal(t, `tier: "preemptible" is not acted on: Borealis has no tiers, preemption or revocable resources; the job runs as any other`,
		Unacted(jobs[0])[1].String())
}

// TestUnactedQuietOnDefaults: a job that leaves those fields at Aurora's
// defaults, or sets what Borealis does act on, gets no warning.
func TestUnactedQuietOnDefaults(t *testing.T) {
	for _, name := range []string{"hello_world.aurora", "hello_world.yaml"} {
		jobs, err := Load(filepath.Join("..", "examples", "jobs", name), LoadOptions{})
		require.NoError(t, err, name)
		for _, j := range jobs {
			assert.Empty(t, Unacted(j), name)
		}
	}
	src := `jobs = [Service(cluster = 'c', role = 'r', environment = 'prod', name = 'n',
  tier = 'preferred', production = True, contact = 'ops@example.com',
  executor_config = ExecutorConfig(name = 'AuroraExecutor'),
  announce = Announcer(primary_port = 'http'),
  task = Task(name = 'n', resources = Resources(cpu = 1, ram = MB, disk = MB, gpu = 0),
    processes = [Process(name = 'p', cmdline = 'sleep 1', logger = Logger(destination = 'both'))]))]`
	jobs, err := LoadBytes("quiet.aurora", []byte(src), LoadOptions{})
	require.NoError(t, err)
	assert.Empty(t, Unacted(jobs[0]))
}
