package dockerrun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The Docker tests need the runner binary (mounted into every task
// container) and the images borealis/base:latest and borealis/demo:latest.
// TestMain builds the runner and the demo server from this checkout with
// CGO_ENABLED=0 (the flags of `make build`, so the binaries match and the
// image build is a cache hit after `make images`) into a temporary bin
// directory, and runs images/build.sh, which is idempotent. Any failure is
// kept in dockerSetupErr and fails the Docker tests, not the fake's.
var (
	testRunnerPath string
	dockerSetupErr error
)

func TestMain(m *testing.M) {
	bin, err := os.MkdirTemp("", "dockerrun-bin-")
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
	root, err := moduleRoot()
	if err != nil {
		return err
	}
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

// moduleRoot finds the directory of go.mod above the package directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module")
	}
	return filepath.Dir(mod), nil
}
