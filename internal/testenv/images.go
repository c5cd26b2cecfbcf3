package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Binaries are the programs of `make build`, by file name.
var Binaries = map[string]struct {
	Package string
	Static  bool
}{
	"borealis":        {"./starter", false},
	"borealis-worker": {"./worker", false},
	"borealis-runner": {"./runner/cmd/borealis-runner", true},
	"borealis-demo":   {"./images/demo", true},
}

// BuildBinaries builds names (keys of Binaries) into dir the way `make
// build` does (static ones with CGO_ENABLED=0), so the image build that
// follows is a cache hit after `make images`.
func BuildBinaries(ctx context.Context, dir string, names ...string) error {
	for _, name := range names {
		b, ok := Binaries[name]
		if !ok {
			return fmt.Errorf("unknown binary %q", name)
		}
		args := []string{"build", "-o", filepath.Join(dir, name), b.Package}
		env := os.Environ()
		if b.Static {
			args = []string{"build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, name), b.Package}
			env = append(env, "CGO_ENABLED=0")
		}
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = RepoRoot()
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.Package, err, out)
		}
	}
	return nil
}

var (
	imagesOnce   sync.Once
	imagesRunner string
	imagesErr    error
)

// Images makes sure borealis/base:latest and borealis/demo:latest exist
// (images/build.sh is idempotent and safe to run concurrently) and returns
// the host path of a runner binary built from this checkout. It uses
// $BOREALIS_BIN (set by make test) when it holds the binaries, else builds
// them into a temporary directory. It runs once per test binary.
func Images(ctx context.Context) (runnerPath string, err error) {
	imagesOnce.Do(func() { imagesRunner, imagesErr = buildImages(ctx) })
	return imagesRunner, imagesErr
}

func buildImages(ctx context.Context) (string, error) {
	bin := os.Getenv("BOREALIS_BIN")
	if !haveAll(bin, "borealis-runner", "borealis-demo") {
		dir, err := os.MkdirTemp("", "borealis-test-bin-")
		if err != nil {
			return "", err
		}
		if err := BuildBinaries(ctx, dir, "borealis-runner", "borealis-demo"); err != nil {
			return "", err
		}
		bin = dir
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(RepoRoot(), "images", "build.sh"))
	cmd.Env = append(os.Environ(), "BIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("images/build.sh: %v\n%s", err, out)
	}
	return filepath.Join(bin, "borealis-runner"), nil
}

func haveAll(dir string, names ...string) bool {
	if dir == "" {
		return false
	}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}
