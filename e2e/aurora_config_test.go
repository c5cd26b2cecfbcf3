package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestAuroraConfigAsWritten runs a job from an Aurora config split as
// Aurora users split theirs: the task comes from an include()d file, a
// portmap alias is filled into the cmdline and announced, and a field
// Borealis does not act on draws a warning at create.
func TestAuroraConfigAsWritten(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	key := cl.Job("written")
	parts := strings.Split(key, "/")
	dir := filepath.Join(cl.Home, "aurora")
	lib := filepath.Join(dir, "lib")
	if err := os.MkdirAll(lib, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(lib, "server.aurora"), `
class Profile(Struct):
  greeting = Default(String, 'hello')

server = Process(
  name = 'server',
  cmdline = 'echo "{{profile.greeting}} on {{thermos.ports[admin]}} of {{thermos.ports[http]}}"; while true; do sleep 1; done',
)
SERVER = Task(name = 'server', processes = [server], resources = Resources(cpu = 0.1, ram = 16*MB, disk = 16*MB))
`)
	main := filepath.Join(dir, "main.aurora")
	write(main, fmt.Sprintf(`include('lib/server.aurora')

jobs = [Service(
  cluster = %q, role = %q, environment = %q, name = %q,
  task = SERVER,
  priority = 5,
  announce = Announcer(primary_port = 'http', portmap = {'admin': 'http'}),
).bind(profile = Profile(greeting = 'hi'))]
`, parts[0], parts[1], parts[2], parts[3]))

	r := cl.MustRun("job", "create", key, main, "--wait-until", "RUNNING", "--timeout", "60s")
	if !strings.Contains(r.Stderr, "Warning: priority: not acted on: Borealis preempts no task") {
		t.Fatalf("job create does not warn about priority: %s", r)
	}

	// The alias is its port, in the cmdline and among the endpoints.
	st := cl.MustRun("job", "status", key, "--write-json")
	var jobs []harness.JobStatus
	if err := json.Unmarshal([]byte(st.Stdout), &jobs); err != nil || len(jobs) != 1 || len(jobs[0].Active) != 1 {
		t.Fatalf("job status: %v\n%s", err, st)
	}
	http := jobs[0].Active[0].AssignedPorts["http"]
	if http == 0 || len(jobs[0].Active[0].AssignedPorts) != 1 {
		t.Fatalf("want one port, http: %v", jobs[0].Active[0].AssignedPorts)
	}
	want := "hi on " + strconv.Itoa(http) + " of " + strconv.Itoa(http) + "\n"
	harness.Eventually(t, 30*time.Second, "the task printed its ports", func() (bool, string) {
		r := cl.Run("task", "logs", key+"/0")
		return r.Code == harness.ExitOK && strings.Contains(r.Stdout, want), r.String()
	})
	ep := cl.MustRun("job", "endpoints", key, "--write-json")
	var members []struct {
		ServiceEndpoint     struct{ Port int }            `json:"serviceEndpoint"`
		AdditionalEndpoints map[string]struct{ Port int } `json:"additionalEndpoints"`
	}
	if err := json.Unmarshal([]byte(ep.Stdout), &members); err != nil || len(members) != 1 {
		t.Fatalf("job endpoints: %v\n%s", err, ep)
	}
	m := members[0]
	if m.ServiceEndpoint.Port != http || m.AdditionalEndpoints["admin"].Port != http || m.AdditionalEndpoints["aurora"].Port != http {
		t.Fatalf("want http, admin and aurora on port %d: %s", http, ep.Stdout)
	}
}
