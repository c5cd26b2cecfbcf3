package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/borealis-dev/borealis/dockerrun"
)

// TestUpdateWaitNamesInstances: off a terminal, `update wait` prints a
// line for the instance that failed, with the reason its health check
// gave, and names the instance in flight.
func TestUpdateWaitNamesInstances(t *testing.T) {
	fake := dockerrun.NewFake()
	healthByVersion(fake, "2/1", "3/1")
	cl := newCluster(t, fake, "")
	key := cl.key("named")
	cl.mustRun("job", "create", key, cl.writeJob("named", versionedJob(3, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")

	// Instance 1 of version 2 never gets healthy: the update rolls back.
	out := cl.mustRun("update", "start", key, cl.writeJob("named", versionedJob(3, 2, "")))
	id := startedID(t, out)
	out, stderr, code := cl.run("update", "wait", key, id, "--timeout", "90s")
	assert.Equal(t, ExitCommandFailure, code, "%s\n%s", out, stderr)
	assert.Regexp(t, `(?m)^instance 1 failed: Failed health check: .*unhealthy 2/1 \(task \S+ ended FAILED\)$`, out)
	assert.NotContains(t, out, "failed to roll back")
	assert.Contains(t, out, "finished ROLLED_BACK")

	// Instance 1 of version 3 never gets healthy either, but with retries
	// to spare it stays in flight.
	retries := ", max_per_shard_failures: 1000"
	out = cl.mustRun("update", "start", key, cl.writeJob("named", versionedJob(3, 3, retries)))
	id = startedID(t, out)
	out, stderr, code = cl.run("update", "wait", key, id, "--timeout", "8s")
	assert.Equal(t, ExitTimeout, code, "%s\n%s", out, stderr)
	assert.Contains(t, out, "ROLLING_FORWARD: 1 of 3 instances done, 1 in flight, 0 failed\n")
	assert.Regexp(t, `(?m)^in flight: 1$`, out)
	assert.NotContains(t, out, "instance 1 failed", "not failed for good")
	// The update is left as it is: the cluster goes with the test.
}
