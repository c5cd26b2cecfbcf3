// Package testenv starts the real parts tests run against: a Temporal dev
// server with Borealis's search attributes. It is for tests only.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// Search attributes every Borealis Temporal server has (SPEC §7).
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

// TemporalCLI returns the path of the cached temporal CLI (SPEC §7), building
// it once per machine through scripts/temporal-cli.sh when it is missing.
// BOREALIS_TEMPORAL_CLI overrides it.
func TemporalCLI(t testing.TB) string {
	t.Helper()
	cliOnce.Do(func() {
		if p := os.Getenv("BOREALIS_TEMPORAL_CLI"); p != "" {
			cliPath = p
			return
		}
		out, err := exec.Command(filepath.Join(RepoRoot(), "scripts", "temporal-cli.sh")).Output()
		cliPath, cliErr = strings.TrimSpace(string(out)), err
	})
	if cliErr != nil {
		t.Fatalf("temporal CLI: %v", cliErr)
	}
	return cliPath
}

// DevServer is a Temporal dev server private to one test binary.
type DevServer struct {
	*testsuite.DevServer
}

// StartTemporal starts an in-memory dev server on a free port with the
// search attributes of SPEC §7 and stops it when the test ends.
func StartTemporal(t testing.TB) *DevServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:  TemporalCLI(t),
		ClientOptions: &client.Options{Namespace: "default"},
		LogLevel:      "error",
		SearchAttributes: temporal.NewSearchAttributes(
			JobKeyAttribute.ValueSet(""),
			UpdateStatusAttribute.ValueSet(""),
		),
	})
	if err != nil {
		t.Fatalf("start Temporal dev server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return &DevServer{srv}
}
