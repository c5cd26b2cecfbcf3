package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// TestUpdatePortReuse: a job of 2 instances with 2 ports each in a range
// of 8 host ports. Each update needs only the 4 ports its old tasks give
// up (update_order stop_first), yet a worker keeps every port it picked
// reserved for 2 minutes and counts the ports of stopped containers as
// taken, so a second update in a row finds no free port and stalls until
// the reservations expire (docs/semantics.md §2: a port is picked from the free ones).
func TestUpdatePortReuse(t *testing.T) {
	t.Parallel()
	cl := env.NewClusterPorts(t, harness.Flapping{}, env.DevServer.FrontendHostPort(), 8)
	key := cl.Job("ports")
	v := harness.Demo{Instances: 2, Version: 1, Bad: -1, Update: "{batch_size: 1, watch_secs: 0}"}
	cl.Create(key, cl.WriteVersion(key, v))
	// Each update takes a few seconds (half a minute on a loaded machine);
	// without a free port, the second one waits until the ports picked at
	// job create are no longer reserved, 2 minutes after.
	for _, version := range []int{2, 3} {
		v.Version = version
		timeout := map[int]string{2: "90s", 3: "60s"}[version]
		r, id := cl.StartUpdate(key, cl.WriteVersion(key, v), "--wait", "--timeout", timeout)
		if r.Code != harness.ExitOK {
			s, _ := cl.Status(key)
			t.Fatalf("update to version %d: want ROLLED_FORWARD within %s with 4 of 8 ports free: %s\n%s\n%s\ncontainers:\n%s",
				version, timeout, r, cl.MustInfo(key, id), s, harness.ListContainers(harness.Containers(t, key)))
		}
		cl.Settled(key, harness.All(2, version), 20*time.Second)
	}
	if s, _ := cl.Status(key); strings.Contains(s.String(), "no free port") {
		t.Errorf("no free port:\n%s", s)
	}
}
