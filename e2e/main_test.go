package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/borealis-dev/borealis/internal/testenv"
)

// What TestMain set up for every test: the directory of the four binaries,
// a Temporal dev server, and a client of it for the few checks no CLI
// command prints (an instance's restart count, whether it is done).
var (
	binDir    string
	devServer *testsuite.DevServer
	temporal  client.Client
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The tests mostly wait for containers and health checks, so they run
	// side by side beyond the default of one per CPU, unless -parallel says.
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(parallel))
	}
	os.Exit(runMain(m))
}

// parallel is how many tests run at once without -parallel.
const parallel = 12

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "borealis-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	if binDir, err = binaries(ctx, tmp); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: binaries:", err)
		return 1
	}
	if err := images(ctx, binDir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: images:", err)
		return 1
	}
	devServer, err = testenv.NewDevServer(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer func() { _ = devServer.Stop() }()
	temporal, err = client.Dial(client.Options{
		HostPort:  devServer.FrontendHostPort(),
		Namespace: "default",
		Logger:    quietLogger(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: dial Temporal:", err)
		return 1
	}
	defer temporal.Close()
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: set up in %s (binaries in %s, Temporal at %s)\n",
			time.Since(start).Round(time.Millisecond), binDir, devServer.FrontendHostPort())
	}
	return m.Run()
}

// binaries returns the directory of bin/borealis, bin/borealis-worker,
// bin/borealis-runner and bin/borealis-demo: $BOREALIS_BIN when set (make
// test), else a directory under tmp they are built into with the flags of
// `make build` (runner and demo static, so the image build is a cache hit
// after `make images`).
func binaries(ctx context.Context, tmp string) (string, error) {
	dir := os.Getenv("BOREALIS_BIN")
	if dir == "" {
		dir = filepath.Join(tmp, "bin")
		builds := []struct {
			pkg, out string
			static   bool
		}{
			{"./starter", "borealis", false},
			{"./worker", "borealis-worker", false},
			{"./runner/cmd/borealis-runner", "borealis-runner", true},
			{"./images/demo", "borealis-demo", true},
		}
		for _, b := range builds {
			args := []string{"build", "-o", filepath.Join(dir, b.out)}
			if b.static {
				args = append(args, "-trimpath", "-ldflags=-s -w")
			}
			cmd := exec.CommandContext(ctx, "go", append(args, b.pkg)...)
			cmd.Dir = testenv.RepoRoot()
			cmd.Env = os.Environ()
			if b.static {
				cmd.Env = append(cmd.Env, "CGO_ENABLED=0")
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
			}
		}
	}
	for _, name := range []string{"borealis", "borealis-worker", "borealis-runner", "borealis-demo"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("%w (run make build, or unset BOREALIS_BIN)", err)
		}
	}
	return dir, nil
}

// images makes borealis/base:latest and borealis/demo:latest with
// images/build.sh, which is idempotent and safe to run concurrently.
func images(ctx context.Context, bin string) error {
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(testenv.RepoRoot(), "images", "build.sh"))
	cmd.Env = append(os.Environ(), "BIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("images/build.sh: %v\n%s", err, out)
	}
	return nil
}

// quietLogger keeps the Temporal SDK's routine messages out of test output.
func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}
