// Package testenv starts the real parts tests run against: a Temporal dev
// server with Borealis's search attributes. It is for tests only.
package testenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// Search attributes every Borealis Temporal server has (docs/semantics.md §7).
var (
	JobKeyAttribute       = temporal.NewSearchAttributeKeyKeyword("BorealisJobKey")
	UpdateStatusAttribute = temporal.NewSearchAttributeKeyKeyword("BorealisUpdateStatus")
)

// RepoRoot is the root of the Borealis checkout the tests run from.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// TemporalCLI returns the path of the cached temporal CLI (docs/semantics.md §7), building
// it once per machine through scripts/temporal-cli.sh when it is missing.
// BOREALIS_TEMPORAL_CLI overrides it.
func TemporalCLI() (string, error) {
	cliOnce.Do(func() {
		if p := os.Getenv("BOREALIS_TEMPORAL_CLI"); p != "" {
			cliPath = p
			return
		}
		out, err := exec.Command(filepath.Join(RepoRoot(), "scripts", "temporal-cli.sh")).Output()
		cliPath, cliErr = strings.TrimSpace(string(out)), err
	})
	return cliPath, cliErr
}

// NewDevServer starts an in-memory dev server on a free port with the search
// attributes of docs/semantics.md §7. The caller stops it; for one test, use StartTemporal.
func NewDevServer(ctx context.Context) (*testsuite.DevServer, error) {
	cli, err := TemporalCLI()
	if err != nil {
		return nil, fmt.Errorf("temporal CLI: %w", err)
	}
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  cli,
		ClientOptions: &client.Options{Namespace: "default"},
		LogLevel:      "error",
		SearchAttributes: temporal.NewSearchAttributes(
			JobKeyAttribute.ValueSet(""),
			UpdateStatusAttribute.ValueSet(""),
		),
	})
	if err != nil {
		return nil, fmt.Errorf("start Temporal dev server: %w", err)
	}
	return srv, nil
}

// StartTemporal starts a dev server for one test and stops it when the test ends.
func StartTemporal(t testing.TB) *testsuite.DevServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := NewDevServer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

// Client dials srv with a logger that keeps the SDK's routine messages
// (cancelled activities, retries) out of test output; failures are the
// tests' to report.
func Client(t testing.TB, srv *testsuite.DevServer) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  srv.FrontendHostPort(),
		Namespace: "default",
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		t.Fatalf("dial Temporal at %s: %v", srv.FrontendHostPort(), err)
	}
	t.Cleanup(c.Close)
	return c
}
