package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// inspection is what the security checks read of `docker inspect`.
type inspection struct {
	ID     string `json:"Id"`
	Name   string `json:"Name"`
	Config struct {
		Labels map[string]string `json:"Labels"`
		User   string            `json:"User"`
	} `json:"Config"`
	State struct {
		Running   bool   `json:"Running"`
		StartedAt string `json:"StartedAt"`
	} `json:"State"`
	RestartCount int `json:"RestartCount"`
	HostConfig   struct {
		Privileged   bool     `json:"Privileged"`
		CapAdd       []string `json:"CapAdd"`
		CapDrop      []string `json:"CapDrop"`
		SecurityOpt  []string `json:"SecurityOpt"`
		Memory       int64    `json:"Memory"`
		NanoCpus     int64    `json:"NanoCpus"`
		CPUQuota     int64    `json:"CpuQuota"`
		PidsLimit    *int64   `json:"PidsLimit"`
		PortBindings map[string][]struct {
			HostIP   string `json:"HostIp"`
			HostPort string `json:"HostPort"`
		} `json:"PortBindings"`
		RestartPolicy struct {
			Name string `json:"Name"`
		} `json:"RestartPolicy"`
		LogConfig struct {
			Type   string            `json:"Type"`
			Config map[string]string `json:"Config"`
		} `json:"LogConfig"`
	} `json:"HostConfig"`
}

func inspect(ctx context.Context, ids ...string) ([]inspection, error) {
	out, err := harness.DockerOut(ctx, append([]string{"inspect"}, ids...)...)
	if err != nil {
		return nil, err
	}
	var is []inspection
	if err := json.Unmarshal([]byte(out), &is); err != nil {
		return nil, fmt.Errorf("decode docker inspect: %v", err)
	}
	return is, nil
}

// The containers of this suite's jobs, inspected the moment Docker
// reported them created (by watchContainers) or at their cluster's cleanup.
var (
	inspectedMu sync.Mutex
	inspected   = map[string]inspection{} // by container id
	goneEarly   = map[string]string{}     // id → job: removed before it could be inspected
	checked     = map[string]bool{}       // ids checked by checkSecurity
	// wantCaps are the capabilities a job asked for (cap-add).
	wantCaps = map[string][]string{}
)

// watchContainers inspects every container of this suite's jobs as soon as
// Docker reports it created, so that containers removed during a test are
// checked too. stop ends the watch.
func watchContainers() (stop func(), err error) {
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "docker", "events", "--filter", "type=container", "--filter", "event=create",
		"--filter", "label=borealis.job", "--filter", "label=borealis.task", "--format", `{{.Actor.ID}} {{index .Actor.Attributes "borealis.job"}}`)
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("docker events: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			id, job, _ := strings.Cut(sc.Text(), " ")
			if !strings.HasPrefix(job, env.Name+"/") {
				continue
			}
			ictx, icancel := context.WithTimeout(ctx, 30*time.Second)
			is, err := inspect(ictx, id)
			icancel()
			inspectedMu.Lock()
			if err != nil || len(is) != 1 {
				goneEarly[id] = job
			} else {
				inspected[id] = is[0]
			}
			inspectedMu.Unlock()
		}
	}()
	return func() { cancel(); _ = cmd.Wait(); <-done }, nil
}

func securityCounts() (int, int) {
	inspectedMu.Lock()
	defer inspectedMu.Unlock()
	n := 0
	for id := range goneEarly {
		if _, ok := inspected[id]; !ok {
			n++
		}
	}
	return len(inspected), n
}

// checkSecurity is the clusters' BeforeCleanup: every container of the
// cluster's jobs, those still there and those the watch inspected, runs
// unprivileged, with every capability dropped but those its job asked
// for, no-new-privileges, memory, CPU and pids limits, no restart policy,
// and ports published on 127.0.0.1 only, within the cluster's range.
func checkSecurity(cl *harness.Cluster) {
	t := cl.T
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, key := range cl.Keys {
		out, err := harness.DockerOut(ctx, "ps", "-aq", "--no-trunc", "--filter", "label=borealis.job="+key)
		if err != nil {
			t.Errorf("security: %v", err)
			continue
		}
		if ids := strings.Fields(out); len(ids) > 0 {
			is, err := inspect(ctx, ids...)
			if err != nil {
				t.Errorf("security: %v", err)
			}
			inspectedMu.Lock()
			for _, i := range is {
				inspected[i.ID] = i
			}
			inspectedMu.Unlock()
		}
	}
	lo, hi := portRange(t, cl.Ports)
	inspectedMu.Lock()
	defer inspectedMu.Unlock()
	n := 0
	for id, i := range inspected {
		key := i.Config.Labels["borealis.job"]
		// Borealis's containers carry both labels; a container with only
		// borealis.job is another tool's (TestForeignContainers).
		if !slices.Contains(cl.Keys, key) || i.Config.Labels["borealis.task"] == "" || checked[id] {
			continue
		}
		// Another deployment's container of the same job key
		// (TestTwoDeployments) is its own cluster's to check.
		if d := i.Config.Labels["borealis.deployment"]; d != "" && d != "default/"+cl.Queue {
			continue
		}
		checked[id] = true
		n++
		if problems := insecure(i, wantCaps[key], lo, hi); len(problems) > 0 {
			t.Errorf("security: container %s (%.12s) of %s:\n  %s", i.Name, i.ID, key, strings.Join(problems, "\n  "))
		}
	}
	t.Logf("security: %d containers of %v checked", n, cl.Keys)
}

func portRange(t testing.TB, r string) (int, int) {
	a, b, _ := strings.Cut(r, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		t.Fatalf("port range %q", r)
	}
	return lo, hi
}

// insecure lists what is wrong with a Borealis container's settings.
func insecure(i inspection, caps []string, lo, hi int) []string {
	var p []string
	h := i.HostConfig
	if h.Privileged {
		p = append(p, "privileged")
	}
	var added []string
	for _, c := range h.CapAdd {
		added = append(added, strings.TrimPrefix(strings.ToUpper(c), "CAP_"))
	}
	slices.Sort(added)
	want := slices.Clone(caps)
	slices.Sort(want)
	if !slices.Equal(added, want) {
		p = append(p, fmt.Sprintf("CapAdd %v, want %v", h.CapAdd, caps))
	}
	if !slices.Contains(h.CapDrop, "ALL") {
		p = append(p, fmt.Sprintf("CapDrop %v, want ALL", h.CapDrop))
	}
	if !slices.ContainsFunc(h.SecurityOpt, func(s string) bool {
		return s == "no-new-privileges" || s == "no-new-privileges:true" || s == "no-new-privileges=true"
	}) {
		p = append(p, fmt.Sprintf("SecurityOpt %v without no-new-privileges", h.SecurityOpt))
	}
	if h.Memory <= 0 {
		p = append(p, "no memory limit")
	}
	if h.NanoCpus <= 0 && h.CPUQuota <= 0 {
		p = append(p, "no CPU limit")
	}
	if h.PidsLimit == nil || *h.PidsLimit <= 0 {
		p = append(p, "no pids limit")
	}
	if u, _, _ := strings.Cut(i.Config.User, ":"); u == "" || u == "0" || u == "root" {
		p = append(p, fmt.Sprintf("user %q, want an unprivileged uid (tasks.uid)", i.Config.User))
	}
	if h.LogConfig.Type != "json-file" || h.LogConfig.Config["max-size"] == "" || h.LogConfig.Config["max-file"] == "" {
		p = append(p, fmt.Sprintf("log config %s %v, want json-file with max-size and max-file", h.LogConfig.Type, h.LogConfig.Config))
	}
	if i.Config.Labels["borealis.deployment"] == "" || i.Config.Labels["borealis.host"] == "" {
		p = append(p, fmt.Sprintf("labels %v without borealis.deployment and borealis.host", i.Config.Labels))
	}
	if h.RestartPolicy.Name != "" && h.RestartPolicy.Name != "no" {
		p = append(p, "restart policy "+h.RestartPolicy.Name)
	}
	for port, bs := range h.PortBindings {
		for _, b := range bs {
			n, err := strconv.Atoi(b.HostPort)
			if b.HostIP != "127.0.0.1" || err != nil || n < lo || n > hi {
				p = append(p, fmt.Sprintf("port %s published on %s:%s, want 127.0.0.1 and %d-%d", port, b.HostIP, b.HostPort, lo, hi))
			}
		}
	}
	task := i.Config.Labels["borealis.task"]
	if task == "" || i.Config.Labels["borealis.instance"] == "" {
		p = append(p, fmt.Sprintf("labels %v", i.Config.Labels))
	}
	if i.Name != "/borealis-"+task {
		p = append(p, fmt.Sprintf("name %s, want /borealis-%s", i.Name, task))
	}
	return p
}

// TestForeignContainers runs a job next to two containers of another tool
// that look like Borealis's: one named like a task of the job without any
// label, one with the job's borealis.job and borealis.instance labels but
// no borealis.task. The job starts, restarts a killed task, is updated
// and killed; neither foreign container is ever stopped, restarted or
// removed. The job asks for a capability (cap-add), which its containers
// get and no other. Every scenario's containers are checked for the
// security settings (checkSecurity) at its cleanup; this one also checks
// the port bindings of a job with ports.
func TestForeignContainers(t *testing.T) {
	t.Parallel()
	r := scenario(t, "foreign containers untouched")
	cl := env.NewCluster(t, harness.Flapping{})
	cl.StopWorker()
	cl.WorkerArgs = append(cl.WorkerArgs, "--docker-allowed-parameters", "env,label,workdir,volume,user,cap-add")
	cl.StartWorker()
	key := cl.Job("sec")
	inspectedMu.Lock()
	wantCaps[key] = []string{"NET_BIND_SERVICE"}
	inspectedMu.Unlock()
	parts := strings.Split(key, "/")
	foreign := []struct{ name, labels []string }{
		{[]string{fmt.Sprintf("borealis-%s-%s-%s-0-1-00000000", parts[1], parts[2], parts[3])}, nil},
		{[]string{fmt.Sprintf("borealis-%s-%s-%s-1-1-00000000", parts[1], parts[2], parts[3])},
			[]string{"--label", "borealis.job=" + key, "--label", "borealis.instance=1", "--label", "other.tool=yes"}},
	}
	var before []inspection
	for _, f := range foreign {
		name := f.name[0]
		// Registered after the cluster's cleanup, so it runs before it:
		// that one removes every container labelled with the job.
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, _ = harness.DockerOut(ctx, "rm", "-f", name)
		})
		args := append([]string{"run", "-d", "--name", name, "--network", "none"}, f.labels...)
		harness.Docker(t, append(args, "borealis/base:latest", "sleep", "3600")...)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		is, err := inspect(ctx, name)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, is[0])
	}

	v1 := harness.Demo{Instances: 2, Version: 1, Bad: -1, Update: "{batch_size: 2, watch_secs: 0}"}
	withCaps := func(d harness.Demo) string {
		y := strings.Replace(d.YAML(), "container: {docker: {image: 'borealis/demo:latest'}}",
			"container: {docker: {image: 'borealis/demo:latest', parameters: [{name: cap-add, value: NET_BIND_SERVICE}]}}", 1)
		return cl.WriteJobFile(key, fmt.Sprintf("v%d", d.Version), y)
	}
	// Not cl.Create: its consistency check would count the labelled
	// foreign container as an orphan of the job.
	cl.MustRun("job", "create", key, withCaps(v1), "--wait-until", "RUNNING", "--timeout", "90s")
	first, err := cl.Status(key)
	if err != nil {
		t.Fatal(err)
	}
	victim, _ := first.ActiveOf(0)
	harness.Docker(t, "kill", victim.ContainerID)
	cl.WaitStatus(key, time.Minute, "instance 0 restarted after docker kill", func(s harness.JobStatus) (bool, string) {
		a, ok := s.ActiveOf(0)
		return ok && a.TaskID != victim.TaskID && a.Status == "RUNNING", "want a new RUNNING task of instance 0"
	})
	v2 := v1
	v2.Version = 2
	if res, _ := cl.StartUpdate(key, withCaps(v2), "--wait"); res.Code != harness.ExitOK {
		t.Fatalf("update: want ROLLED_FORWARD: %s", res)
	}
	s, err := cl.Status(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Active {
		if a.Status != "RUNNING" || len(a.AssignedPorts) != 2 {
			t.Errorf("instance %d: want RUNNING with 2 ports:\n%s", a.InstanceID, s)
		}
	}
	cl.MustRun("job", "killall", key)
	r.add(4, 0, 0)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, f := range foreign {
		is, err := inspect(ctx, f.name[0])
		if err != nil {
			t.Errorf("foreign container %s: %v", f.name[0], err)
			continue
		}
		now, was := is[0], before[i]
		if now.ID != was.ID || !now.State.Running || now.State.StartedAt != was.State.StartedAt || now.RestartCount != 0 {
			t.Errorf("foreign container %s was touched: id %.12s → %.12s, running %v, started %s → %s, restarts %d",
				f.name[0], was.ID, now.ID, now.State.Running, was.State.StartedAt, now.State.StartedAt, now.RestartCount)
		}
	}
}
