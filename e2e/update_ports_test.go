package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestUpdatePortReuse: a job of 2 instances with 2 ports each in a range
// of 8 host ports. Each update needs only the 4 ports its old tasks give
// up (update_order stop_first), yet a worker keeps every port it picked
// reserved for 2 minutes and counts the ports of stopped containers as
// taken, so a second update in a row finds no free port and stalls until
// the reservations expire (SPEC §2: a port is picked from the free ones).
func TestUpdatePortReuse(t *testing.T) {
	t.Parallel()
	cl := newClusterPorts(t, flapping{}, devServer.FrontendHostPort(), 8)
	key := cl.job("ports")
	v := demo{instances: 2, version: 1, bad: -1, update: "{batch_size: 1, watch_secs: 0}"}
	cl.create(key, cl.writeVersion(key, v))
	// Each update takes a few seconds (half a minute on a loaded machine);
	// without a free port, the second one waits until the ports picked at
	// job create are no longer reserved, 2 minutes after.
	for _, version := range []int{2, 3} {
		v.version = version
		timeout := map[int]string{2: "90s", 3: "60s"}[version]
		r, id := cl.startUpdate(key, cl.writeVersion(key, v), "--wait", "--timeout", timeout)
		if r.code != exitOK {
			s, _ := cl.status(key)
			t.Fatalf("update to version %d: want ROLLED_FORWARD within %s with 4 of 8 ports free: %s\n%s\n%s\ncontainers:\n%s",
				version, timeout, r, cl.mustInfo(key, id), s, listContainers(containers(t, key)))
		}
		cl.settled(key, all(2, version), 20*time.Second)
	}
	if s, _ := cl.status(key); strings.Contains(s.String(), "no free port") {
		t.Errorf("no free port:\n%s", s)
	}
}
