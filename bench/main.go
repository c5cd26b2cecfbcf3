// Command bench measures Borealis against its peers on this machine (issue 8):
// rolling updates against Docker Swarm and a lower bound, restarts against
// Docker's --restart=always, creating 100 instances against Swarm, the
// orchestration cost without Docker, the worker's memory with 200 instances
// and update time as the job grows. It prints a Markdown table, writes it to
// bench/results/latest.md and plots the scaling figure to
// bench/results/scaling.png. Every figure is the median of -runs runs.
//
// It needs Docker, the images (make images), the binaries (make build) and
// the temporal CLI (fetched on first use, as for the tests). It starts its
// own Temporal dev server and in-process workers, and removes every
// container, service and workflow it made, also when interrupted.
//
//	go run ./bench                     # everything, 3 runs each
//	go run ./bench -only update,restart -runs 1
//	go run ./bench -quick              # smaller sizes, one run: a smoke test
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// figureNames are the figures -only accepts, in the order they run.
var figureNames = []string{"update", "scaling", "restart", "create", "orchestration", "rss"}

type options struct {
	runs      int
	only      map[string]bool
	quick     bool
	kills     int
	out       string
	profile   bool
	updateN   int
	batch     int
	scalingNs []int
	createN   int
	orchN     int
	orchBatch int
	rssN      int
}

func main() {
	opt, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	os.Exit(run(opt))
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	opt := options{}
	only := fs.String("only", "", "comma-separated figures to run: "+strings.Join(figureNames, ","))
	fs.IntVar(&opt.runs, "runs", 3, "runs per figure; each figure is their median")
	fs.BoolVar(&opt.quick, "quick", false, "smaller sizes and one run (unless -runs is given): a smoke test, not a measurement")
	fs.IntVar(&opt.kills, "kills", 5, "kills per run of the restart figure (each waits for 11 s of uptime)")
	fs.StringVar(&opt.out, "out", "", "directory of latest.md and scaling.png (default bench/results in the repository)")
	fs.BoolVar(&opt.profile, "profile", false, "write a CPU profile of the orchestration figure's worker and heap profiles to the results directory")
	if err := fs.Parse(args); err != nil {
		return opt, err
	}
	if fs.NArg() > 0 {
		return opt, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	opt.only = map[string]bool{}
	if *only == "" {
		for _, n := range figureNames {
			opt.only[n] = true
		}
	} else {
		for _, n := range strings.Split(*only, ",") {
			n = strings.TrimSpace(n)
			if !slices.Contains(figureNames, n) {
				return opt, fmt.Errorf("-only: unknown figure %q (want %s)", n, strings.Join(figureNames, ","))
			}
			opt.only[n] = true
		}
	}
	opt.updateN, opt.batch = 20, 5
	opt.scalingNs = []int{5, 10, 20, 40}
	opt.createN = 100
	opt.orchN, opt.orchBatch = 1000, 100
	opt.rssN = 200
	if opt.quick {
		if !set["runs"] {
			opt.runs = 1
		}
		if !set["kills"] {
			opt.kills = 2
		}
		opt.updateN = 10
		opt.scalingNs = []int{5, 10}
		opt.createN = 20
		opt.orchN, opt.orchBatch = 200, 20
		opt.rssN = 20
	}
	if opt.runs < 1 || opt.kills < 1 {
		return opt, fmt.Errorf("-runs and -kills must be at least 1")
	}
	return opt, nil
}

func run(opt options) (code int) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		// A second signal ends the process at once; the first lets the
		// cleanups run.
		stop()
	}()

	b := newBench(ctx, opt)
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "bench: panic: %v\n", r)
			code = 1
		}
		b.cleanupAll()
	}()
	if err := b.setup(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	b.logf("machine: %s", b.machine.oneLine())

	figures := map[string]func() error{
		"update":        b.figureUpdate,
		"scaling":       b.figureScaling,
		"restart":       b.figureRestart,
		"create":        b.figureCreate,
		"orchestration": b.figureOrchestration,
		"rss":           b.figureRSS,
	}
	failed := false
	for _, name := range figureNames {
		if !opt.only[name] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		b.logf("=== %s", name)
		if err := figures[name](); err != nil {
			failed = true
			b.logf("%s failed: %v", name, err)
			b.addError(name, err)
		}
		b.logf("=== %s done in %s", name, time.Since(start).Round(time.Second))
		b.runCleanups() // each figure leaves nothing behind for the next
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench: interrupted; cleaning up")
		return 130
	}
	b.machine.loadEnd = loadAvg()
	md := b.report()
	fmt.Println(md)
	if err := os.MkdirAll(b.outDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := os.WriteFile(filepath.Join(b.outDir, "latest.md"), []byte(md), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if len(b.scaling) > 0 {
		if err := writePlot(filepath.Join(b.outDir, "scaling.png"), b.scaling); err != nil {
			fmt.Fprintln(os.Stderr, "bench: plot:", err)
			return 1
		}
		b.logf("wrote %s", filepath.Join(b.outDir, "scaling.png"))
	}
	b.logf("wrote %s", filepath.Join(b.outDir, "latest.md"))
	if failed {
		return 1
	}
	return 0
}

func itoa(n int) string { return strconv.Itoa(n) }
