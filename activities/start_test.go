package activities

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/runner"
	"github.com/borealis-dev/borealis/taskapi"
)

// withParams is testJob on image (empty: the default image) with Docker
// parameters given as name, value, name, value...
func withParams(image string, nv ...string) config.Job {
	job := testJob()
	if image == "" {
		image = dockerrun.DefaultImage
	}
	d := &config.Docker{Image: image}
	for i := 0; i+1 < len(nv); i += 2 {
		d.Parameters = append(d.Parameters, config.DockerParameter{Name: nv[i], Value: nv[i+1]})
	}
	job.Container = &config.Container{Docker: d}
	return job
}

func TestTaskSpecFor(t *testing.T) {
	job := withParams("borealis/demo:latest",
		"cap-add", "NET_BIND_SERVICE", "env", "X=1", "cap-add", "CHOWN, KILL", "env", "Y=a=b",
		"label", "team=web", "workdir", "/srv/app/", "volume", "/data/x/../y:/mnt/x", "volume", "/data/y/:/mnt/y:ro", "volume", "/data/z:/mnt/z",
		"user", "1000:100", "privileged", "true", "env", "broken")
	job.Task.Processes[0].Logger = &config.Logger{Mode: "rotate", Rotate: &config.RotatePolicy{LogSize: 1 << 20, Backups: 2}}
	job.Task.Processes[2].Logger = &config.Logger{Mode: "standard"}
	in := taskapi.StartTaskInput{JobKey: testJobKey, Instance: 2, TaskID: "t-1", Job: job}
	got := TaskSpecFor(in)
	def := &runner.LogRotation{MaxBytes: 100 << 20, Backups: 5}
	want := dockerrun.TaskSpec{
		JobKey:   jobkey.Key{Cluster: "devcluster", Role: "www-data", Environment: "prod", Name: "hello"},
		Instance: 2,
		TaskID:   "t-1",
		Image:    "borealis/demo:latest",
		Runner: runner.TaskSpec{
			TaskID: "t-1",
			Processes: []runner.ProcessSpec{
				{Name: "setup", Cmdline: "echo setup", MaxFailures: 1, MinDuration: 5,
					LogRotate: &runner.LogRotation{MaxBytes: 1 << 20, Backups: 2}},
				{Name: "server", Cmdline: "serve --port {{thermos.ports[http]}} --health {{thermos.ports[health]}}",
					MaxFailures: 3, Daemon: true, MinDuration: 7, LogRotate: def},
				{Name: "cleanup", Cmdline: "echo bye", MaxFailures: 1, MinDuration: 5, Final: true, Ephemeral: true},
			},
			Orders:           [][]string{{"setup", "server"}},
			MaxFailures:      2,
			MaxConcurrency:   3,
			FinalizationWait: 12,
			DiskBytes:        256 << 20,
			WorkDir:          "/srv/app",
		},
		PortNames: []string{"health", "http"},
		CPU:       0.5,
		RAMBytes:  128 << 20,
		DiskBytes: 256 << 20,
		CapAdd:    []string{"NET_BIND_SERVICE", "CHOWN", "KILL"},
		Env:       map[string]string{"X": "1", "Y": "a=b"},
		Labels:    map[string]string{"team": "web"},
		WorkDir:   "/srv/app",
		Mounts: []dockerrun.Mount{
			{HostPath: "/data/y", ContainerPath: "/mnt/y", ReadOnly: true},
			{HostPath: "/data/z", ContainerPath: "/mnt/z"},
		},
		User: "1000:100",
	}
	assert.Equal(t, want, got, "malformed and unsupported parameters are not mapped")
	assert.Equal(t, got, TaskSpecFor(in), "deterministic")

	// No container, no resources: the runtime's default image, no limits.
	job = testJob()
	job.Task.Resources = nil
	got = TaskSpecFor(taskapi.StartTaskInput{JobKey: testJobKey, TaskID: "t-2", Job: job})
	assert.Empty(t, got.Image)
	assert.Zero(t, got.CPU+float64(got.RAMBytes+got.DiskBytes+got.Runner.DiskBytes))
	assert.Nil(t, got.CapAdd)
	assert.Nil(t, got.Env)
	assert.Equal(t, "2", TaskSpecFor(taskapi.StartTaskInput{Job: withParams("i", "user", "2")}).User)
}

func TestStartTask(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	in := taskapi.StartTaskInput{JobKey: testJobKey, Instance: 0, TaskID: "t-start", Job: testJob()}

	val, err := env.ExecuteActivity(acts.StartTask, in)
	require.NoError(t, err)
	var res taskapi.StartTaskResult
	require.NoError(t, val.Get(&res))
	assert.NotEmpty(t, res.ContainerID)
	assert.Equal(t, dockerrun.DefaultHost, res.Host)
	assert.Len(t, res.Ports, 2)
	assert.NotZero(t, res.Ports["health"])
	assert.NotEmpty(t, res.Sandbox)
	assert.False(t, res.Adopted)
	assert.Contains(t, res.DiskNote, "enforces no disk limit")

	rs, ok := fake.RunnerSpec("t-start")
	require.True(t, ok)
	assert.Equal(t, "serve --port "+strconv.Itoa(res.Ports["http"])+" --health "+strconv.Itoa(res.Ports["health"]),
		rs.Processes[1].Cmdline, "templates filled at launch")

	// The model's rules for what is not the task (update_config here) are
	// AdmitJob's: the task starts.
	short := 5
	other := in
	other.TaskID, other.Job = "t-start-other", testJob()
	other.Job.UpdateConfig.PulseIntervalSecs = &short
	require.Error(t, other.Job.Validate())
	_, err = env.ExecuteActivity(acts.StartTask, other)
	require.NoError(t, err)

	// A retried StartTask adopts the container.
	val, err = env.ExecuteActivity(acts.StartTask, in)
	require.NoError(t, err)
	var again taskapi.StartTaskResult
	require.NoError(t, val.Get(&again))
	assert.True(t, again.Adopted)
	assert.Equal(t, res.ContainerID, again.ContainerID)
	assert.Equal(t, res.Ports, again.Ports)
}

func TestStartTaskErrors(t *testing.T) {
	fake := dockerrun.NewFake()
	acts := &Activities{Runtime: fake}
	env := newEnv(t, acts)
	start := func(in taskapi.StartTaskInput) error {
		_, err := env.ExecuteActivity(acts.StartTask, in)
		return err
	}
	good := taskapi.StartTaskInput{JobKey: testJobKey, TaskID: "t-err", Job: testJob()}

	t.Run("missing image", func(t *testing.T) {
		in := good
		in.Job.Container = &config.Container{Docker: &config.Docker{Image: "nope:latest"}}
		ae := appError(t, start(in))
		assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
		assert.True(t, ae.NonRetryable())
		assert.Contains(t, ae.Error(), `image "nope:latest" not found locally`)
	})
	t.Run("invalid config", func(t *testing.T) {
		in := good
		in.JobKey = "not-a-key"
		job := testJob()
		job.Task.Constraints = append(job.Task.Constraints, config.Constraint{Order: []string{"server", "ghost"}})
		in.Job = job
		ae := appError(t, start(in))
		assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
		assert.True(t, ae.NonRetryable())
		assert.Contains(t, ae.Error(), `job key "not-a-key"`)
		assert.Contains(t, ae.Error(), `unknown process "ghost"`, "every problem at once")

		in = good
		in.Job.Task = nil
		assert.Contains(t, appError(t, start(in)).Error(), "job.task: is required")
	})
	t.Run("foreign container", func(t *testing.T) {
		in := good
		in.TaskID = "t-foreign"
		fake.AddForeign(dockerrun.ContainerName(in.TaskID))
		ae := appError(t, start(in))
		assert.Equal(t, taskapi.ErrTypeConflict, ae.Type())
		assert.True(t, ae.NonRetryable())
		assert.True(t, fake.HasContainer(dockerrun.ContainerName(in.TaskID)), "left alone")
	})
	t.Run("docker unavailable", func(t *testing.T) {
		fake.FailNext("start", dockerrun.ErrUnavailable)
		ae := appError(t, start(good))
		assert.Equal(t, taskapi.ErrTypeDockerUnavailable, ae.Type())
		assert.False(t, ae.NonRetryable(), "a daemon that is down is retried")
		require.NoError(t, start(good), "the retry starts it")
	})
}

// TestStartTaskRefused: StartTask trusts nothing in its input; what the
// model or the policy refuses never reaches Docker.
func TestStartTaskRefused(t *testing.T) {
	fake := dockerrun.NewFake()
	pol := DefaultPolicy()
	pol.MaxInstances = 3
	acts := &Activities{Runtime: fake, Policy: &pol}
	env := newEnv(t, acts)
	for name, tc := range map[string]struct {
		edit func(in *taskapi.StartTaskInput)
		want []string
	}{
		"ram 0": {func(in *taskapi.StartTaskInput) { in.Job.Task.Resources.RAM = 0 }, []string{"job.task.resources.ram: "}},
		"privileged": {func(in *taskapi.StartTaskInput) { in.Job = withParams("", "privileged", "true") },
			[]string{"job.container.docker.parameters[0] (privileged): refused: Borealis does not support this Docker parameter"}},
		"cap-add not allowed": {func(in *taskapi.StartTaskInput) { in.Job = withParams("", "cap-add", "SYS_ADMIN") },
			[]string{"job.container.docker.parameters[0] (cap-add): refused: not in docker.allowed_parameters on this worker"}},
		"root": {func(in *taskapi.StartTaskInput) { in.Job = withParams("", "user", "0:0") },
			[]string{`(user): refused: "0:0" runs the task as root`}},
		"volume": {func(in *taskapi.StartTaskInput) { in.Job = withParams("", "volume", "/etc:/etc") },
			[]string{"(volume): refused: host path /etc: volumes.allowed_host_paths is empty on this worker"}},
		"other job's key": {func(in *taskapi.StartTaskInput) { in.JobKey = "devcluster/www-data/prod/other" },
			[]string{`job key "devcluster/www-data/prod/other" does not match the job's cluster/role/environment/name "devcluster/www-data/prod/hello"`}},
		"instance above the cap": {func(in *taskapi.StartTaskInput) { in.Instance = 3 },
			[]string{"instance 3: ids go up to 2 on this worker (jobs.max_instances 3)"}},
	} {
		t.Run(name, func(t *testing.T) {
			in := taskapi.StartTaskInput{JobKey: testJobKey, TaskID: "t-refused", Job: testJob()}
			tc.edit(&in)
			_, err := env.ExecuteActivity(acts.StartTask, in)
			ae := appError(t, err)
			assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
			assert.True(t, ae.NonRetryable())
			for _, w := range tc.want {
				assert.Contains(t, ae.Error(), w)
			}
			assert.False(t, fake.HasContainer(dockerrun.ContainerName("t-refused")), "nothing started")
		})
	}
}

// syncBuffer is a log destination the test reads while activities write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStartTaskSecretsAndVolumes(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets")
	require.NoError(t, os.Mkdir(secrets, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(secrets, "db.password"), []byte("s3cr3t-from-file\n"), 0o600))
	t.Setenv("BOREALIS_SECRET_API_TOKEN", "t0ken-from-env")
	shared := filepath.Join(dir, "shared")
	require.NoError(t, os.MkdirAll(filepath.Join(shared, "real"), 0o755))
	require.NoError(t, os.Symlink(filepath.Join(shared, "real"), filepath.Join(shared, "link")))

	fake := dockerrun.NewFake()
	logs := &syncBuffer{}
	pol := DefaultPolicy()
	pol.AllowedHostPaths = []string{shared}
	acts := &Activities{Runtime: fake, Policy: &pol, SecretsDir: secrets, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	env := newEnv(t, acts)

	newJob := func() config.Job {
		job := withParams("", "env", "TOKEN={{secret[api_token]}}", "env", "PLAIN=x", "volume", filepath.Join(shared, "link")+":/data:ro")
		job.Task.Processes[0].Cmdline = "login --password {{secret[db.password]}} --token {{ secret[api_token] }}"
		return job
	}
	in := taskapi.StartTaskInput{JobKey: testJobKey, TaskID: "t-secret", Job: newJob()}
	val, err := env.ExecuteActivity(acts.StartTask, in)
	require.NoError(t, err)
	var res taskapi.StartTaskResult
	require.NoError(t, val.Get(&res))

	rs, ok := fake.RunnerSpec("t-secret")
	require.True(t, ok)
	assert.Equal(t, "login --password s3cr3t-from-file --token t0ken-from-env", rs.Processes[0].Cmdline, "file (newline trimmed), then environment")
	spec, ok := fake.Spec("t-secret")
	require.True(t, ok)
	assert.Equal(t, map[string]string{"TOKEN": "t0ken-from-env", "PLAIN": "x"}, spec.Env)
	real, err := filepath.EvalSymlinks(filepath.Join(shared, "real"))
	require.NoError(t, err)
	assert.Equal(t, []dockerrun.Mount{{HostPath: real, ContainerPath: "/data", ReadOnly: true}}, spec.Mounts, "mounted with its symlinks resolved")
	assert.Contains(t, in.Job.Task.Processes[0].Cmdline, "{{secret[db.password]}}", "the input is not changed")

	// A missing secret fails the start for good, naming where it was looked for.
	in.TaskID = "t-secret-missing"
	in.Job.Task.Processes[1].Cmdline = "serve {{secret[nope]}}"
	_, err = env.ExecuteActivity(acts.StartTask, in)
	ae := appError(t, err)
	assert.Equal(t, taskapi.ErrTypeInvalidTask, ae.Type())
	assert.True(t, ae.NonRetryable())
	assert.Contains(t, ae.Error(), `secret "nope" not found on this worker: no file `+filepath.Join(secrets, "nope")+
		" and no environment variable BOREALIS_SECRET_NOPE")
	assert.False(t, fake.HasContainer(dockerrun.ContainerName("t-secret-missing")))

	// A runtime error that quotes a value is redacted.
	in.TaskID = "t-secret-redacted"
	in.Job = newJob()
	fake.FailNext("start", &dockerrun.Error{Op: "start", TaskID: in.TaskID, Kind: dockerrun.ErrUnavailable,
		Msg: "daemon choked on login --password s3cr3t-from-file"})
	_, err = env.ExecuteActivity(acts.StartTask, in)
	ae = appError(t, err)
	assert.Equal(t, taskapi.ErrTypeDockerUnavailable, ae.Type(), "still classified")
	assert.Contains(t, ae.Error(), "--password [secret db.password]")

	for _, s := range []string{"s3cr3t-from-file", "t0ken-from-env"} {
		assert.NotContains(t, ae.Error(), s)
		assert.NotContains(t, logs.String(), s)
		assert.NotContains(t, strings.Join([]string{res.ContainerID, res.Sandbox, res.DiskNote}, " "), s)
	}
}
