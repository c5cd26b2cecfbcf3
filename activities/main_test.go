package activities

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/testenv"
)

// The Docker tests need the runner binary (mounted into every task
// container) and the images borealis/base:latest and borealis/demo:latest:
// testenv.Images builds them from this checkout. A failure is kept in
// dockerSetupErr and fails the Docker tests only.
var (
	testRunnerPath string
	dockerSetupErr error
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	testRunnerPath, dockerSetupErr = testenv.Images(ctx)
	cancel()
	os.Exit(m.Run())
}
