package jobkey

import (
	"testing"

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
