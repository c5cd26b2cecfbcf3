package dockerrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeEntries saves es as a container log at path, bounded to limit.
func writeEntries(t *testing.T, path string, limit int64, es []logEntry) {
	t.Helper()
	require.NoError(t, writeSavedLog(path, limit, func(emit func(logEntry) bool) error {
		for _, e := range es {
			if !emit(e) {
				return nil
			}
		}
		return nil
	}))
}

func TestSavedLogRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sandbox", filepath.FromSlash(ContainerLogFile))
	es := entries(ts1, "a\n", ts1, "b <&> \"quoted\" \x00\n", ts2, "no newline", ts3, "c\n")
	es[1].stream = streamStderr
	writeEntries(t, path, 0, es)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), `{"time":"`+ts1+`","stream":"stdout","log":"a\n"}`+"\n"), "%s", data)
	assert.Contains(t, string(data), `"stream":"stderr","log":"b <&> \"quoted\" \u0000\n"}`)

	whole, err := readSavedLog(ctx, path, LogCursor{}, MaxLogPage)
	require.NoError(t, err)
	assert.Equal(t, "a\nb <&> \"quoted\" \x00\nno newlinec\n", string(whole.Data))
	assert.True(t, whole.Ended)
	assert.Equal(t, LogCursor{Since: ts3, Skip: 1}, whole.Next)

	// Cursors as for a live log: after the first entry of ts1, since ts2.
	p, err := readSavedLog(ctx, path, LogCursor{Since: ts1, Skip: 1}, 3)
	require.NoError(t, err)
	assert.Equal(t, "b <&> \"quoted\" \x00\n", string(p.Data), "a first entry comes whole")
	assert.True(t, p.Full)
	assert.False(t, p.Ended)
	assert.Equal(t, LogCursor{Since: ts1, Skip: 2}, p.Next)
	p, err = readSavedLog(ctx, path, LogCursor{Since: "2024-05-06T09:08:09.000000002+02:00"}, MaxLogPage)
	require.NoError(t, err)
	assert.Equal(t, "no newlinec\n", string(p.Data), "a cursor in another zone is the same instant")
	p, err = readSavedLog(ctx, path, whole.Next, MaxLogPage)
	require.NoError(t, err)
	assert.Empty(t, p.Data)
	assert.True(t, p.Ended)
	assert.Equal(t, whole.Next, p.Next)

	_, err = readSavedLog(ctx, filepath.Join(t.TempDir(), "none"), LogCursor{}, 10)
	assert.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, os.WriteFile(path, []byte("not json\n"), 0o640))
	_, err = readSavedLog(ctx, path, LogCursor{}, 10)
	assert.ErrorContains(t, err, "line 1: malformed entry")
}

func TestSavedLogKeepsTheNewestWithinTheCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), ContainerLogFile)
	var es []logEntry
	for i := range 100 {
		es = append(es, logEntry{ts: ts1, text: []byte(strings.Repeat("x", i) + "\n")})
	}
	writeEntries(t, path, 0, es)
	full, err := os.ReadFile(path)
	require.NoError(t, err)

	for _, limit := range []int64{1, 500, 2000, int64(len(full)) - 1, int64(len(full)), int64(len(full)) + 10} {
		writeEntries(t, path, limit, es)
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.LessOrEqual(t, int64(len(got)), limit, "limit %d", limit)
		assert.True(t, strings.HasSuffix(string(full), string(got)), "limit %d: a tail", limit)
		if len(got) > 0 {
			assert.True(t, strings.HasPrefix(string(got), `{"time"`), "limit %d: whole lines", limit)
		}
		if int64(len(full)) <= limit {
			assert.Equal(t, full, got)
		} else {
			// The next older line would not have fit.
			older := full[:len(full)-len(got)]
			prev := older[strings.LastIndex(strings.TrimSuffix(string(older), "\n"), "\n")+1:]
			assert.Greater(t, int64(len(prev)+len(got)), limit, "limit %d", limit)
		}
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode())
	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".container.log.tmp*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers)
}

func TestTaskUserAndDockerParameters(t *testing.T) {
	opts := Options{TaskUID: DefaultTaskID, TaskGID: DefaultTaskID}
	for user, want := range map[string][2]int{"": {65534, 65534}, "1000": {1000, 65534}, "1000:1001": {1000, 1001}} {
		uid, gid, err := TaskSpec{User: user}.taskIDs(opts)
		require.NoError(t, err, user)
		assert.Equal(t, want, [2]int{uid, gid}, user)
	}
	for _, user := range []string{"0", "5:0", "x", "1:y", ":1", "-1"} {
		_, _, err := TaskSpec{User: user}.taskIDs(opts)
		assert.ErrorIs(t, err, ErrInvalid, user)
	}
	uid, gid, err := TaskSpec{User: "0:0"}.taskIDs(Options{RootTasks: true})
	require.NoError(t, err, "root when the operator allows it")
	assert.Equal(t, [2]int{0, 0}, [2]int{uid, gid})

	o, err := Options{DataDir: t.TempDir(), RunnerPath: "/bin/sh"}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, [4]int64{DefaultTaskID, DefaultTaskID, 10 << 20, 3},
		[4]int64{int64(o.TaskUID), int64(o.TaskGID), o.LogMaxBytes, int64(o.LogMaxFiles)})
	o, err = Options{DataDir: t.TempDir(), RunnerPath: "/bin/sh", RootTasks: true}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, [2]int{0, 0}, [2]int{o.TaskUID, o.TaskGID})

	root := workerIdentity{root: true}
	a, err := root.access(TaskSpec{}, opts)
	require.NoError(t, err)
	assert.Equal(t, "65534:65534", a.user())
	assert.Empty(t, a.groupAdd)
	assert.Equal(t, sandboxOwner{uid: 65534, gid: 65534, dirMode: 0o750}, a.sandbox)
	worker := workerIdentity{gid: 1000}
	a, err = worker.access(TaskSpec{}, opts)
	require.NoError(t, err)
	assert.Equal(t, []string{"1000"}, a.groupAdd)
	assert.Equal(t, sandboxOwner{uid: -1, gid: 1000, dirMode: os.ModeSetgid | 0o770}, a.sandbox)

	spec := TaskSpec{Labels: map[string]string{"a": "1"}, Mounts: []Mount{
		{HostPath: "/srv", ContainerPath: "/data/"}, {HostPath: "/srv", ContainerPath: "/sandbox/sub"},
	}, WorkDir: "/work"}
	assert.Empty(t, spec.dockerProblems())
	assert.Equal(t, "/data", spec.bindMounts()[0].Target)
	spec.Mounts = append(spec.Mounts, Mount{HostPath: "/x", ContainerPath: "/data"})
	assert.Equal(t, []string{`mount "/x": container path "/data" is mounted twice`}, spec.dockerProblems())
}
