package harness

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/borealis-dev/borealis/internal/testenv"
)

// Env is what every test of a suite shares: the directory of the four
// binaries, a Temporal dev server, and a client of it for the few checks no
// CLI command prints (an instance's restart count, whether it is done).
type Env struct {
	// Name is the cluster of the suite's job keys and the prefix of its
	// roles and task queues ("e2e"): suites running side by side on one
	// Docker Engine never share a job.
	Name string
	// PortBase is where the host port ranges of the suite's clusters start
	// (cluster n gets PortBase + n*PortsPerCluster onwards).
	PortBase  int
	BinDir    string
	DevServer *testsuite.DevServer
	Temporal  client.Client
	// BeforeCleanup, when set, is called by each cluster's cleanup after
	// its worker stopped and before its containers are removed.
	BeforeCleanup func(*Cluster)
}

// Setup finds or builds the binaries (see binaries), makes the images,
// starts a dev server and dials it. tmp is a directory the caller removes
// after Close.
func Setup(ctx context.Context, name string, portBase int, tmp string) (*Env, error) {
	e := &Env{Name: name, PortBase: portBase}
	var err error
	if e.BinDir, err = binaries(ctx, tmp); err != nil {
		return nil, fmt.Errorf("binaries: %w", err)
	}
	if err := images(ctx, e.BinDir); err != nil {
		return nil, fmt.Errorf("images: %w", err)
	}
	if e.DevServer, err = testenv.NewDevServer(ctx); err != nil {
		return nil, err
	}
	e.Temporal, err = client.Dial(client.Options{
		HostPort:  e.DevServer.FrontendHostPort(),
		Namespace: "default",
		Logger:    QuietLogger(),
	})
	if err != nil {
		_ = e.DevServer.Stop()
		return nil, fmt.Errorf("dial Temporal: %w", err)
	}
	return e, nil
}

// Close closes the client and stops the dev server.
func (e *Env) Close() {
	e.Temporal.Close()
	_ = e.DevServer.Stop()
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

// QuietLogger keeps the Temporal SDK's routine messages out of test output.
func QuietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// FreeHostPort is a loopback address with a port nothing listens on.
func FreeHostPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// StartDevServer starts a Temporal dev server on hostPort that keeps its
// state in db, with Borealis's search attributes.
func StartDevServer(t testing.TB, db, hostPort string) *testsuite.DevServer {
	t.Helper()
	cli, err := testenv.TemporalCLI()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		ClientOptions: &client.Options{HostPort: hostPort, Namespace: "default", Logger: QuietLogger()},
		DBFilename:    db,
		LogLevel:      "error",
		SearchAttributes: sdktemporal.NewSearchAttributes(
			testenv.JobKeyAttribute.ValueSet(""),
			testenv.UpdateStatusAttribute.ValueSet(""),
		),
	})
	if err != nil {
		t.Fatalf("start a dev server on %s with %s: %v", hostPort, db, err)
	}
	return srv
}
