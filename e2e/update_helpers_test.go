package e2e

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

// Exit code of `update start --wait` for an update that ended neither
// ROLLED_FORWARD nor ROLLED_BACK (SPEC §6), and of an operation on a job
// without an active update.
const (
	exitInvalidParameter = 6
	exitUnknown          = 20
)

// updateTimeout bounds one update of these tests end to end.
const updateTimeout = 3 * time.Minute

// Health checks of the demo jobs: a check every half second after 2 s of
// grace (m = 4), healthy at the first success, so a healthy task is RUNNING
// within a second or so of listening and an unhealthy one FAILS after 5
// checks (n = 4 + 0 + 1), 2.5 s.
const demoHealth = `    health_check_config: {initial_interval_secs: 2, interval_secs: 0.5, min_consecutive_successes: 1}
`

// demo describes a service of the demo image (borealis/demo:latest) with an
// `http` and a `health` port, as one version of a job.
type demo struct {
	instances int
	version   int
	// bad is the instance that runs with -unhealthy in this version (a
	// shell conditional on {{mesos.instance}}); -1 for none.
	bad int
	// flags are more demo flags for every instance (-slow-start 2).
	flags string
	// health replaces demoHealth (indented as a job's fields) when set.
	health string
	// update is the job's update_config, a YAML flow mapping.
	update string
}

// yaml is the job's fields for cluster.writeJob.
func (d demo) yaml() string {
	demoCmd := fmt.Sprintf("/usr/local/bin/borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}} -version %d", d.version)
	if d.flags != "" {
		demoCmd += " " + d.flags
	}
	cmdline := "exec " + demoCmd
	if d.bad >= 0 {
		cmdline = fmt.Sprintf(`f=""; if [ {{mesos.instance}} -eq %d ]; then f=-unhealthy; fi; exec %s $f`, d.bad, demoCmd)
	}
	health := d.health
	if health == "" {
		health = demoHealth
	}
	update := d.update
	if update == "" {
		update = "{batch_size: 1, watch_secs: 0}"
	}
	return fmt.Sprintf(`    service: true
    instances: %d
    container: {docker: {image: 'borealis/demo:latest'}}
%s    update_config: %s
    task:
      processes:
        - name: web
          cmdline: '%s'
      resources: {cpu: 0.1, ram: 32MB, disk: 16MB}
`, d.instances, health, update, cmdline)
}

// writeVersion writes the job's config of one version to its own file.
func (cl *cluster) writeVersion(key string, d demo) string {
	cl.t.Helper()
	return cl.writeJobFile(key, fmt.Sprintf("v%d-%d", d.version, d.instances), d.yaml())
}

// writeJobFile is writeJob to a file of its own, named by suffix.
func (cl *cluster) writeJobFile(key, suffix, body string) string {
	cl.t.Helper()
	parts := strings.Split(key, "/")
	header := fmt.Sprintf("jobs:\n  - cluster: %s\n    role: %s\n    environment: %s\n    name: %s\n", parts[0], parts[1], parts[2], parts[3])
	path := filepath.Join(cl.home, parts[3]+"-"+suffix+".yaml")
	if err := os.WriteFile(path, []byte(header+body), 0o644); err != nil {
		cl.t.Fatal(err)
	}
	return path
}

// create creates the job and waits until every instance is RUNNING.
func (cl *cluster) create(key, path string) jobStatus {
	cl.t.Helper()
	cl.mustRun("job", "create", key, path, "--wait-until", "RUNNING", "--timeout", "90s")
	s, _ := cl.consistent(key, 20*time.Second)
	return s
}

// updateInfo is `update info --write-json` (SPEC §6).
type updateInfo struct {
	UpdateID       string          `json:"updateId"`
	Job            string          `json:"job"`
	Status         string          `json:"status"`
	Started        int64           `json:"started"`
	LastModified   int64           `json:"lastModified"`
	UpdateEvents   []updateEvent   `json:"updateEvents"`
	InstanceEvents []instanceEvent `json:"instanceEvents"`
}

type updateEvent struct {
	Timestamp int64  `json:"timestamp"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

type instanceEvent struct {
	InstanceID int    `json:"instanceId"`
	Timestamp  int64  `json:"timestamp"`
	Action     string `json:"action"`
}

func (u updateInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "update %s of %s: %s\n", u.UpdateID, u.Job, u.Status)
	for _, e := range u.UpdateEvents {
		fmt.Fprintf(&b, "  %d %s %s\n", e.Timestamp, e.Status, e.Message)
	}
	for _, e := range u.InstanceEvents {
		fmt.Fprintf(&b, "  %d instance %d %s\n", e.Timestamp, e.InstanceID, e.Action)
	}
	return b.String()
}

// order lists the instances of action's events, in event order.
func (u updateInfo) order(action string) []int {
	var ids []int
	for _, e := range u.InstanceEvents {
		if e.Action == action {
			ids = append(ids, e.InstanceID)
		}
	}
	return ids
}

// actions lists one instance's actions, in order.
func (u updateInfo) actions(instance int) []string {
	var out []string
	for _, e := range u.InstanceEvents {
		if e.InstanceID == instance {
			out = append(out, e.Action)
		}
	}
	return out
}

// statuses lists the update's states in order.
func (u updateInfo) statuses() []string {
	var out []string
	for _, e := range u.UpdateEvents {
		out = append(out, e.Status)
	}
	return out
}

// info runs `update info KEY [ID] --write-json` and decodes it strictly.
func (cl *cluster) info(key, id string) (updateInfo, error) {
	args := []string{"update", "info", key}
	if id != "" {
		args = append(args, id)
	}
	r, err := cl.runFor(time.Minute, append(args, "--write-json")...)
	if err != nil {
		return updateInfo{}, err
	}
	if r.code != exitOK {
		return updateInfo{}, fmt.Errorf("%s", r)
	}
	if !strings.Contains(r.stderr, "Web UI: ") {
		return updateInfo{}, fmt.Errorf("with --write-json the Web UI address goes to stderr: %s", r)
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	var u updateInfo
	if err := dec.Decode(&u); err != nil {
		return updateInfo{}, fmt.Errorf("decode %s: %v", r, err)
	}
	if u.Job != key || (id != "" && u.UpdateID != id) || u.UpdateID == "" {
		return updateInfo{}, fmt.Errorf("want update %q of %s: %s", id, key, r)
	}
	return u, nil
}

func (cl *cluster) mustInfo(key, id string) updateInfo {
	cl.t.Helper()
	u, err := cl.info(key, id)
	if err != nil {
		cl.t.Fatal(err)
	}
	if testing.Verbose() {
		cl.t.Logf("%s", u)
	}
	return u
}

// waitUpdate polls `update info` until cond holds.
func (cl *cluster) waitUpdate(key, id string, timeout time.Duration, what string, cond func(updateInfo) bool) updateInfo {
	cl.t.Helper()
	var got updateInfo
	eventually(cl.t, timeout, what, func() (bool, string) {
		u, err := cl.info(key, id)
		if err != nil {
			return false, err.Error()
		}
		got = u
		return cond(u), u.String()
	})
	return got
}

// waitStatusIs waits until the update is in state.
func (cl *cluster) waitStatusIs(key, id, state string, timeout time.Duration) updateInfo {
	cl.t.Helper()
	return cl.waitUpdate(key, id, timeout, "update "+state, func(u updateInfo) bool { return u.Status == state })
}

var updateStarted = regexp.MustCompile(`(?m)^Update (\S+) started$`)

// startUpdate runs `update start KEY CONFIG args...` and returns how it
// ended and the update's id.
func (cl *cluster) startUpdate(key, path string, args ...string) (result, string) {
	cl.t.Helper()
	start := time.Now()
	r, err := cl.runFor(updateTimeout, append([]string{"update", "start", key, path}, args...)...)
	if err != nil {
		cl.t.Fatal(err)
	}
	cl.t.Logf("update start %s %s took %s (exit %d)", key, strings.Join(args, " "), time.Since(start).Round(time.Millisecond), r.code)
	m := updateStarted.FindStringSubmatch(r.stdout)
	if m == nil {
		cl.t.Fatalf("no update id in the output: %s", r)
	}
	return r, m[1]
}

// startUpdateAsync runs `update start KEY CONFIG --wait args...` in the
// background; the channel gets how it ended.
func (cl *cluster) startUpdateAsync(key, path string, args ...string) <-chan result {
	done := make(chan result, 1)
	go func() {
		r, err := cl.runFor(updateTimeout, append([]string{"update", "start", key, path, "--wait"}, args...)...)
		if err != nil {
			r.code, r.stderr = -1, err.Error()
		}
		done <- r
	}()
	return done
}

// once checks that every instance of ids has exactly the actions want, in
// that order, and no other instance has any event.
func once(t *testing.T, u updateInfo, ids []int, want ...string) {
	t.Helper()
	for _, e := range u.InstanceEvents {
		if !slices.Contains(ids, e.InstanceID) {
			t.Errorf("instance %d is not part of the update but has %s:\n%s", e.InstanceID, e.Action, u)
		}
	}
	for _, i := range ids {
		if got := u.actions(i); !slices.Equal(got, want) {
			t.Errorf("instance %d: actions %v, want %v:\n%s", i, got, want, u)
		}
	}
}

// span is 0, 1, ..., n-1.
func span(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func reversed(ids []int) []int {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

var httpClient = &http.Client{Timeout: 3 * time.Second}

// get fetches path from a host port of the demo server.
func get(port int, path string) (string, error) {
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

// versions asks every active task's container which version it runs
// (GET / on its http host port): instance → version number, 0 for a task
// that does not answer.
func versions(s jobStatus) (map[int]int, string) {
	out := map[int]int{}
	var problems []string
	for _, a := range s.Active {
		port := a.AssignedPorts["http"]
		body, err := get(port, "/")
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

// settled waits until Docker agrees with the job's status, exactly the
// instances of want have an active RUNNING task, each the only running
// container of its instance, and each answers GET / with its version of
// want. It returns the status.
func (cl *cluster) settled(key string, want map[int]int, timeout time.Duration) jobStatus {
	cl.t.Helper()
	var s jobStatus
	eventually(cl.t, timeout, fmt.Sprintf("%s runs versions %v", key, want), func() (bool, string) {
		var err error
		if s, err = cl.status(key); err != nil {
			return false, err.Error()
		}
		cs := containers(cl.t, key)
		if m := mismatch(s, cs); m != "" {
			return false, m + "\n" + s.String() + listContainers(cs)
		}
		if len(s.Active) != len(want) || len(running(cs)) != len(want) {
			return false, fmt.Sprintf("want %d active tasks and running containers:\n%s%s", len(want), s, listContainers(cs))
		}
		for _, a := range s.Active {
			if _, ok := want[a.InstanceID]; !ok || a.Status != "RUNNING" {
				return false, fmt.Sprintf("instance %d: %s, want RUNNING in %v:\n%s", a.InstanceID, a.Status, want, s)
			}
		}
		got, problems := versions(s)
		if problems != "" || fmt.Sprint(got) != fmt.Sprint(want) {
			return false, fmt.Sprintf("versions %v, want %v\n%s\n%s", got, want, problems, s)
		}
		return true, ""
	})
	return s
}

// all is every instance of n at one version.
func all(n, version int) map[int]int {
	out := map[int]int{}
	for i := range n {
		out[i] = version
	}
	return out
}

// oldGone checks that no container of the tasks of before runs any more.
func oldGone(t *testing.T, key string, before jobStatus, keep ...int) {
	t.Helper()
	cs := containers(t, key)
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

// replacedOnce checks that each instance of ids has had exactly two tasks
// (its task of before, now inactive, and one new active task), and each
// instance of kept still runs its task of before and no other.
func replacedOnce(t *testing.T, s, before jobStatus, ids, kept []int) {
	t.Helper()
	for _, i := range ids {
		was, _ := before.active(i)
		now, ok := s.active(i)
		in := s.inactive(i)
		if !ok || now.TaskID == was.TaskID || len(in) != 1 || in[0].TaskID != was.TaskID {
			t.Errorf("instance %d: want its old task %s inactive and one new active task, exactly two tasks:\n%s", i, was.TaskID, s)
		}
	}
	for _, i := range kept {
		was, _ := before.active(i)
		now, ok := s.active(i)
		if !ok || now.TaskID != was.TaskID || len(s.inactive(i)) != 0 {
			t.Errorf("instance %d: want its task %s untouched:\n%s", i, was.TaskID, s)
		}
	}
}

// driveUpdate follows the job's active update until it ends, resuming it
// when it pauses and pulsing it when it awaits a pulse, and returns it.
func (cl *cluster) driveUpdate(key string, timeout time.Duration) updateInfo {
	cl.t.Helper()
	var id string
	eventually(cl.t, 30*time.Second, "an update of "+key+" is active", func() (bool, string) {
		u, err := cl.info(key, "")
		if err != nil {
			return false, err.Error()
		}
		id = u.UpdateID
		return id != "", u.String()
	})
	var last updateInfo
	eventually(cl.t, timeout, "update "+id+" of "+key+" ends", func() (bool, string) {
		u, err := cl.info(key, id)
		if err != nil {
			return false, err.Error()
		}
		last = u
		switch u.Status {
		case "ROLL_FORWARD_PAUSED", "ROLL_BACK_PAUSED":
			cl.t.Logf("%s: resume", u.Status)
			if r, err := cl.runFor(time.Minute, "update", "resume", key); err != nil || r.code != exitOK {
				return false, fmt.Sprintf("update resume: %v %s", err, r)
			}
		case "ROLL_FORWARD_AWAITING_PULSE", "ROLL_BACK_AWAITING_PULSE":
			cl.t.Logf("%s: pulse", u.Status)
			if r, err := cl.runFor(time.Minute, "update", "pulse", key); err != nil || r.code != exitOK {
				return false, fmt.Sprintf("update pulse: %v %s", err, r)
			}
		case "ROLLED_FORWARD", "ROLLED_BACK", "ABORTED", "ERROR", "FAILED":
			return true, ""
		}
		return false, u.String()
	})
	return last
}
