package activities

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/health"
	"github.com/borealis-dev/borealis/internal/poll"
	"github.com/borealis-dev/borealis/runner"
	"github.com/borealis-dev/borealis/taskapi"
)

func TestRunnerCheckTimeoutCode(t *testing.T) {
	assert.Equal(t, runner.ExitCheckTimedOut, health.RunnerCheckTimedOut)
}

// TestDockerShellCheckTimeoutLeavesNoProcess runs a shell health check that
// outlives its timeout and starts children in a real container: the
// runner's check kills them all, which docker exec alone would not.
func TestDockerShellCheckTimeoutLeavesNoProcess(t *testing.T) {
	acts := newDockerActivities(t)
	key := newJobKey(t, acts)
	in := taskapi.StartTaskInput{JobKey: key, Instance: 0, TaskID: "hang-" + randHex(), Job: jobWith(key, "borealis/base:latest", "sleep 600")}
	_, err := acts.StartTask(testContext(t), in)
	require.NoError(t, err)

	spec := taskapi.HealthCheckSpec{
		Kind: taskapi.CheckShell, ShellCommand: "sleep 4242 & (sleep 4243 &); sleep 4244",
		TimeoutSecs: 1, Params: health.DefaultParams(),
	}
	checker, err := checkerFor(acts, taskapi.WatchHealthInput{TaskID: in.TaskID, Check: spec})
	require.NoError(t, err)
	start := time.Now()
	assert.Equal(t, health.Outcome{Reason: health.ReasonTimedOut}, checker.Check(testContext(t)))
	assert.Less(t, time.Since(start), 1*time.Second+health.RunnerCheckSlack+time.Second)

	poll.Until(t, 10*time.Second, "no process of the check left in the container", func() (bool, string) {
		code, out, err := acts.Runtime.Exec(testContext(t), in.TaskID, []string{"ps", "-o", "pid,stat,args"})
		if err != nil || code != 0 {
			return false, fmt.Sprintf("ps: exit %d, %v: %s", code, err, out)
		}
		return len(checkLeftovers(out)) == 0, out
	})
	// The task's own process is untouched.
	_, out, err := acts.Runtime.Exec(testContext(t), in.TaskID, []string{"ps", "-o", "pid,stat,args"})
	require.NoError(t, err)
	assert.Contains(t, out, "sleep 600")
}

// checkLeftovers returns the lines of busybox `ps -o pid,stat,args` that
// show a live sleep the check started (zombies are dead).
func checkLeftovers(ps string) []string {
	var live []string
	for _, line := range strings.Split(ps, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && !strings.HasPrefix(f[1], "Z") && strings.Contains(line, "sleep 424") {
			live = append(live, line)
		}
	}
	return live
}
