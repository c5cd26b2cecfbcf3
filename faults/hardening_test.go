package faults

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/internal/harness"
	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// oneTask is a job of one instance running cmdline in borealis/base with
// the given resources; docker adds to the Docker container's fields
// (`, parameters: [...]`).
func oneTask(cmdline, resources, docker string) string {
	return fmt.Sprintf(`    instances: 1
    service: false
    max_task_failures: 1
    container: {docker: {image: 'borealis/base:latest'%s}}
    task:
      processes:
        - name: main
          cmdline: '%s'
      resources: %s
`, docker, cmdline, resources)
}

// statusLine finds "Name:\tv1\tv2..." in /proc/self/status output (whose
// lines `task run` prefixes with "[instance] ") and returns its fields.
func statusLine(out, name string) []string {
	m := regexp.MustCompile(`(?m)^(?:\[\d+\] )?` + name + `:\s*(.*)$`).FindStringSubmatch(out)
	if m == nil {
		return nil
	}
	return strings.Fields(m[1])
}

// checkUnprivileged reports what in a /proc/self/status shows privilege.
func checkUnprivileged(t *testing.T, where, status string) {
	t.Helper()
	for _, l := range []string{"Uid", "Gid"} {
		f := statusLine(status, l)
		if len(f) != 4 {
			t.Errorf("%s: no %s line in:\n%s", where, l, status)
			continue
		}
		for _, id := range f {
			if id != "65534" {
				t.Errorf("%s: %s %v, want 65534 (tasks.uid/tasks.gid)", where, l, f)
				break
			}
		}
	}
	for _, c := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
		if f := statusLine(status, c); len(f) != 1 || f[0] != "0000000000000000" {
			t.Errorf("%s: %s %v, want no capability", where, c, f)
		}
	}
	if f := statusLine(status, "NoNewPrivs"); len(f) != 1 || f[0] != "1" {
		t.Errorf("%s: NoNewPrivs %v, want 1", where, f)
	}
}

// TestTaskUnprivileged reads /proc/self/status from inside a task, both
// from its own process (its log) and through `task run`: uid and gid
// 65534, no capability in any set, no-new-privileges. Its sandbox on the
// host is not world-readable.
func TestTaskUnprivileged(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: task runs unprivileged")
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("priv")
	path := cl.WriteJob(key, oneTask(`grep -E "^(Uid|Gid|Cap...|NoNewPrivs):" /proc/self/status; echo status-end; exec sleep 3600`,
		"{cpu: 0.1, ram: 32MB, disk: 16MB}", ""))
	cl.MustRun("job", "create", key, path, "--wait-until", "RUNNING", "--timeout", "90s")

	var logs string
	harness.Eventually(t, 30*time.Second, "the task's status in its log", func() (bool, string) {
		logs = cl.MustRun("task", "logs", key+"/0").Stdout
		return strings.Contains(logs, "status-end"), logs
	})
	checkUnprivileged(t, "task process", logs)
	run := cl.MustRun("task", "run", key+"/0", "cat /proc/self/status")
	checkUnprivileged(t, "task run", run.Stdout)

	s, err := cl.Status(key)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.ActiveOf(0)
	sandbox := filepath.Join(cl.DataDir, "sandboxes", a.TaskID)
	err = filepath.WalkDir(sandbox, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s: mode %v, want nothing for others", p, fi.Mode())
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk the sandbox: %v", err)
	}
	cl.MustRun("job", "killall", key)
	r.add(1, 0, 0)
}

// TestRefusedDockerParameters: a parameter the worker's allow-list does not
// allow, a volume outside the allowed host paths and root as the user are
// refused at create (exit 3, naming the parameter and the setting) and at
// update; nothing is started.
func TestRefusedDockerParameters(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: docker parameters refused")
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("params")
	for _, tc := range []struct{ name, params, want string }{
		{"cap-add", `, parameters: [{name: cap-add, value: NET_ADMIN}]`, "docker.allowed_parameters"},
		{"privileged", `, parameters: [{name: privileged, value: "true"}]`, "privileged"},
		{"volume", `, parameters: [{name: volume, value: "/etc:/host-etc"}]`, "volumes.allowed_host_paths"},
		{"user", `, parameters: [{name: user, value: "0"}]`, "user"},
	} {
		path := cl.WriteJobFile(key, tc.name, oneTask("sleep 3600", "{cpu: 0.1, ram: 32MB, disk: 16MB}", tc.params))
		res := cl.Run("job", "create", key, path)
		if res.Code != harness.ExitConfig || !strings.Contains(res.Stderr, tc.want) || !strings.Contains(res.Stderr, "parameters[0]") {
			t.Errorf("%s: want exit 3 naming parameters[0] and %q: %s", tc.name, tc.want, res)
		}
	}
	if cs := harness.Containers(t, key); len(cs) != 0 {
		t.Errorf("refused creates made containers: %v", cs)
	}

	// Updates are for services: the same task, run as one.
	service := func(y string) string { return strings.Replace(y, "service: false", "service: true", 1) }
	good := cl.WriteJobFile(key, "good", service(oneTask("sleep 3600", "{cpu: 0.1, ram: 32MB, disk: 16MB}",
		`, parameters: [{name: env, value: "GREETING=hi"}, {name: label, value: "team=a"}]`)))
	cl.MustRun("job", "create", key, good, "--wait-until", "RUNNING", "--timeout", "90s")
	if out := cl.MustRun("task", "run", key+"/0", "echo $GREETING").Stdout; !strings.Contains(out, "hi") {
		t.Errorf("env parameter not applied: %q", out)
	}
	before := harness.Containers(t, key)
	bad := cl.WriteJobFile(key, "bad-update", service(oneTask("sleep 3600", "{cpu: 0.1, ram: 32MB, disk: 16MB}",
		`, parameters: [{name: cap-add, value: SYS_ADMIN}]`)))
	res, err := cl.RunFor(time.Minute, "update", "start", key, bad)
	if err != nil {
		t.Fatal(err)
	}
	if res.Code != harness.ExitConfig || !strings.Contains(res.Stderr, "docker.allowed_parameters") {
		t.Errorf("update to cap-add: want exit 3 naming docker.allowed_parameters: %s", res)
	}
	if after := harness.Containers(t, key); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a refused update changed the containers: %v → %v", before, after)
	}
	cl.MustRun("job", "killall", key)
	r.add(5, 0, 0)
}

// TestHealthRedirectNotFollowed: a task whose /health answers 302 to a
// server of the test is unhealthy, and the server is never asked.
func TestHealthRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: health redirect not followed")
	var fetched atomic.Int32
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetched.Add(1)
		fmt.Fprintln(w, "ok")
	})}
	go func() { _ = target.Serve(l) }()
	t.Cleanup(func() { _ = target.Close() })

	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("redirect")
	answer := fmt.Sprintf(`HTTP/1.1 302 Found\r\nLocation: http://%s/health\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, l.Addr())
	path := cl.WriteJob(key, fmt.Sprintf(`    instances: 1
    service: true
    container: {docker: {image: 'borealis/base:latest'}}
    health_check_config: {initial_interval_secs: 1, interval_secs: 1, timeout_secs: 1, max_consecutive_failures: 2}
    task:
      processes:
        - name: redirector
          cmdline: 'while true; do printf "%s" | nc -l -p {{thermos.ports[health]}}; done'
      resources: {cpu: 0.1, ram: 32MB, disk: 16MB}
`, answer))
	cl.MustRun("job", "create", key, path)
	s := cl.WaitStatus(key, 90*time.Second, "a task failed its health checks", func(s harness.JobStatus) (bool, string) {
		for _, task := range s.InactiveOf(0) {
			if strings.Contains(task.Events(), "302") {
				return true, ""
			}
		}
		return false, "want an ended task whose events name the 302 answer"
	})
	for _, task := range append(s.InactiveOf(0), s.Active...) {
		if strings.Contains(task.Events(), "RUNNING") {
			t.Errorf("task %s became RUNNING on a redirect: %s", task.TaskID, task.Events())
		}
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the redirect target was fetched %d times", n)
	}
	cl.MustRun("job", "killall", key)
	r.add(1, 0, 0)
}

// dirSize is the total size of the files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			n += fi.Size()
		}
		return nil
	})
	return n, err
}

// TestLogFlood: a task writing 200 MB to stdout, with logs rotating at
// 4 MiB keeping 2, finishes with a sandbox under 20 MB and a capped
// container log; a task writing a file past its disk ends FAILED with
// "Disk limit exceeded".
func TestLogFlood(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: logs and disk bounded")
	cl := env.NewCluster(t, harness.Flapping{})
	flood := cl.Job("flood")
	path := cl.WriteJob(flood, `    instances: 1
    service: false
    container: {docker: {image: 'borealis/base:latest'}}
    task:
      processes:
        - name: flood
          cmdline: 'yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c 209715200'
          logger: {mode: rotate, rotate: {log_size: 4MB, backups: 2}}
      resources: {cpu: 1, ram: 64MB, disk: 20MB}
`)
	cl.MustRun("job", "create", flood, path, "--wait-until", "FINISHED", "--timeout", "3m")
	s, err := cl.Status(flood)
	if err != nil {
		t.Fatal(err)
	}
	ended := s.InactiveOf(0)
	if len(ended) != 1 || ended[0].Status != "FINISHED" {
		t.Fatalf("want one FINISHED task:\n%s", s)
	}
	sandbox := filepath.Join(cl.DataDir, "sandboxes", ended[0].TaskID)
	size, err := dirSize(sandbox)
	if err != nil {
		t.Fatal(err)
	}
	if size >= 20<<20 {
		t.Errorf("sandbox of the flood is %d bytes, want under 20 MiB", size)
	}
	if n, _ := filepath.Glob(filepath.Join(sandbox, ".logs", "flood.stdout*")); len(n) != 3 {
		t.Errorf("want flood.stdout and 2 backups, got %v", n)
	}
	if ended[0].ContainerID != "" {
		if out, err := harness.DockerOut(context.Background(), "inspect", "--format", "{{.LogPath}}", ended[0].ContainerID); err == nil {
			matches, _ := filepath.Glob(strings.TrimSpace(out) + "*")
			var total int64
			for _, m := range matches {
				if fi, err := os.Stat(m); err == nil {
					total += fi.Size()
				}
			}
			if total > 40<<20 {
				t.Errorf("container log is %d bytes, want it capped (json-file max-size, max-file)", total)
			}
		}
	}

	full := cl.Job("diskfull")
	path = cl.WriteJob(full, oneTask("head -c 31457280 /dev/zero > big; exec sleep 3600", "{cpu: 0.1, ram: 32MB, disk: 20MB}", ""))
	cl.MustRun("job", "create", full, path)
	cl.WaitStatus(full, 90*time.Second, "the task over its disk failed", func(s harness.JobStatus) (bool, string) {
		for _, task := range s.InactiveOf(0) {
			if task.Status == "FAILED" && strings.Contains(task.Events(), "Disk limit exceeded") {
				return true, ""
			}
		}
		return false, "want a FAILED task with Disk limit exceeded"
	})
	cl.MustRun("job", "killall", full)
	r.add(2, 0, 0)
}

// TestPathologicalConfigs: configs that would take unbounded time or
// memory exit 3 within 5 s and 512 MB.
func TestPathologicalConfigs(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: pathological configs bounded")
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const key = "faults/bad/prod/job"
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"big string", write("big_string.aurora", "x = 'a' * (1 << 29)\njobs = []\n")},
		{"big list", write("big_list.aurora", "x = list(range(200000000))\njobs = []\n")},
		{"endless loop", write("loop.aurora", "def f():\n  for i in range(1 << 62):\n    pass\nf()\njobs = []\n")},
		{"device", "/dev/zero"},
		{"device behind a .yaml name", zero},
		{"big file", write("big.yaml", "jobs: []\n"+strings.Repeat("# padding padding padding\n", 400000))},
	} {
		start := time.Now()
		cmd := exec.Command(filepath.Join(env.BinDir, "borealis"), "job", "inspect", key, tc.path)
		out, err := cmd.CombinedOutput()
		took := time.Since(start)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != harness.ExitConfig {
			t.Errorf("%s: want exit 3, got %v: %s", tc.name, err, out)
			continue
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
		if took > 5*time.Second || rss > 512<<20 {
			t.Errorf("%s: took %s and %d MiB, want under 5 s and 512 MiB: %s", tc.name, took, rss>>20, out)
		}
		t.Logf("%s: exit 3 in %s, %d MiB: %s", tc.name, took.Round(time.Millisecond), rss>>20, strings.TrimSpace(string(out)))
	}
	r.add(6, 0, 0)
}

// TestWorkflowBadInput starts a job workflow directly on Temporal, as
// anyone who reaches the frontend could, with a config the CLI would have
// refused (no memory limit): the workflow fails with the Refused error and
// no container is made.
func TestWorkflowBadInput(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: bad workflow input refused")
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("direct")
	jobs, err := config.Load(cl.WriteJob(key, oneTask("sleep 3600", "{cpu: 0.1, ram: 32MB, disk: 16MB}", "")), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	job := *jobs[0]
	res := *job.Task.Resources
	res.RAM = 0
	job.Task.Resources = &res
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := env.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        workflows.JobWorkflowID(key),
		TaskQueue: cl.Queue,
	}, workflows.JobWorkflowName, workflows.JobInput{Job: job})
	if err != nil {
		t.Fatal(err)
	}
	err = run.Get(ctx, nil)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != taskapi.ErrTypeRefused || !strings.Contains(appErr.Message(), "ram") {
		t.Fatalf("want the job workflow to fail with a Refused error naming ram, got %v", err)
	}
	if cs := harness.Containers(t, key); len(cs) != 0 {
		t.Errorf("a refused job made containers: %v", cs)
	}
	r.add(1, 0, 0)
}

// TestTwoDeployments runs the same job key in two deployments on one
// Docker Engine (two Temporal servers, two workers): each creates,
// restarts and kills its own containers and never touches the other's.
func TestTwoDeployments(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: two deployments on one engine")
	a := env.NewCluster(t, harness.Flapping{})
	srv := harness.StartDevServer(t, filepath.Join(t.TempDir(), "b.db"), harness.FreeHostPort(t))
	t.Cleanup(func() { _ = srv.Stop() })
	b := env.NewClusterOn(t, harness.Flapping{}, srv.FrontendHostPort())
	key := a.Job("twin")
	b.Keys = append(b.Keys, key)
	demo := harness.Demo{Instances: 2, Version: 1, Bad: -1}
	a.Create(key, a.WriteVersion(key, demo))
	ours := func(cl *harness.Cluster) map[string]bool {
		s, err := cl.Status(key)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, task := range s.Active {
			ids[task.ContainerID] = true
		}
		return ids
	}
	ofA := ours(a)
	b.MustRun("job", "create", key, b.WriteVersion(key, demo), "--wait-until", "RUNNING", "--timeout", "90s")
	ofB := ours(b)
	still := func(ids map[string]bool) error {
		running := map[string]bool{}
		for _, c := range harness.Running(harness.Containers(t, key)) {
			running[c.ID] = true
		}
		for id := range ids {
			if !running[id] {
				return fmt.Errorf("container %.12s is not running", id)
			}
		}
		return nil
	}
	if err := still(ofA); err != nil {
		t.Errorf("creating the job in deployment b stopped a's: %v", err)
	}
	// b restarts a killed task of its own, and kills its job.
	for id := range ofB {
		harness.Docker(t, "kill", id)
		break
	}
	b.WaitStatus(key, time.Minute, "b restarted its task", func(s harness.JobStatus) (bool, string) {
		n := 0
		for _, task := range s.Active {
			if task.Status == "RUNNING" && !ofB[task.ContainerID] {
				n++
			}
		}
		return n == 1, "want one new RUNNING task"
	})
	b.MustRun("job", "killall", key)
	if err := still(ofA); err != nil {
		t.Errorf("deployment b's restart and kill touched a's containers: %v", err)
	}
	if got := ours(a); fmt.Sprint(got) != fmt.Sprint(ofA) {
		t.Errorf("deployment a's tasks changed: %v → %v", ofA, got)
	}
	a.MustRun("job", "killall", key)
	r.add(3, 0, 0)
}

// historyContains reports whether any event of the workflow's current run
// holds text (payloads are JSON, so a secret would show as plain text).
func historyContains(t *testing.T, id, text string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	it := env.Temporal.GetWorkflowHistory(ctx, id, "", false, 0)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		if strings.Contains(e.String(), text) {
			return true
		}
	}
	return false
}

// TestSecrets: {{secret[NAME]}} reaches the task's cmdline and env from
// the worker's secrets.dir, while the job's and the instance's histories
// and `job inspect` hold only the reference; a secret the worker does not
// have fails the task's start naming it, and the job goes on throttling
// without growing its history out of bounds.
func TestSecrets(t *testing.T) {
	t.Parallel()
	r := scenario(t, "security: secrets stay out of Temporal")
	cl := env.NewCluster(t, harness.Flapping{})
	dir := filepath.Join(cl.Home, "secrets")
	const value = "s3cr3t-v4lue-7d1f"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "db_pass"), []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cl.StopWorker()
	cl.WorkerArgs = append(cl.WorkerArgs, "--secrets-dir", dir)
	cl.StartWorker()

	key := cl.Job("secret")
	path := cl.WriteJob(key, oneTask(`echo "arg={{secret[db_pass]}} env=$PASS"; exec sleep 3600`, "{cpu: 0.1, ram: 32MB, disk: 16MB}",
		`, parameters: [{name: env, value: "PASS={{secret[db_pass]}}"}]`))
	if out := cl.MustRun("job", "inspect", key, path).Stdout; strings.Contains(out, value) || !strings.Contains(out, "{{secret[db_pass]}}") {
		t.Errorf("job inspect shows the secret's value or not its reference:\n%s", out)
	}
	cl.MustRun("job", "create", key, path, "--wait-until", "RUNNING", "--timeout", "90s")
	harness.Eventually(t, 30*time.Second, "the task printed its secrets", func() (bool, string) {
		out := cl.MustRun("task", "logs", key+"/0").Stdout
		return strings.Contains(out, "arg="+value+" env="+value), out
	})
	for _, id := range []string{workflows.JobWorkflowID(key), workflows.InstanceWorkflowID(key, 0)} {
		if historyContains(t, id, value) {
			t.Errorf("the history of %s holds the secret's value", id)
		}
	}
	cl.MustRun("job", "killall", key)

	missing := cl.Job("nosecret")
	path = cl.WriteJob(missing, strings.Replace(oneTask(`echo {{secret[nope]}}; exec sleep 3600`, "{cpu: 0.1, ram: 32MB, disk: 16MB}", ""),
		"service: false", "service: true", 1))
	res := cl.MustRun("job", "create", missing, path)
	if !strings.Contains(res.Stderr, "nope") {
		t.Errorf("job create: want a warning naming the missing secret: %s", res)
	}
	cl.WaitStatus(missing, 90*time.Second, "two starts failed on the missing secret", func(s harness.JobStatus) (bool, string) {
		n := 0
		for _, task := range s.InactiveOf(0) {
			if task.Status == "FAILED" && strings.Contains(task.Events(), `secret "nope" not found`) {
				n++
			}
		}
		return n >= 2, "want 2 FAILED tasks naming the secret"
	})
	cl.MustRun("job", "killall", missing)
	checkHistory(t, workflows.InstanceWorkflowID(missing, 0), 0)
	r.add(2, 0, 0)
}
