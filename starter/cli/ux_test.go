package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

// TestEveryCommandHasHelp walks the whole command tree: every command a
// user can run has a one-line Short and an Example.
func TestEveryCommandHasHelp(t *testing.T) {
	root := NewRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	var leaves []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		assert.NotEmpty(t, c.Short, "%s has no Short", c.CommandPath())
		assert.NotContains(t, c.Short, "\n", "%s: Short is one line", c.CommandPath())
		if !c.HasSubCommands() {
			leaves = append(leaves, c.CommandPath())
			assert.NotEmpty(t, c.Example, "%s has no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for _, want := range []string{"borealis job create", "borealis update wait", "borealis task logs",
		"borealis completion bash", "borealis completion zsh", "borealis completion fish", "borealis help"} {
		assert.Contains(t, leaves, want)
	}
	assert.NotNil(t, root.PersistentFlags().Lookup("open-browser"))
}

func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		out, stderr, code := run(t, "completion", sh)
		require.Equal(t, ExitOK, code, stderr)
		assert.Contains(t, out, "borealis", sh)
		assert.Contains(t, out, "__complete", sh, "the script asks the binary for dynamic completions")
	}
}

// complete runs `borealis __complete args...` as a shell would and returns
// the suggestions and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	out, stderr, code := run(t, append([]string{"__complete"}, args...)...)
	require.Equal(t, ExitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompletionOffline(t *testing.T) {
	// CONFIG arguments complete to config files.
	got, directive := complete(t, "job", "create", helloKey, "")
	assert.Equal(t, []string{"aurora", "yaml", "yml", "json"}, got)
	assert.Equal(t, ":8", directive, "ShellCompDirectiveFilterFileExt")
	got, directive = complete(t, "update", "start", helloKey, "")
	assert.Equal(t, []string{"aurora", "yaml", "yml", "json"}, got)
	assert.Equal(t, ":8", directive)

	// Without Temporal, KEY arguments complete to nothing, and fast.
	start := time.Now()
	got, directive = complete(t, "job", "status", "--temporal-address", "127.0.0.1:1", "")
	assert.Empty(t, got)
	assert.Equal(t, ":4", directive, "ShellCompDirectiveNoFileComp")
	assert.Less(t, time.Since(start), 2*completionTimeout)

	// The key of a new job is not completed; past the last argument nothing is.
	got, directive = complete(t, "job", "create", "")
	assert.Empty(t, got)
	assert.Equal(t, ":4", directive)
	got, directive = complete(t, "job", "killall", helloKey, "")
	assert.Empty(t, got)
	assert.Equal(t, ":4", directive)

	// Flags with fixed values.
	got, _ = complete(t, "job", "create", helloKey, "x.yaml", "--wait-until", "")
	assert.Equal(t, []string{"PENDING", "RUNNING", "FINISHED"}, got)
	got, _ = complete(t, "update", "list", helloKey, "--status", "")
	assert.Len(t, got, len(allUpdateStatuses))
}

func TestWithPrefix(t *testing.T) {
	keys := []string{"a/r/e/x", "a/r/e/y", "b/r/e/x"}
	assert.Equal(t, []string{"a/r/e/x", "a/r/e/y"}, withPrefix(keys, "a/"))
	assert.Equal(t, keys, withPrefix(keys, ""))
	assert.Len(t, keys, 3, "the input is left alone")
}

func TestOpenBrowser(t *testing.T) {
	const url = "http://localhost:8233/namespaces/default/workflows/job%2Fa"
	var started [][]string
	opener := func(env map[string]string, onPath ...string) *browserOpener {
		return &browserOpener{
			getenv: func(k string) string { return env[k] },
			lookPath: func(name string) (string, error) {
				for _, p := range onPath {
					if p == name {
						return "/usr/bin/" + name, nil
					}
				}
				return "", errors.New("not found")
			},
			start: func(name string, args ...string) error {
				started = append(started, append([]string{name}, args...))
				return nil
			},
		}
	}
	assert.Equal(t, []string{"xdg-open", url}, opener(nil, "xdg-open").command(url))
	assert.Equal(t, []string{"firefox", "--new-tab", url},
		opener(map[string]string{"BROWSER": "nosuch:firefox --new-tab"}, "firefox", "xdg-open").command(url))
	assert.Equal(t, []string{"w3m", url + "#top"},
		opener(map[string]string{"BROWSER": "w3m %s#top"}, "w3m").command(url))
	assert.Nil(t, opener(map[string]string{"BROWSER": "nosuch"}).command(url))

	var errOut bytes.Buffer
	a := &app{err: &errOut, browser: opener(nil, "xdg-open")}
	a.openWebUI(url)
	assert.Empty(t, started, "only with --open-browser")

	a.openBrowser = true
	a.openWebUI(url)
	a.openWebUI(url + "2")
	assert.Equal(t, [][]string{{"xdg-open", url}}, started, "one browser per command")
	assert.Empty(t, errOut.String())

	a = &app{err: &errOut, browser: opener(nil), openBrowser: true}
	a.openWebUI(url)
	assert.Contains(t, errOut.String(), "No browser to open the Web UI with")
	assert.Contains(t, errOut.String(), url)

	errOut.Reset()
	a = &app{err: &errOut, browser: opener(nil, "xdg-open"), openBrowser: true}
	a.browser.start = func(string, ...string) error { return errors.New("exec format error") }
	a.openWebUI(url)
	assert.Contains(t, errOut.String(), "Cannot open a browser (xdg-open: exec format error)")
}

func task(id string, status workflows.TaskStatus, runningAt int64) *workflows.TaskInfo {
	t := &workflows.TaskInfo{TaskID: id, Status: status}
	if runningAt > 0 {
		t.TaskEvents = []workflows.TaskEvent{{Timestamp: runningAt - 1000, Status: workflows.StatusStarting}, {Timestamp: runningAt, Status: workflows.StatusRunning}}
	}
	return t
}

func TestRestartProgress(t *testing.T) {
	now := time.UnixMilli(100_000)
	before := map[int]string{0: "t0", 1: "t1", 2: "t2", 3: "t3"}
	ids := []int{0, 1, 2, 3}
	statuses := []workflows.InstanceStatus{
		{InstanceID: 0, Active: task("t0b", workflows.StatusRunning, 80_000)},                                                                     // done
		{InstanceID: 1, Active: task("t1b", workflows.StatusRunning, 95_000)},                                                                     // watching
		{InstanceID: 2, Active: task("t2", workflows.StatusRunning, 10_000)},                                                                      // not yet
		{InstanceID: 3, Active: task("t3c", workflows.StatusPending, 0), Inactive: []workflows.TaskInfo{*task("t3b", workflows.StatusFailed, 0)}}, // failed once
	}
	p := restartProgress(ids, 2, 10*time.Second, before, statuses, now)
	assert.Equal(t, progress.Progress{State: "RESTARTING", Total: 4, Done: 1, InFlight: 1, Failed: 1, Batch: 1}, p)

	p = restartProgress(ids, 2, 0, before, statuses, now)
	assert.Equal(t, progress.Progress{State: "RESTARTING", Total: 4, Done: 2, InFlight: 1, Failed: 1, Batch: 2}, p,
		"with no watch, RUNNING is restarted; batch 2 has one to go")

	p = restartProgress(ids, 1, 0, before, nil, now)
	assert.Equal(t, progress.Progress{State: "RESTARTING", Total: 4, InFlight: 1, Batch: 1}, p, "nothing known yet")

	res := workflows.OpResult{Instances: ids, Failed: map[int]string{3: "flapping"}}
	assert.Equal(t, progress.Progress{State: "RESTARTED", Total: 4, Done: 3, Failed: 1, Batch: 2}, opProgress("RESTARTED", res, 2))
}

func TestKillProgress(t *testing.T) {
	p := killProgress([]int{0, 1, 2}, []workflows.InstanceStatus{{InstanceID: 0, Done: true}, {InstanceID: 1}})
	assert.Equal(t, progress.Progress{State: "KILLING", Total: 3, Done: 1, InFlight: 2}, p)
}

func TestWaitProgress(t *testing.T) {
	snap := &jobSnapshot{key: "c/r/e/n", instances: []workflows.InstanceStatus{
		{InstanceID: 0, Active: task("a", workflows.StatusRunning, 1)},
		{InstanceID: 1, Active: task("b", workflows.StatusStarting, 0)},
		{InstanceID: 2, Inactive: []workflows.TaskInfo{*task("c", workflows.StatusFailed, 0)}},
		{InstanceID: 3},
	}}
	p := waitProgress(snap, workflows.StatusRunning)
	assert.Equal(t, progress.Progress{State: "waiting for RUNNING", Total: 4, Done: 1, InFlight: 2, Failed: 1,
		Detail: "0=RUNNING 1=STARTING 2=FAILED 3=none"}, p)
	assert.Equal(t, "waiting for RUNNING: 1 of 4 instances done, 2 in flight, 1 failed (0=RUNNING 1=STARTING 2=FAILED 3=none)", progress.Line(p))
}

func TestPrintUpdateInfo(t *testing.T) {
	at := func(s float64) int64 { return 1_700_000_000_000 + int64(s*1000) }
	info := workflows.UpdateInfo{
		UpdateID: "u1", Job: "c/r/e/n", Status: workflows.UpdateRolledBack, Started: at(0), LastModified: at(75.25),
		UpdateEvents: []workflows.UpdateEvent{
			{Timestamp: at(0), Status: workflows.UpdateRollingForward},
			{Timestamp: at(40), Status: workflows.UpdateRollingBack, Message: "instance 1 failed"},
			{Timestamp: at(75.25), Status: workflows.UpdateRolledBack},
		},
		InstanceEvents: []workflows.InstanceEvent{
			{InstanceID: 0, Timestamp: at(0.1), Action: workflows.InstanceUpdating},
			{InstanceID: 0, Timestamp: at(12.3), Action: workflows.InstanceUpdated},
			{InstanceID: 1, Timestamp: at(12.4), Action: workflows.InstanceUpdating},
			{InstanceID: 1, Timestamp: at(40), Action: workflows.InstanceUpdateFailed},
			{InstanceID: 1, Timestamp: at(40.1), Action: workflows.InstanceRollingBack},
			{InstanceID: 1, Timestamp: at(50), Action: workflows.InstanceRolledBack},
			{InstanceID: 0, Timestamp: at(50.1), Action: workflows.InstanceRollingBack},
			{InstanceID: 0, Timestamp: at(75.2), Action: workflows.InstanceRolledBack},
		},
		Progress: workflows.UpdateProgress{Total: 2, Done: 2, Batch: 4},
	}
	var out bytes.Buffer
	require.NoError(t, printUpdateInfo(&out, info))
	s := out.String()
	assert.Contains(t, s, "Update u1 of c/r/e/n\n  status:        ROLLED_BACK\n")
	assert.Contains(t, s, "  duration:      1m15.3s in all\n")
	assert.Contains(t, s, "  progress:      ROLLED_BACK: 2 of 2 instances done, 0 in flight, 0 failed, batch 4\n")
	assert.Regexp(t, `\+40s\s+ROLLING_BACK\s+instance 1 failed\n`, s)
	assert.Regexp(t, `\+12.3s\s+instance 0\s+INSTANCE_UPDATED\n`, s)
	assert.Regexp(t, `(?s)Instances:\n  0\s+INSTANCE_ROLLED_BACK\s+1m15.1s\n  1\s+INSTANCE_ROLLED_BACK\s+37.6s\n$`, s)

	info.InstanceEvents = nil
	info.Status = workflows.UpdateRollingForward
	out.Reset()
	require.NoError(t, printUpdateInfo(&out, info))
	assert.Contains(t, out.String(), "  duration:      1m15.3s so far\n")
	assert.Contains(t, out.String(), "Instance events: none yet\n")
}

func TestStartDetached(t *testing.T) {
	assert.NoError(t, startDetached("true"))
	assert.Error(t, startDetached("false"), "an opener that fails is reported")
	assert.Error(t, startDetached("/no/such/opener"))
}
