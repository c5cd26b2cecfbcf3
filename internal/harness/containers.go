package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Container is a Docker container of a job, from `docker ps -a`.
type Container struct {
	ID       string
	Task     string
	Instance int
	State    string // running, exited, created, ...
}

func (c Container) String() string {
	return fmt.Sprintf("%.12s task=%s instance=%d %s", c.ID, c.Task, c.Instance, c.State)
}

func DockerOut(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

func Docker(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := DockerOut(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Containers lists every container that carries the job's label.
func Containers(t testing.TB, key string) []Container {
	t.Helper()
	out := Docker(t, "ps", "-a", "--no-trunc", "--filter", "label=borealis.job="+key,
		"--format", `{{.ID}}|{{.Label "borealis.task"}}|{{.Label "borealis.instance"}}|{{.State}}`)
	var cs []Container
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) != 4 {
			t.Fatalf("docker ps: unexpected line %q", sc.Text())
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("docker ps: instance label %q: %v", f[2], err)
		}
		cs = append(cs, Container{ID: f[0], Task: f[1], Instance: n, State: f[3]})
	}
	return cs
}

func Running(cs []Container) []Container {
	var out []Container
	for _, c := range cs {
		if c.State == "running" {
			out = append(out, c)
		}
	}
	return out
}

func OfInstance(cs []Container, id int) []Container {
	var out []Container
	for _, c := range cs {
		if c.Instance == id {
			out = append(out, c)
		}
	}
	return out
}

func ListContainers(cs []Container) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	return b.String()
}

// Mismatch compares Docker with the job's status and says how they
// disagree ("" when they agree): every running container is the container
// of an active task, every active task that started (STARTING, RUNNING) has
// its container running, and every other container belongs to a task the
// Status shows (no orphans).
func Mismatch(s JobStatus, cs []Container) string {
	var problems []string
	byTask := map[string]Container{}
	for _, c := range cs {
		if _, dup := byTask[c.Task]; dup {
			problems = append(problems, "two containers of task "+c.Task)
		}
		byTask[c.Task] = c
	}
	for _, c := range cs {
		t, ok := s.Find(c.Task)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("orphan container %s: no such task in status", c))
		case c.State == "running" && !slices.ContainsFunc(s.Active, func(a Task) bool { return a.TaskID == c.Task }):
			problems = append(problems, fmt.Sprintf("container %s runs but its task is %s (inactive)", c, t.Status))
		case t.ContainerID != "" && t.ContainerID != c.ID:
			problems = append(problems, fmt.Sprintf("container %s: status says container %.12s", c, t.ContainerID))
		}
	}
	for _, a := range s.Active {
		if a.Status != "STARTING" && a.Status != "RUNNING" {
			continue
		}
		if c, ok := byTask[a.TaskID]; !ok || c.State != "running" {
			problems = append(problems, fmt.Sprintf("active task %s is %s but its container is not running (%v)", a.TaskID, a.Status, c))
		}
	}
	return strings.Join(problems, "\n")
}

// Consistent waits until Docker and the job's status agree (see mismatch)
// and returns both.
func (cl *Cluster) Consistent(key string, timeout time.Duration) (JobStatus, []Container) {
	cl.T.Helper()
	var s JobStatus
	var cs []Container
	Eventually(cl.T, timeout, "docker agrees with job status of "+key, func() (bool, string) {
		var err error
		if s, err = cl.Status(key); err != nil {
			return false, err.Error()
		}
		cs = Containers(cl.T, key)
		m := Mismatch(s, cs)
		return m == "", m + "\nstatus:\n" + s.String() + "containers:\n" + ListContainers(cs)
	})
	return s, cs
}
