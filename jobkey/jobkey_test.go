package jobkey

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	k, err := Parse("devcluster/www-data/prod/hello")
	require.NoError(t, err)
	assert.Equal(t, Key{"devcluster", "www-data", "prod", "hello"}, k)
	assert.Equal(t, "devcluster/www-data/prod/hello", k.String())

	for _, bad := range []string{"", "a/b/c", "a/b/c/d/e", "a/b c/d/e", "a//c/d", "a/b/c/d!"} {
		_, err := Parse(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseInstanceSpec(t *testing.T) {
	k, ids, err := ParseInstanceSpec("c/r/e/n/0-2,5")
	require.NoError(t, err)
	assert.Equal(t, "c/r/e/n", k.String())
	assert.Equal(t, []int{0, 1, 2, 5}, ids)

	_, ids, err = ParseInstanceSpec("c/r/e/n")
	require.NoError(t, err)
	assert.Nil(t, ids)

	for _, bad := range []string{"c/r/e/n/", "c/r/e/n/x", "c/r/e/n/3-1", "c/r/e/n/-1", "c/r/e/n/1/2"} {
		_, _, err := ParseInstanceSpec(bad)
		assert.Error(t, err, bad)
	}
}

func TestFormatInstances(t *testing.T) {
	assert.Equal(t, "0-2,5", FormatInstances([]int{5, 0, 1, 2}))
	assert.Equal(t, "3", FormatInstances([]int{3}))
	assert.Equal(t, "", FormatInstances(nil))
	ids, err := ParseInstances(FormatInstances([]int{0, 2, 3, 4, 9}))
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2, 3, 4, 9}, ids)
}

// Job key parts follow Aurora's rule (letters, digits, _, - and ., at most
// 255 bytes) and must not start with "."; the error names the part.
func TestParseRefusesBadParts(t *testing.T) {
	long := strings.Repeat("a", MaxPartBytes+1)
	for _, tc := range []struct{ key, want string }{
		{".hidden/r/e/n", `job key ".hidden/r/e/n": cluster ".hidden" must not start with .`},
		{"c/../e/n", `job key "c/../e/n": role ".." must not start with .`},
		{"c/r/./n", `job key "c/r/./n": environment "." must not start with .`},
		{"c/r/e/.n", `job key "c/r/e/.n": name ".n" must not start with .`},
		{"c/r/e/" + long, `name "aaaa`},
		{"c/r/e/" + long, "is 256 bytes, over the limit of 255"},
		{"c/r/e/n\x00", `name "n\x00" must match`},
		{"c/r/e/n\n", `name "n\n" must match`},
		{"c/r/é/n", `environment "é" must match`},
		{"a//c/d", `job key "a//c/d": role "" must match`},
	} {
		_, err := Parse(tc.key)
		require.Error(t, err, tc.key)
		assert.Contains(t, err.Error(), tc.want)
		assert.Less(t, len(err.Error()), 400, "the message quotes a long key shortened")
	}
	k, err := Parse("c/r/e/" + long[:MaxPartBytes])
	require.NoError(t, err)
	assert.Len(t, k.Name, MaxPartBytes)
	_, err = Parse("c.x/r-1/e_2/n.v1")
	assert.NoError(t, err, "dots inside a part are fine")
	_, _, err = ParseInstanceSpec("c/r/e/..name/0")
	assert.ErrorContains(t, err, `name "..name" must not start with .`)
}

func TestParseInstancesBounded(t *testing.T) {
	// The largest int once looped forever (i++ overflowed).
	for _, s := range []string{"9223372036854775807", "0-9223372036854775807", "10000", "9990-10000"} {
		done := make(chan error, 1)
		go func() { _, err := ParseInstances(s); done <- err }()
		select {
		case err := <-done:
			require.Error(t, err, s)
			assert.Contains(t, err.Error(), "ids go up to 9999 (a job has at most 10000 instances)")
		case <-time.After(5 * time.Second):
			t.Fatalf("ParseInstances(%q) did not return", s)
		}
	}
	ids, err := ParseInstances("9998-9999")
	require.NoError(t, err)
	assert.Equal(t, []int{9998, 9999}, ids)
}
