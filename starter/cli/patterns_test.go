package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/internal/poll"
)

// Tests of Aurora's key patterns across jobs (issue 19): `job status
// PATTERN` and `update list PATTERN`.

func TestParseJobArg(t *testing.T) {
	for _, tc := range []struct {
		arg     string
		key     string // "" when a pattern
		pattern string
	}{
		{"dc/www/prod/web", "dc/www/prod/web", ""},
		{"dc/www/prod/w-b.1", "dc/www/prod/w-b.1", ""},
		{"dc", "", "dc"},
		{"dc/www", "", "dc/www"},
		{"dc/*/prod", "", "dc/*/prod"},
		{"dc/*/prod/*", "", "dc/*/prod/*"},
		{"dc/www/prod/w?b", "", "dc/www/prod/w?b"},
		{"dc/www/prod/[a-z]eb", "", "dc/www/prod/[a-z]eb"},
	} {
		got, err := parseJobArg(tc.arg)
		require.NoError(t, err, tc.arg)
		assert.Equal(t, tc.key, got.key, tc.arg)
		if tc.pattern == "" {
			assert.Nil(t, got.pattern, tc.arg)
			continue
		}
		require.NotNil(t, got.pattern, tc.arg)
		assert.Equal(t, tc.pattern, got.pattern.String(), tc.arg)
	}
	for _, bad := range []string{
		"",
		"dc/www/prod/web/0",   // an instance spec is neither
		"dc/www/prod/web/0-2", // nor with a range
		"dc/w w/prod/web",     // a four-part key without globs must be a valid key
		"dc//prod/web",
		"dc/[www",
		"a/b/c/d/e",
	} {
		_, err := parseJobArg(bad)
		require.Error(t, err, bad)
		assert.Equal(t, ExitInvalidParameter, exitCode(err), bad)
	}
	_, err := parseJobArg("dc/www/prod/web/0-2")
	assert.ErrorContains(t, err, "no instances")
}

func TestPatternArgumentErrors(t *testing.T) {
	for _, args := range [][]string{
		{"job", "status", "a/b/c/d/0-2"},
		{"job", "status", "a/b/c/*/0"},
		{"job", "status", "a//c"},
		{"job", "status", "a/[b"},
		{"update", "list", "a/b/c/d/0"},
		{"update", "list", "a/[b"},
		{"update", "list", "a/*", "--status", "ROLLING"},
		{"update", "list", "a/b/c/d", "--status", "DONE"},
	} {
		_, stderr, code := run(t, args...)
		assert.Equal(t, ExitInvalidParameter, code, "%v: %s", args, stderr)
	}
	// Checked before Temporal is dialed.
	for _, args := range [][]string{
		{"job", "status", "a/*"},
		{"update", "list", "a/*"},
	} {
		_, stderr, code := run(t, append(args, "--temporal-address", "127.0.0.1:1")...)
		assert.Equal(t, ExitNetworkError, code, "%v: %s", args, stderr)
	}
}

// writeEnvJob writes a YAML config of one job in env and returns its path.
func (cl *cluster) writeEnvJob(env, name, body string) string {
	cl.t.Helper()
	path := filepath.Join(cl.t.TempDir(), env+"-"+name+".yaml")
	header := fmt.Sprintf("jobs:\n- cluster: test\n  role: %s\n  environment: %s\n  name: %s\n", cl.role, env, name)
	require.NoError(cl.t, os.WriteFile(path, []byte(header+body), 0o644))
	return path
}

// statusList runs `job status --write-json` with arg and decodes the array.
func statusList(t *testing.T, cl *cluster, arg string) []map[string]any {
	t.Helper()
	out, stderr, code := cl.run("job", "status", arg, "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	var jobs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &jobs), out)
	return jobs
}

func jobsOf(list []map[string]any) []string {
	out := []string{}
	for _, j := range list {
		out = append(out, j["job"].(string))
	}
	return out
}

func TestJobStatusPattern(t *testing.T) {
	cl := newCluster(t, dockerrun.NewFake(), "")
	prodA, prodB := cl.key("a"), cl.key("b")
	develC := "test/" + cl.role + "/devel/c"
	cl.mustRun("job", "create", prodB, cl.writeJob("b", webJob), "--wait-until", "RUNNING", "--timeout", "60s")
	cl.mustRun("job", "create", prodA, cl.writeJob("a", webJob), "--wait-until", "RUNNING", "--timeout", "60s")
	cl.mustRun("job", "create", develC, cl.writeEnvJob("devel", "c", webJob), "--wait-until", "RUNNING", "--timeout", "60s")
	role := "test/" + cl.role

	// Visibility lists new jobs a moment late.
	poll.Until(t, 30*time.Second, "the pattern matches the three jobs", func() (bool, string) {
		got := jobsOf(statusList(t, cl, role))
		return len(got) == 3, fmt.Sprint(got)
	})

	// --write-json: one object per job, in key order, each as for one key.
	jobs := statusList(t, cl, role+"/*/*")
	assert.Equal(t, []string{develC, prodA, prodB}, jobsOf(jobs))
	for _, j := range jobs {
		assert.Equal(t, []string{"active", "inactive", "job"}, keysOf(j))
		assert.Equal(t, []int{0, 1}, instancesOf(tasksOf(j, "active"), "RUNNING"), j["job"])
	}
	assert.Equal(t, []string{prodA, prodB}, jobsOf(statusList(t, cl, role+"/prod")))
	assert.Equal(t, []string{prodA, prodB}, jobsOf(statusList(t, cl, "t?st/"+cl.role+"/pr*d/*")))
	assert.Equal(t, []string{prodA}, jobsOf(statusList(t, cl, role+"/prod/[a]")))

	// Text: one job after another, in key order, the Web UI address first.
	out, stderr, code := cl.run("job", "status", role+"/*")
	require.Equal(t, ExitOK, code, stderr)
	assert.True(t, strings.HasPrefix(out, "Web UI: http://localhost:8233/namespaces/default/workflows?query="), out)
	heads := regexp.MustCompile(`(?m)^Job (\S+): 2 active of 2 instances$`).FindAllStringSubmatch(out, -1)
	require.Len(t, heads, 3, out)
	assert.Equal(t, []string{develC, prodA, prodB}, []string{heads[0][1], heads[1][1], heads[2][1]})
	assert.Equal(t, 3, strings.Count(out, "INSTANCE  TASK ID"), out)
	assert.Contains(t, out, "\n\nJob "+prodA+":", "a blank line between jobs")

	// No match: Aurora's words and exit 6; with --write-json an empty array.
	out, stderr, code = cl.run("job", "status", role+"/prod/zz*")
	assert.Equal(t, ExitInvalidParameter, code, stderr)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "Found no jobs matching "+role+"/prod/zz*")
	out, stderr, code = cl.run("job", "status", role+"/nothing", "--write-json")
	assert.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, "[]\n", out)
	assert.Contains(t, stderr, "Found no jobs matching "+role+"/nothing")

	// A full key is as it always was: its one object, its own Web UI
	// address, an unknown one exit 4, an instance spec refused.
	out, stderr, code = cl.run("job", "status", prodA, "--write-json")
	require.Equal(t, ExitOK, code, stderr)
	assert.True(t, strings.HasPrefix(out, "[\n  {\n    \"job\": \""+prodA+"\",\n"), out)
	assert.Equal(t, []string{prodA}, jobsOf(statusList(t, cl, prodA)))
	assert.Contains(t, stderr, "Web UI: http://localhost:8233/namespaces/default/workflows/job%2F")
	out = cl.mustRun("job", "status", prodA)
	assert.Contains(t, out, "Job "+prodA+": 2 active of 2 instances")
	assert.NotContains(t, out, prodB)
	_, stderr, code = cl.run("job", "status", cl.key("zz"))
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, "job "+cl.key("zz")+" not found")
	_, stderr, code = cl.run("job", "status", prodA+"/0")
	assert.Equal(t, ExitInvalidParameter, code, stderr)

	// A killed job is no longer running: the pattern leaves it out, its key
	// still shows it.
	cl.mustRun("job", "killall", develC)
	poll.Until(t, 30*time.Second, "the pattern leaves the killed job out", func() (bool, string) {
		got := jobsOf(statusList(t, cl, role))
		return len(got) == 2, fmt.Sprint(got)
	})
	assert.Contains(t, cl.mustRun("job", "status", develC), "(killed)")
	cl.mustRun("job", "killall", prodA)
	cl.mustRun("job", "killall", prodB)
}

func TestUpdateListPattern(t *testing.T) {
	fake := dockerrun.NewFake()
	healthByVersion(fake)
	cl := newCluster(t, fake, "")
	fwd, paused, devel := cl.key("fwd"), cl.key("paused"), "test/"+cl.role+"/devel/idle"
	role := "test/" + cl.role
	cl.mustRun("job", "create", fwd, cl.writeJob("fwd", versionedJob(1, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")
	cl.mustRun("job", "create", paused, cl.writeJob("paused", versionedJob(2, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")
	cl.mustRun("job", "create", devel, cl.writeEnvJob("devel", "idle", versionedJob(1, 1, "")), "--wait-until", "RUNNING", "--timeout", "60s")

	out := cl.mustRun("update", "start", fwd, cl.writeJob("fwd", versionedJob(1, 2, "")), "--wait", "--timeout", "90s")
	fwdID := startedID(t, out)
	autopause := ", update_strategy: {batch: {batch_size: 1, autopause_after_batch: true}}"
	out = cl.mustRun("update", "start", paused, cl.writeJob("paused", versionedJob(2, 2, autopause)))
	pausedID := startedID(t, out)
	poll.Until(t, 60*time.Second, "both updates show in the list, in their states", func() (bool, string) {
		list := listJSON(t, cl, role+"/prod")
		got := map[string]any{}
		for _, u := range list {
			got[u["updateId"].(string)] = u["status"]
		}
		return len(list) == 2 && got[fwdID] == "ROLLED_FORWARD" && got[pausedID] == "ROLL_FORWARD_PAUSED", fmt.Sprint(list)
	})

	// --write-json: newest first, each naming its job.
	list := listJSON(t, cl, role+"/*/*")
	require.Len(t, list, 2)
	for _, u := range list {
		assert.Equal(t, []string{"job", "started", "status", "updateId"}, keysOf(u))
	}
	assert.Equal(t, pausedID, list[0]["updateId"], "newest first")
	assert.Equal(t, paused, list[0]["job"])
	assert.Equal(t, fwdID, list[1]["updateId"])
	assert.Equal(t, fwd, list[1]["job"])
	assert.GreaterOrEqual(t, list[0]["started"], list[1]["started"])

	// --status, repeated or comma-separated, in any case.
	list = listJSON(t, cl, role, "--status", "rolled_forward")
	require.Len(t, list, 1)
	assert.Equal(t, fwdID, list[0]["updateId"])
	list = listJSON(t, cl, role, "--status", "ROLL_FORWARD_PAUSED", "--status", "ROLLING_FORWARD")
	require.Len(t, list, 1)
	assert.Equal(t, pausedID, list[0]["updateId"])
	assert.Len(t, listJSON(t, cl, role, "--status", "ROLLED_FORWARD,ROLL_FORWARD_PAUSED"), 2)
	assert.Empty(t, listJSON(t, cl, role, "--status", "ROLLED_BACK,FAILED"))
	assert.Len(t, listJSON(t, cl, role+"/prod/p*"), 1)

	// Text: a JOB column first.
	out, stderr, code := cl.run("update", "list", role+"/prod")
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, out, "Web UI: http://localhost:8233/namespaces/default/workflows?query=")
	assert.Regexp(t, `(?m)^JOB\s+UPDATE ID\s+STATUS\s+STARTED$`, out)
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(paused)+`\s+`+pausedID+`\s+ROLL_FORWARD_PAUSED\s+\d{4}-`, out)
	assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(fwd)+`\s+`+fwdID+`\s+ROLLED_FORWARD\s+\d{4}-`, out)
	assert.Less(t, strings.Index(out, pausedID), strings.Index(out, fwdID), "newest first")

	// No match: nothing to list is no error, as in Aurora.
	assert.Equal(t, []map[string]any{}, listJSON(t, cl, role+"/devel"))
	out = cl.mustRun("update", "list", role+"/devel")
	assert.Contains(t, out, "No updates of jobs matching "+role+"/devel\n")
	assert.NotContains(t, out, "UPDATE ID")
	assert.Empty(t, listJSON(t, cl, "no-such-cluster-"+cl.role))

	// A full key is as it always was: no JOB column, `job` in the JSON, an
	// unknown job exit 4, a job without updates said so.
	out = cl.mustRun("update", "list", fwd)
	assert.Regexp(t, `(?m)^UPDATE ID\s+STATUS\s+STARTED$`, out)
	assert.Regexp(t, `(?m)^`+fwdID+`\s+ROLLED_FORWARD\s+\d{4}-`, out)
	assert.NotContains(t, out, pausedID)
	list = listJSON(t, cl, paused)
	require.Len(t, list, 1)
	assert.Equal(t, []string{"job", "started", "status", "updateId"}, keysOf(list[0]))
	assert.Equal(t, paused, list[0]["job"])
	out = cl.mustRun("update", "list", devel)
	assert.Equal(t, "No updates of "+devel+"\n", out[strings.Index(out, "\n")+1:])
	_, stderr, code = cl.run("update", "list", cl.key("zz"))
	assert.Equal(t, ExitCommandFailure, code, stderr)
	assert.Contains(t, stderr, "job "+cl.key("zz")+" not found")

	// A killed job's updates are still listed by a pattern.
	cl.mustRun("update", "abort", paused)
	cl.mustRun("job", "killall", paused)
	poll.Until(t, 30*time.Second, "the aborted update of the killed job is listed", func() (bool, string) {
		list := listJSON(t, cl, role, "--status", "ABORTED")
		return len(list) == 1 && list[0]["updateId"] == pausedID, fmt.Sprint(list)
	})
	cl.mustRun("job", "killall", fwd)
	cl.mustRun("job", "killall", devel)
}
