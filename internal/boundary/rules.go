package boundary

import (
	"fmt"
	"slices"
	"strings"
)

// Module is the project's module path.
const Module = "github.com/borealis-dev/borealis"

// dockerSDK is the Docker Engine's Go client and API types.
const dockerSDK = "github.com/docker/docker"

// Package is what `go list -json` says of one package.
type Package struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
	// Deps are the package's transitive imports, tests excluded.
	Deps []string
}

// Rule is one import rule; Check returns a line per package that breaks it.
type Rule struct {
	Name  string
	Check func(pkgs []Package) []string
}

// Rules are the project's import rules:
//   - workflows never reach the Docker Engine: neither dockerrun nor the
//     Docker SDK, directly or through another package;
//   - the CLI (starter) is no Docker client: neither dockerrun nor
//     activities, directly or through another package;
//   - the runner, which runs inside every task container, uses only the
//     standard library;
//   - only config/settings imports viper;
//   - only dockerrun imports the Docker SDK, and bench, which measures the
//     engine itself.
func Rules() []Rule {
	return []Rule{
		noDeps("workflows reach no Docker", Module+"/workflows", Module+"/dockerrun", dockerSDK),
		noDeps("the CLI is no Docker client", Module+"/starter", Module+"/dockerrun", Module+"/activities", dockerSDK),
		onlyStd("the runner uses only the standard library", Module+"/runner"),
		onlyIn("viper only in config/settings", "github.com/spf13/viper", Module+"/config/settings"),
		onlyIn("the Docker SDK only in dockerrun and bench", dockerSDK, Module+"/dockerrun", Module+"/bench"),
	}
}

// under reports whether path is tree or a package below it.
func under(path, tree string) bool {
	return path == tree || strings.HasPrefix(path, tree+"/")
}

// underAny reports whether path is under one of trees.
func underAny(path string, trees []string) bool {
	return slices.ContainsFunc(trees, func(tree string) bool { return under(path, tree) })
}

// noDeps forbids the packages under from to depend on any package under
// forbidden, even through another package.
func noDeps(name, from string, forbidden ...string) Rule {
	return Rule{Name: name, Check: func(pkgs []Package) []string {
		var bad []string
		for _, p := range pkgs {
			if !under(p.ImportPath, from) {
				continue
			}
			for _, d := range p.Deps {
				if underAny(d, forbidden) {
					bad = append(bad, fmt.Sprintf("%s depends on %s", p.ImportPath, d))
				}
			}
		}
		return bad
	}}
}

// onlyStd allows the packages under tree to depend only on the standard
// library and on each other.
func onlyStd(name, tree string) Rule {
	return Rule{Name: name, Check: func(pkgs []Package) []string {
		var bad []string
		for _, p := range pkgs {
			if !under(p.ImportPath, tree) {
				continue
			}
			for _, d := range p.Deps {
				if !standard(d) && !under(d, tree) {
					bad = append(bad, fmt.Sprintf("%s depends on %s", p.ImportPath, d))
				}
			}
		}
		return bad
	}}
}

// standard reports whether path is a standard library package: its first
// element has no dot.
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// onlyIn allows only the packages under allowed to import a package under
// tree themselves, tests included.
func onlyIn(name, tree string, allowed ...string) Rule {
	return Rule{Name: name, Check: func(pkgs []Package) []string {
		var bad []string
		for _, p := range pkgs {
			if underAny(p.ImportPath, allowed) {
				continue
			}
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				if under(imp, tree) {
					bad = append(bad, fmt.Sprintf("%s imports %s", p.ImportPath, imp))
				}
			}
		}
		slices.Sort(bad)
		return slices.Compact(bad)
	}}
}
