package faults

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

var (
	longFlag = flag.Bool("long", false, "run the long version (also FAULTS_LONG=1)")
	// env is what TestMain set up for every test (see harness.Setup).
	env *harness.Env
	// long selects the long version of every scenario.
	long bool
)

// portBase is where the clusters' host port ranges start, away from e2e's
// (20000 onwards), the default range (31000-32000) and bench's (33000+).
const portBase = 12000

// parallel is how many tests run at once without -parallel: they mostly
// wait for containers, restarts and timeouts, but more than 4 at once
// overload Docker on 2 CPUs (see e2e).
const parallel = 4

func TestMain(m *testing.M) {
	flag.Parse()
	long = *longFlag || os.Getenv("FAULTS_LONG") == "1"
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", strconv.Itoa(parallel))
	}
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "borealis-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	env, err = harness.Setup(ctx, "faults", portBase, tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	defer env.Close()
	stopWatch, err := watchContainers()
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		return 1
	}
	env.BeforeCleanup = checkSecurity
	version := "short"
	if long {
		version = "long"
	}
	fmt.Fprintf(os.Stderr, "faults: %s version, set up in %s (binaries in %s, Temporal at %s)\n",
		version, time.Since(start).Round(time.Millisecond), env.BinDir, env.DevServer.FrontendHostPort())
	code := m.Run()
	stopWatch()
	printSummary(version, time.Since(start))
	return code
}

// seed is the seed of the suite's random choices: FAULTS_SEED when set
// (to repeat a run), else a new one. Tests log it.
var seed = sync.OnceValue(func() uint64 {
	if s, err := strconv.ParseUint(os.Getenv("FAULTS_SEED"), 10, 64); err == nil {
		return s
	}
	return rand.Uint64()
})

// newRand is a generator for one test, seeded from seed and the test's
// name, so that FAULTS_SEED repeats each test's choices.
func newRand(t *testing.T) *rand.Rand {
	h := uint64(0)
	for _, c := range t.Name() {
		h = h*31 + uint64(c)
	}
	t.Logf("random seed %d (FAULTS_SEED=%d repeats it)", seed(), seed())
	return rand.New(rand.NewPCG(seed(), h))
}

// pick is the short or the long value of a setting.
func pick[T any](short, long_ T) T {
	if long {
		return long_
	}
	return short
}

// A row of the summary table: one scenario of one test.
type row struct {
	scenario   string
	rounds     int
	lost, dups int
	result     string
	took       time.Duration
}

var (
	summaryMu sync.Mutex
	summary   []*row
)

// scenario adds a row to the summary; its result is filled in when the
// test ends. The test updates rounds, lost and dups as it goes.
func scenario(t *testing.T, name string) *row {
	r := &row{scenario: name}
	start := time.Now()
	summaryMu.Lock()
	summary = append(summary, r)
	summaryMu.Unlock()
	t.Cleanup(func() {
		summaryMu.Lock()
		defer summaryMu.Unlock()
		r.took = time.Since(start)
		switch {
		case t.Failed():
			r.result = "FAIL"
		case t.Skipped():
			r.result = "SKIP"
		default:
			r.result = "ok"
		}
	})
	return r
}

func (r *row) add(rounds, lost, dups int) {
	summaryMu.Lock()
	defer summaryMu.Unlock()
	r.rounds += rounds
	r.lost += lost
	r.dups += dups
}

func printSummary(version string, took time.Duration) {
	summaryMu.Lock()
	defer summaryMu.Unlock()
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "scenario\trounds\tlost\tduplicated\tresult\ttook\n")
	for _, r := range summary {
		res := r.result
		if res == "" {
			res = "not run"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\n", r.scenario, r.rounds, r.lost, r.dups, res, r.took.Round(100*time.Millisecond))
	}
	_ = w.Flush()
	inspected, gone := securityCounts()
	fmt.Printf("\nfaults summary (%s version, seed %d, %s; %d containers inspected, %d gone before inspection):\n%s\n",
		version, seed(), took.Round(time.Second), inspected, gone, b.String())
}
