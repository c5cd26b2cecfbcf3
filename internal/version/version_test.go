package version

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVersionFromBuild(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
	for _, tc := range []struct {
		name, linked string
		bi           *debug.BuildInfo
		want         string
	}{
		{"linked wins", "v1.2.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.1.0"}}, "v1.2.0"},
		{"no build info", "", nil, "devel"},
		{"tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.1.0"}, Settings: vcs(rev, "false")}, "v1.1.0"},
		{"pseudo-version gives way to the revision", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260101120000-1a2b3c4d5e6f+dirty"}, Settings: vcs(rev, "true")}, "1a2b3c4-dirty"},
		{"pseudo-version after a tag", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.1.1-0.20260101120000-1a2b3c4d5e6f"}, Settings: vcs(rev, "false")}, "1a2b3c4"},
		{"devel with a revision", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "1a2b3c4"},
		{"nothing known", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
	} {
		assert.Equal(t, tc.want, fromBuild(tc.linked, tc.bi), tc.name)
	}
}

func TestVersionLine(t *testing.T) {
	i := Info{Version: "1a2b3c4", Go: "go1.26.8", Workflows: 3}
	assert.Equal(t, "1a2b3c4 (go1.26.8, workflows 3)", i.String())
	assert.Equal(t, "borealis "+Get().Version+" ("+runtime.Version()+", workflows "+strconv.Itoa(Workflows)+")", Line("borealis"))
}

func TestVersionIdentity(t *testing.T) {
	id := WorkerIdentity("host-1.example", 4242)
	assert.Equal(t, "borealis-worker/"+clean(Get().Version)+"/workflows-"+strconv.Itoa(Workflows)+"@host-1.example:4242", id)
	v, n, ok := ParseIdentity(id)
	require.True(t, ok)
	assert.Equal(t, clean(Get().Version), v)
	assert.Equal(t, Workflows, n)

	v, n, ok = ParseIdentity("borealis-worker/v1.2.0+dirty/workflows-7@h:1")
	assert.True(t, ok)
	assert.Equal(t, "v1.2.0+dirty", v)
	assert.Equal(t, 7, n)

	for _, bad := range []string{
		"", "4242@host", "borealis-worker/abc@h:1", "borealis-worker//workflows-1@h:1",
		"borealis-worker/abc/workflows-x@h:1", "borealis-worker/abc/workflows--1@h:1",
		"borealis-worker/abc/workflows-01@h:1", "borealis-worker/abc/workflows-1", "other/abc/workflows-1@h:1",
	} {
		_, _, ok := ParseIdentity(bad)
		assert.False(t, ok, bad)
	}
	assert.Equal(t, "a_b_c_d", clean("a/b@c d"))
}

// changeIDs are the workflow.GetVersion change ids of workflows/ and their
// maximum versions as of Workflows = changeIDsAt.
var changeIDs = map[string]int{
	"resend-unanswered": 1, "skip-idle-health-watch": 1, "batch-requests": 1,
	"local-task-ops": 1, "one-delivery": 1, "admit-job": 1, "admit-update": 1,
	"remove-kept-on-kill": 1, "watch-kept-task": 1, "unique-task-ids": 1,
	"carry-health-count": 1, "mirror-rollback-groups": 1,
	"autopause-forward-only": 1, "retry-added-by-replace": 1,
	"restart-failure-budget": 1,
}

const changeIDsAt = 2

// TestVersionWorkflowsCoverChangeIDs: workflows/ has the change ids changeIDs
// lists, so that a new one (or a raised maximum) is noticed here and
// Workflows is bumped with it.
func TestVersionWorkflowsCoverChangeIDs(t *testing.T) {
	got := workflowChangeIDs(t, "../../workflows")
	require.NotEmpty(t, got)
	assert.Equal(t, changeIDs, got,
		"workflows/ changed its workflow.GetVersion change ids: bump version.Workflows, then update changeIDs and changeIDsAt")
	assert.Equal(t, changeIDsAt, Workflows, "Workflows was bumped: update changeIDs and changeIDsAt to match workflows/")
}

// workflowChangeIDs reads the GetVersion calls of the Go files (tests
// excluded) in dir: each change id (a string constant of the package) and
// its maximum version.
func workflowChangeIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	consts := map[string]string{}
	var calls []*ast.CallExpr
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "GetVersion" && len(n.Args) == 4 {
					calls = append(calls, n)
				}
			}
			return true
		})
	}
	got := map[string]int{}
	for _, c := range calls {
		id := ""
		switch a := c.Args[1].(type) {
		case *ast.Ident:
			id = consts[a.Name]
		case *ast.BasicLit:
			id, _ = strconv.Unquote(a.Value)
		}
		lit, ok := c.Args[3].(*ast.BasicLit)
		require.True(t, ok && id != "", "GetVersion at %s: want a constant change id and a literal maximum", fset.Position(c.Pos()))
		n, err := strconv.Atoi(lit.Value)
		require.NoError(t, err)
		got[id] = max(got[id], n)
	}
	t.Logf("change ids: %v", slices.Sorted(maps.Keys(got)))
	return got
}
