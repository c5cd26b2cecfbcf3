package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyPattern(t *testing.T) {
	keys := []string{"dc/www/prod/web", "dc/www/devel/web", "dc/batch/prod/etl", "west/www/prod/web"}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"", keys},
		{"dc", []string{"dc/www/prod/web", "dc/www/devel/web", "dc/batch/prod/etl"}},
		{"dc/www", []string{"dc/www/prod/web", "dc/www/devel/web"}},
		{"dc/*/prod", []string{"dc/www/prod/web", "dc/batch/prod/etl"}},
		{"*/www/prod/web", []string{"dc/www/prod/web", "west/www/prod/web"}},
		{"dc/www/prod/w?b", []string{"dc/www/prod/web"}},
		{"east", []string{}},
	} {
		p, err := parseKeyPattern(tc.pattern)
		require.NoError(t, err, tc.pattern)
		assert.Equal(t, tc.want, p.filter(keys), tc.pattern)
	}
	for _, bad := range []string{"a/b/c/d/e", "a//c", "dc/[www"} {
		_, err := parseKeyPattern(bad)
		require.Error(t, err, bad)
		assert.Equal(t, ExitInvalidParameter, exitCode(err), bad)
	}
}
