// Command demo is the HTTP service of the borealis/demo image: a small static
// server whose flags make it healthy or not, slow to start or crashing, so
// tests and users can drive health checks, updates and rollbacks.
//
// Usage:
//
//	demo [-listen HOST] [-port N] [-health-port N] [-version N]
//	     [-unhealthy] [-slow-start SECS] [-crash-after SECS]
//	     [-health-script ok,fail,...]
//
// -port defaults to $BOREALIS_PORT_HTTP, else 8080. -health-port defaults to
// $BOREALIS_PORT_HEALTH; when neither is set, health is served on -port. Both
// ports serve every endpoint:
//
//	GET  /                 "version N"
//	     /health           "ok" (200), or "unhealthy" (503) with -unhealthy
//	                       or when -health-script says so for this request
//	GET  /stats            {"health_requests": N, "version": "N"}
//	POST /quitquitquit     answers 200, then shuts down gracefully, exit 0
//	POST /abortabortabort  answers 200, then exits 0 at once (0.5 s at most)
//
// Bodies have no trailing newline. SIGTERM or SIGINT shut down gracefully
// with exit 0. -slow-start SECS listens only after SECS seconds;
// -crash-after SECS exits 1 SECS seconds after start. -health-script
// scripts the health answers: the Nth /health request (from 1) gets the Nth
// word (ok or fail) of the comma-separated list, and every request past the
// end gets the last word; it overrides -unhealthy. Bad flags exit 2.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	exitOK      = 0
	exitCrash   = 1
	exitBadArgs = 2
)

// shutdownWait bounds a graceful shutdown (short: a health checker's
// connection that has sent nothing yet would hold Shutdown for 5 s); abortWait the shutdown after
// /abortabortabort, long enough to deliver its answer.
const (
	shutdownWait = time.Second
	abortWait    = 500 * time.Millisecond
)

type config struct {
	listen     string
	port       int
	healthPort int // 0: health on port
	version    string
	unhealthy  bool
	slowStart  time.Duration
	crashAfter time.Duration // 0: never
	// healthScript says, per /health request, whether to answer healthy;
	// requests past its end repeat the last entry. Empty: -unhealthy rules.
	healthScript []bool
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		}
		os.Exit(exitBadArgs)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, cfg, os.Stdout, nil))
}

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	port, err := envPort(getenv, "BOREALIS_PORT_HTTP", 8080)
	if err != nil {
		return config{}, err
	}
	healthPort, err := envPort(getenv, "BOREALIS_PORT_HEALTH", 0)
	if err != nil {
		return config{}, err
	}
	cfg := config{}
	var slowStart, crashAfter float64
	var script string
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", "0.0.0.0", "host to listen on")
	fs.IntVar(&cfg.port, "port", port, "port to serve on (default $BOREALIS_PORT_HTTP, else 8080)")
	fs.IntVar(&cfg.healthPort, "health-port", healthPort, "port to serve health on too (default $BOREALIS_PORT_HEALTH, else -port)")
	fs.StringVar(&cfg.version, "version", "1", "version that GET / reports")
	fs.BoolVar(&cfg.unhealthy, "unhealthy", false, "answer /health with 503 unhealthy")
	fs.Float64Var(&slowStart, "slow-start", 0, "seconds to wait before listening")
	fs.Float64Var(&crashAfter, "crash-after", 0, "seconds after which to exit 1 (0: never)")
	fs.StringVar(&script, "health-script", "", "comma-separated ok/fail answers of successive /health requests; the last repeats")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for name, p := range map[string]int{"-port": cfg.port, "-health-port": cfg.healthPort} {
		if p < 0 || p > 65535 {
			return config{}, fmt.Errorf("%s: %d is not a port", name, p)
		}
	}
	if slowStart < 0 || crashAfter < 0 {
		return config{}, errors.New("-slow-start and -crash-after must be >= 0")
	}
	if script != "" {
		for _, word := range strings.Split(script, ",") {
			switch strings.TrimSpace(word) {
			case "ok":
				cfg.healthScript = append(cfg.healthScript, true)
			case "fail":
				cfg.healthScript = append(cfg.healthScript, false)
			default:
				return config{}, fmt.Errorf("-health-script: %q is not ok or fail", word)
			}
		}
	}
	cfg.slowStart = time.Duration(slowStart * float64(time.Second))
	cfg.crashAfter = time.Duration(crashAfter * float64(time.Second))
	if cfg.healthPort == cfg.port {
		cfg.healthPort = 0
	}
	return cfg, nil
}

func envPort(getenv func(string) string, name string, def int) (int, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port", name, v)
	}
	return p, nil
}

// server answers the demo's endpoints and tells run when to exit.
type server struct {
	version        string
	unhealthy      bool
	healthScript   []bool
	healthRequests atomic.Int64
	exit           chan exitRequest
}

type exitRequest struct{ graceful bool }

func newServer(cfg config) *server {
	return &server{version: cfg.version, unhealthy: cfg.unhealthy, healthScript: cfg.healthScript,
		exit: make(chan exitRequest, 1)}
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "version "+s.version)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		n := s.healthRequests.Add(1)
		if !s.healthy(n) {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "unhealthy")
			return
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"health_requests": s.healthRequests.Load(),
			"version":         s.version,
		})
	})
	mux.HandleFunc("POST /quitquitquit", s.exitHandler(exitRequest{graceful: true}))
	mux.HandleFunc("POST /abortabortabort", s.exitHandler(exitRequest{graceful: false}))
	return mux
}

// healthy tells whether the nth /health request (from 1) is answered ok.
func (s *server) healthy(n int64) bool {
	if len(s.healthScript) == 0 {
		return !s.unhealthy
	}
	return s.healthScript[min(int(n), len(s.healthScript))-1]
}

// exitHandler answers 200 and only then asks run to exit.
func (s *server) exitHandler(req exitRequest) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "bye")
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case s.exit <- req:
		default: // an exit is already under way
		}
	}
}

// run serves until a signal (ctx), an exit request or the crash timer, and
// returns the exit code. ready, if set, gets the listening addresses.
func run(ctx context.Context, cfg config, out io.Writer, ready func(addrs []string)) int {
	var crash <-chan time.Time
	if cfg.crashAfter > 0 {
		timer := time.NewTimer(cfg.crashAfter)
		defer timer.Stop()
		crash = timer.C
	}
	if cfg.slowStart > 0 {
		fmt.Fprintf(out, "demo: version %s starting slowly (%v)\n", cfg.version, cfg.slowStart)
		select {
		case <-time.After(cfg.slowStart):
		case <-ctx.Done():
			return exitOK
		case <-crash:
			fmt.Fprintln(out, "demo: crashing as told")
			return exitCrash
		}
	}

	s := newServer(cfg)
	ports := []int{cfg.port}
	if cfg.healthPort != 0 {
		ports = append(ports, cfg.healthPort)
	}
	serveErr := make(chan error, len(ports))
	var servers []*http.Server
	var addrs []string
	for _, port := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(cfg.listen, strconv.Itoa(port)))
		if err != nil {
			fmt.Fprintf(out, "demo: %v\n", err)
			for _, srv := range servers {
				srv.Close()
			}
			return exitCrash
		}
		srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, srv)
		addrs = append(addrs, l.Addr().String())
		go func() { serveErr <- srv.Serve(l) }()
	}
	fmt.Fprintf(out, "demo: version %s listening on %v (healthy: %v)\n", cfg.version, addrs, !cfg.unhealthy)
	if ready != nil {
		ready(addrs)
	}

	graceful := true
	code := exitOK
	select {
	case <-ctx.Done():
		fmt.Fprintln(out, "demo: signalled, shutting down")
	case req := <-s.exit:
		graceful = req.graceful
		fmt.Fprintf(out, "demo: exit requested (graceful: %v)\n", graceful)
	case <-crash:
		fmt.Fprintln(out, "demo: crashing as told")
		code = exitCrash
	case err := <-serveErr:
		fmt.Fprintf(out, "demo: serve: %v\n", err)
		code = exitCrash
	}
	wait := shutdownWait
	if !graceful {
		wait = abortWait
	}
	sctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, srv := range servers {
		if code == exitCrash {
			srv.Close()
		} else if srv.Shutdown(sctx) != nil {
			srv.Close()
		}
	}
	return code
}
