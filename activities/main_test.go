package activities

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/testenv"
)

// The real-container tests need the runner binary (mounted into every task
// container) and the images borealis/base:latest and borealis/demo:latest.
// TestMain builds the runner and the demo server from this checkout the way
// dockerrun's TestMain does (CGO_ENABLED=0, the flags of `make build`) into
// a temporary bin directory and runs images/build.sh, which is idempotent.
// A failure is kept in dockerSetupErr and fails the Docker tests only.
var (
	testRunnerPath string
	dockerSetupErr error
)

func TestMain(m *testing.M) {
	bin, err := os.MkdirTemp("", "activities-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dockerSetupErr = setupDocker(bin)
	code := m.Run()
	_ = os.RemoveAll(bin)
	os.Exit(code)
}

func setupDocker(bin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := testenv.RepoRoot()
	build := func(pkg, out string) error {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(bin, out), pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
		return nil
	}
	if err := build("./runner/cmd/borealis-runner", "borealis-runner"); err != nil {
		return err
	}
	testRunnerPath = filepath.Join(bin, "borealis-runner")
	if err := build("./images/demo", "borealis-demo"); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "images", "build.sh"))
	cmd.Env = append(os.Environ(), "BIN="+bin)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("images/build.sh: %v\n%s", err, b)
	}
	return nil
}
