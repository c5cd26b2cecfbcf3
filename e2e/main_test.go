package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// env is what TestMain set up for every test: the directory of the four
// binaries, a Temporal dev server, and a client of it for the few checks no
// CLI command prints (an instance's restart count, whether it is done).
var env *harness.Env

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

// parallel is how many tests run at once without -parallel: on 2 CPUs,
// more than 4 suites of containers, workers and health checks at once make
// Docker take tens of seconds per container start and the tests time out.
const parallel = 4

// portBase is where the clusters' host port ranges start (cluster n has
// portBase + 120n onwards), below the default range (31000-32000, make
// demo) and those of faults/ and bench/.
const portBase = 20000

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
	env, err = harness.Setup(ctx, "e2e", portBase, tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer env.Close()
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "e2e: set up in %s (binaries in %s, Temporal at %s)\n",
			time.Since(start).Round(time.Millisecond), env.BinDir, env.DevServer.FrontendHostPort())
	}
	return m.Run()
}
