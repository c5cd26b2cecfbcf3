package boundary

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestImportRules checks every rule on the module's packages as `go list`
// sees them.
func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	require.NotEmpty(t, pkgs)
	for _, r := range Rules() {
		t.Run(r.Name, func(t *testing.T) {
			assert.Empty(t, r.Check(pkgs), "%s", r.Name)
		})
	}
}

// TestRulesCatchEachForbiddenImport feeds each rule a package graph with
// one forbidden import, direct or through another package.
func TestRulesCatchEachForbiddenImport(t *testing.T) {
	m := Module
	cases := []struct {
		rule string
		pkg  Package
	}{
		{"workflows reach no Docker", Package{ImportPath: m + "/workflows", Deps: []string{m + "/taskapi", m + "/dockerrun"}}},
		{"workflows reach no Docker", Package{ImportPath: m + "/workflows", Deps: []string{"github.com/docker/docker/client"}}},
		{"the CLI is no Docker client", Package{ImportPath: m + "/starter/cli", Deps: []string{m + "/activities"}}},
		{"the CLI is no Docker client", Package{ImportPath: m + "/starter", Deps: []string{m + "/dockerrun"}}},
		{"the runner uses only the standard library", Package{ImportPath: m + "/runner/cmd/borealis-runner", Deps: []string{"os", m + "/config"}}},
		{"viper only in config/settings", Package{ImportPath: m + "/starter/cli", TestImports: []string{"github.com/spf13/viper"}}},
		{"the Docker SDK only in dockerrun and bench", Package{ImportPath: m + "/activities", Imports: []string{"github.com/docker/docker/api/types/container"}}},
	}
	rules := map[string]Rule{}
	for _, r := range Rules() {
		rules[r.Name] = r
	}
	for _, c := range cases {
		r, ok := rules[c.rule]
		require.True(t, ok, c.rule)
		assert.NotEmpty(t, r.Check([]Package{c.pkg}), "%s should refuse %+v", c.rule, c.pkg)
	}
	allowed := []Package{
		{ImportPath: m + "/workflows", Deps: []string{m + "/taskapi", "go.temporal.io/sdk/workflow"}},
		{ImportPath: m + "/runner/cmd/borealis-runner", Deps: []string{"os", m + "/runner"}},
		{ImportPath: m + "/config/settings", Imports: []string{"github.com/spf13/viper"}},
		{ImportPath: m + "/bench", Imports: []string{"github.com/docker/docker/client"}},
		{ImportPath: m + "/dockerrun", Imports: []string{"github.com/docker/docker/client"}},
	}
	for _, r := range Rules() {
		assert.Empty(t, r.Check(allowed), r.Name)
	}
}

// listPackages runs go list -json on the module.
func listPackages(t *testing.T) []Package {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", Module+"/...")
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		t.Fatalf("go list: %v\n%s", err, exitErr.Stderr)
	}
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []Package
	for {
		var p Package
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs
		}
		require.NoError(t, err)
		pkgs = append(pkgs, p)
	}
}
