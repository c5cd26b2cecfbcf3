package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// UpdateTimeout bounds one update of these tests end to end.
const UpdateTimeout = 3 * time.Minute

// Health checks of the demo jobs: a check every half second after 4 s of
// grace (m = 8), healthy at the first success, so a healthy task is RUNNING
// within half a second of listening and an unhealthy one FAILS after 9
// checks (n = 8 + 0 + 1), 4.5 s. The grace is for a loaded 2-CPU machine
// running the suites side by side, where a container can take seconds from
// running to listening.
const DemoHealth = `    health_check_config: {initial_interval_secs: 4, interval_secs: 0.5, min_consecutive_successes: 1}
`

// Demo describes a service of the demo image (borealis/demo:latest) with an
// `http` and a `health` port, as one version of a job.
type Demo struct {
	Instances int
	Version   int
	// bad is the instance that runs with -unhealthy in this version (a
	// shell conditional on {{mesos.instance}}); -1 for none.
	Bad int
	// flags are more demo flags for every instance (-slow-start 2).
	Flags string
	// health replaces demoHealth (indented as a job's fields) when set.
	Health string
	// update is the job's update_config, a YAML flow mapping.
	Update string
	// Job holds more job fields, as YAML lines indented as a job's fields
	// (`    production: true\n`).
	Job string
}

// YAML is the job's fields for cluster.writeJob.
func (d Demo) YAML() string {
	demoCmd := fmt.Sprintf("/usr/local/bin/borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}} -version %d", d.Version)
	if d.Flags != "" {
		demoCmd += " " + d.Flags
	}
	cmdline := "exec " + demoCmd
	if d.Bad >= 0 {
		cmdline = fmt.Sprintf(`f=""; if [ {{mesos.instance}} -eq %d ]; then f=-unhealthy; fi; exec %s $f`, d.Bad, demoCmd)
	}
	health := d.Health
	if health == "" {
		health = DemoHealth
	}
	update := d.Update
	if update == "" {
		update = "{batch_size: 1, watch_secs: 0}"
	}
	return fmt.Sprintf(`    service: true
    instances: %d
    container: {docker: {image: 'borealis/demo:latest'}}
%s%s    update_config: %s
    task:
      processes:
        - name: web
          cmdline: '%s'
      resources: {cpu: 0.1, ram: 32MB, disk: 16MB}
`, d.Instances, d.Job, health, update, cmdline)
}

// WriteVersion writes the job's config of one version to its own file.
func (cl *Cluster) WriteVersion(key string, d Demo) string {
	cl.T.Helper()
	return cl.WriteJobFile(key, fmt.Sprintf("v%d-%d", d.Version, d.Instances), d.YAML())
}

// WriteJobFile is writeJob to a file of its own, named by suffix.
func (cl *Cluster) WriteJobFile(key, suffix, body string) string {
	cl.T.Helper()
	parts := strings.Split(key, "/")
	header := fmt.Sprintf("jobs:\n  - cluster: %s\n    role: %s\n    environment: %s\n    name: %s\n", parts[0], parts[1], parts[2], parts[3])
	path := filepath.Join(cl.Home, parts[3]+"-"+suffix+".yaml")
	if err := os.WriteFile(path, []byte(header+body), 0o644); err != nil {
		cl.T.Fatal(err)
	}
	return path
}

// Create creates the job and waits until every instance is RUNNING.
func (cl *Cluster) Create(key, path string) JobStatus {
	cl.T.Helper()
	cl.MustRun("job", "create", key, path, "--wait-until", "RUNNING", "--timeout", "90s")
	s, _ := cl.Consistent(key, 20*time.Second)
	return s
}

// UpdateInfo is `update info --write-json` (docs/semantics.md §6).
type UpdateInfo struct {
	UpdateID       string          `json:"updateId"`
	Job            string          `json:"job"`
	Status         string          `json:"status"`
	Started        int64           `json:"started"`
	LastModified   int64           `json:"lastModified"`
	UpdateEvents   []UpdateEvent   `json:"updateEvents"`
	InstanceEvents []InstanceEvent `json:"instanceEvents"`
	SLAWaits       []SLAWait       `json:"slaWaits"`
}

// SLAWait is an instance an SLA-aware update holds back.
type SLAWait struct {
	InstanceID int    `json:"instanceId"`
	Since      int64  `json:"since"`
	Reason     string `json:"reason"`
}

type UpdateEvent struct {
	Timestamp int64  `json:"timestamp"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

type InstanceEvent struct {
	InstanceID int    `json:"instanceId"`
	Timestamp  int64  `json:"timestamp"`
	Action     string `json:"action"`
	Message    string `json:"message"`
}

// note reports whether e is a note of an SLA-aware update: an event with a
// message, but not a failure, whose message is why the instance failed.
func (e InstanceEvent) note() bool {
	return e.Message != "" && e.Action != "INSTANCE_UPDATE_FAILED" && e.Action != "INSTANCE_ROLLBACK_FAILED"
}

func (u UpdateInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "update %s of %s: %s\n", u.UpdateID, u.Job, u.Status)
	for _, e := range u.UpdateEvents {
		fmt.Fprintf(&b, "  %d %s %s\n", e.Timestamp, e.Status, e.Message)
	}
	for _, e := range u.InstanceEvents {
		fmt.Fprintf(&b, "  %d instance %d %s %s\n", e.Timestamp, e.InstanceID, e.Action, e.Message)
	}
	for _, w := range u.SLAWaits {
		fmt.Fprintf(&b, "  instance %d waits for the SLA since %d: %s\n", w.InstanceID, w.Since, w.Reason)
	}
	return b.String()
}

// Order lists the instances of action's events, in event order.
func (u UpdateInfo) Order(action string) []int {
	var ids []int
	for _, e := range u.InstanceEvents {
		if e.Action == action && !e.note() {
			ids = append(ids, e.InstanceID)
		}
	}
	return ids
}

// Actions lists one instance's actions, in order, without the notes of
// SLA-aware updates.
func (u UpdateInfo) Actions(instance int) []string {
	var out []string
	for _, e := range u.InstanceEvents {
		if e.InstanceID == instance && !e.note() {
			out = append(out, e.Action)
		}
	}
	return out
}

// Statuses lists the update's states in order.
func (u UpdateInfo) Statuses() []string {
	var out []string
	for _, e := range u.UpdateEvents {
		out = append(out, e.Status)
	}
	return out
}

// Info runs `update info KEY [ID] --write-json` and decodes it strictly.
func (cl *Cluster) Info(key, id string) (UpdateInfo, error) {
	args := []string{"update", "info", key}
	if id != "" {
		args = append(args, id)
	}
	r, err := cl.RunFor(time.Minute, append(args, "--write-json")...)
	if err != nil {
		return UpdateInfo{}, err
	}
	if r.Code != ExitOK {
		return UpdateInfo{}, fmt.Errorf("%s", r)
	}
	if !strings.Contains(r.Stderr, "Web UI: ") {
		return UpdateInfo{}, fmt.Errorf("with --write-json the Web UI address goes to stderr: %s", r)
	}
	dec := json.NewDecoder(strings.NewReader(r.Stdout))
	dec.DisallowUnknownFields()
	var u UpdateInfo
	if err := dec.Decode(&u); err != nil {
		return UpdateInfo{}, fmt.Errorf("decode %s: %v", r, err)
	}
	if u.Job != key || (id != "" && u.UpdateID != id) || u.UpdateID == "" {
		return UpdateInfo{}, fmt.Errorf("want update %q of %s: %s", id, key, r)
	}
	return u, nil
}

func (cl *Cluster) MustInfo(key, id string) UpdateInfo {
	cl.T.Helper()
	u, err := cl.Info(key, id)
	if err != nil {
		cl.T.Fatal(err)
	}
	if testing.Verbose() {
		cl.T.Logf("%s", u)
	}
	return u
}

// WaitUpdate polls `update info` until cond holds.
func (cl *Cluster) WaitUpdate(key, id string, timeout time.Duration, what string, cond func(UpdateInfo) bool) UpdateInfo {
	cl.T.Helper()
	var got UpdateInfo
	Eventually(cl.T, timeout, what, func() (bool, string) {
		u, err := cl.Info(key, id)
		if err != nil {
			return false, err.Error()
		}
		got = u
		return cond(u), u.String()
	})
	return got
}

// WaitStatusIs waits until the update is in state.
func (cl *Cluster) WaitStatusIs(key, id, state string, timeout time.Duration) UpdateInfo {
	cl.T.Helper()
	return cl.WaitUpdate(key, id, timeout, "update "+state, func(u UpdateInfo) bool { return u.Status == state })
}

var updateStarted = regexp.MustCompile(`(?m)^Update (\S+) started$`)

// StartUpdate runs `update start KEY CONFIG args...` and returns how it
// ended and the update's id.
func (cl *Cluster) StartUpdate(key, path string, args ...string) (Result, string) {
	cl.T.Helper()
	start := time.Now()
	r, err := cl.RunFor(UpdateTimeout, append([]string{"update", "start", key, path}, args...)...)
	if err != nil {
		cl.T.Fatal(err)
	}
	cl.T.Logf("update start %s %s took %s (exit %d)", key, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), r.Code)
	m := updateStarted.FindStringSubmatch(r.Stdout)
	if m == nil {
		cl.T.Fatalf("no update id in the output: %s", r)
	}
	return r, m[1]
}

// StartUpdateAsync runs `update start KEY CONFIG --wait args...` in the
// background; the channel gets how it ended.
func (cl *Cluster) StartUpdateAsync(key, path string, args ...string) <-chan Result {
	done := make(chan Result, 1)
	go func() {
		r, err := cl.RunFor(UpdateTimeout, append([]string{"update", "start", key, path, "--wait"}, args...)...)
		if err != nil {
			r.Code, r.Stderr = -1, err.Error()
		}
		done <- r
	}()
	return done
}

// Once checks that every instance of ids has exactly the actions want, in
// that order, and no other instance has any event.
func Once(t testing.TB, u UpdateInfo, ids []int, want ...string) {
	t.Helper()
	for _, e := range u.InstanceEvents {
		if !slices.Contains(ids, e.InstanceID) {
			t.Errorf("instance %d is not part of the update but has %s:\n%s", e.InstanceID, e.Action, u)
		}
	}
	for _, i := range ids {
		if got := u.Actions(i); !slices.Equal(got, want) {
			t.Errorf("instance %d: actions %v, want %v:\n%s", i, got, want, u)
		}
	}
}

// Span is 0, 1, ..., n-1.
func Span(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func Reversed(ids []int) []int {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

var httpClient = &http.Client{Timeout: 3 * time.Second}

// Get fetches path from a host port of the demo server.
func Get(port int, path string) (string, error) {
	resp, err := httpClient.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s on port %d: %s: %s", path, port, resp.Status, b)
	}
	return string(b), nil
}

// Versions asks every active task's container which version it runs
// (GET / on its http host port): instance → version number, 0 for a task
// that does not answer.
func Versions(s JobStatus) (map[int]int, string) {
	out := map[int]int{}
	var problems []string
	for _, a := range s.Active {
		port := a.AssignedPorts["http"]
		body, err := Get(port, "/")
		v, convErr := strconv.Atoi(strings.TrimPrefix(body, "version "))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("instance %d (task %s, port %d): %v", a.InstanceID, a.TaskID, port, err))
		case !strings.HasPrefix(body, "version ") || convErr != nil:
			problems = append(problems, fmt.Sprintf("instance %d (task %s, port %d): GET / answered %q", a.InstanceID, a.TaskID, port, body))
		default:
			out[a.InstanceID] = v
		}
	}
	return out, strings.Join(problems, "\n")
}

// Settled waits until Docker agrees with the job's status, exactly the
// instances of want have an active RUNNING task, each the only running
// container of its instance, and each answers GET / with its version of
// want. It returns the status.
func (cl *Cluster) Settled(key string, want map[int]int, timeout time.Duration) JobStatus {
	cl.T.Helper()
	var s JobStatus
	Eventually(cl.T, timeout, fmt.Sprintf("%s runs versions %v", key, want), func() (bool, string) {
		var err error
		if s, err = cl.Status(key); err != nil {
			return false, err.Error()
		}
		cs := Containers(cl.T, key)
		if m := Mismatch(s, cs); m != "" {
			return false, m + "\n" + s.String() + ListContainers(cs)
		}
		if len(s.Active) != len(want) || len(Running(cs)) != len(want) {
			return false, fmt.Sprintf("want %d active tasks and running containers:\n%s%s", len(want), s, ListContainers(cs))
		}
		for _, a := range s.Active {
			if _, ok := want[a.InstanceID]; !ok || a.Status != "RUNNING" {
				return false, fmt.Sprintf("instance %d: %s, want RUNNING in %v:\n%s", a.InstanceID, a.Status, want, s)
			}
		}
		got, problems := Versions(s)
		if problems != "" || fmt.Sprint(got) != fmt.Sprint(want) {
			return false, fmt.Sprintf("versions %v, want %v\n%s\n%s", got, want, problems, s)
		}
		return true, ""
	})
	return s
}

// All is every instance of n at one version.
func All(n, version int) map[int]int {
	out := map[int]int{}
	for i := range n {
		out[i] = version
	}
	return out
}

// OldGone checks that no container of the tasks of before runs any more.
func OldGone(t testing.TB, key string, before JobStatus, keep ...int) {
	t.Helper()
	cs := Containers(t, key)
	for _, a := range before.Active {
		if slices.Contains(keep, a.InstanceID) {
			continue
		}
		for _, c := range cs {
			if c.Task == a.TaskID && c.State == "running" {
				t.Errorf("the old task %s of instance %d still runs: %s", a.TaskID, a.InstanceID, c)
			}
		}
	}
}

// ReplacedOnce checks that each instance of ids has had exactly two tasks
// (its task of before, now inactive, and one new active task), and each
// instance of kept still runs its task of before and no other.
func ReplacedOnce(t testing.TB, s, before JobStatus, ids, kept []int) {
	t.Helper()
	for _, i := range ids {
		was, _ := before.ActiveOf(i)
		now, ok := s.ActiveOf(i)
		in := s.InactiveOf(i)
		if !ok || now.TaskID == was.TaskID || len(in) != 1 || in[0].TaskID != was.TaskID {
			t.Errorf("instance %d: want its old task %s inactive and one new active task, exactly two tasks:\n%s", i, was.TaskID, s)
		}
	}
	for _, i := range kept {
		was, _ := before.ActiveOf(i)
		now, ok := s.ActiveOf(i)
		if !ok || now.TaskID != was.TaskID || len(s.InactiveOf(i)) != 0 {
			t.Errorf("instance %d: want its task %s untouched:\n%s", i, was.TaskID, s)
		}
	}
}

// DriveUpdate follows the job's active update until it ends, resuming it
// when it pauses and pulsing it when it awaits a pulse, and returns it.
func (cl *Cluster) DriveUpdate(key string, timeout time.Duration) UpdateInfo {
	cl.T.Helper()
	var id string
	Eventually(cl.T, 30*time.Second, "an update of "+key+" is active", func() (bool, string) {
		u, err := cl.Info(key, "")
		if err != nil {
			return false, err.Error()
		}
		id = u.UpdateID
		return id != "", u.String()
	})
	var last UpdateInfo
	Eventually(cl.T, timeout, "update "+id+" of "+key+" ends", func() (bool, string) {
		u, err := cl.Info(key, id)
		if err != nil {
			return false, err.Error()
		}
		last = u
		switch u.Status {
		case "ROLL_FORWARD_PAUSED", "ROLL_BACK_PAUSED":
			cl.T.Logf("%s: resume", u.Status)
			if r, err := cl.RunFor(time.Minute, "update", "resume", key); err != nil || r.Code != ExitOK {
				return false, fmt.Sprintf("update resume: %v %s", err, r)
			}
		case "ROLL_FORWARD_AWAITING_PULSE", "ROLL_BACK_AWAITING_PULSE":
			cl.T.Logf("%s: pulse", u.Status)
			if r, err := cl.RunFor(time.Minute, "update", "pulse", key); err != nil || r.Code != ExitOK {
				return false, fmt.Sprintf("update pulse: %v %s", err, r)
			}
		case "ROLLED_FORWARD", "ROLLED_BACK", "ABORTED", "ERROR", "FAILED":
			return true, ""
		}
		return false, u.String()
	})
	return last
}
