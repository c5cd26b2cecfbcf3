package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func post(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestEndpoints(t *testing.T) {
	s := newServer(config{version: "7"})
	ts := httptest.NewServer(s.handler())
	defer ts.Close()

	if code, body := get(t, ts.URL+"/"); code != 200 || body != "version 7" {
		t.Errorf("GET / = %d %q", code, body)
	}
	if code, _ := get(t, ts.URL+"/nope"); code != 404 {
		t.Errorf("GET /nope = %d, want 404", code)
	}
	for range 3 {
		if code, body := get(t, ts.URL+"/health"); code != 200 || body != "ok" {
			t.Errorf("GET /health = %d %q", code, body)
		}
	}
	code, body := get(t, ts.URL+"/stats")
	var stats struct {
		HealthRequests int `json:"health_requests"`
	}
	if err := json.Unmarshal([]byte(body), &stats); code != 200 || err != nil || stats.HealthRequests != 3 {
		t.Errorf("GET /stats = %d %q (%v), want 3 health requests", code, body, err)
	}
	if code, _ := get(t, ts.URL+"/quitquitquit"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /quitquitquit = %d, want 405", code)
	}
}

func TestUnhealthy(t *testing.T) {
	ts := httptest.NewServer(newServer(config{version: "1", unhealthy: true}).handler())
	defer ts.Close()
	if code, body := get(t, ts.URL+"/health"); code != 503 || body != "unhealthy" {
		t.Errorf("GET /health = %d %q, want 503 unhealthy", code, body)
	}
}

func TestParseFlags(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	cfg, err := parseFlags(nil, getenv, io.Discard)
	if err != nil || cfg.port != 8080 || cfg.healthPort != 0 || cfg.listen != "0.0.0.0" || cfg.version != "1" {
		t.Errorf("defaults: %+v, %v", cfg, err)
	}
	env["BOREALIS_PORT_HTTP"], env["BOREALIS_PORT_HEALTH"] = "31001", "31002"
	cfg, err = parseFlags([]string{"-version", "2", "-unhealthy", "-slow-start", "1.5", "-crash-after", "3"}, getenv, io.Discard)
	if err != nil || cfg.port != 31001 || cfg.healthPort != 31002 || cfg.version != "2" || !cfg.unhealthy ||
		cfg.slowStart != 1500*time.Millisecond || cfg.crashAfter != 3*time.Second {
		t.Errorf("from env and flags: %+v, %v", cfg, err)
	}
	cfg, err = parseFlags([]string{"-port", "9000", "-health-port", "9000"}, getenv, io.Discard)
	if err != nil || cfg.port != 9000 || cfg.healthPort != 0 {
		t.Errorf("flags override env, same port means one listener: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{{"-port", "70000"}, {"-slow-start", "-1"}, {"extra"}, {"-bogus"}} {
		if _, err := parseFlags(args, getenv, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	env["BOREALIS_PORT_HTTP"] = "http"
	if _, err := parseFlags(nil, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "BOREALIS_PORT_HTTP") {
		t.Errorf("bad env port: %v", err)
	}
}

// start runs the service on free loopback ports and returns the addresses
// it listens on and the channel its exit code arrives on.
func start(t *testing.T, cfg config) ([]string, <-chan int, context.CancelFunc) {
	t.Helper()
	cfg.listen = "127.0.0.1"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ready := make(chan []string, 1)
	done := make(chan int, 1)
	go func() { done <- run(ctx, cfg, io.Discard, func(a []string) { ready <- a }) }()
	select {
	case addrs := <-ready:
		return addrs, done, cancel
	case code := <-done:
		t.Fatalf("exited %d before listening", code)
	case <-time.After(5 * time.Second):
		t.Fatal("not listening within 5s")
	}
	return nil, nil, nil
}

func wantExit(t *testing.T, done <-chan int, want int, within time.Duration) {
	t.Helper()
	select {
	case code := <-done:
		if code != want {
			t.Errorf("exit code %d, want %d", code, want)
		}
	case <-time.After(within):
		t.Fatalf("did not exit within %v", within)
	}
}

func TestQuitAnswersThenExits(t *testing.T) {
	addrs, done, _ := start(t, config{version: "3"})
	if code, body := post(t, "http://"+addrs[0]+"/quitquitquit"); code != 200 || body != "bye" {
		t.Errorf("POST /quitquitquit = %d %q", code, body)
	}
	wantExit(t, done, 0, 6*time.Second)
}

func TestAbortExits(t *testing.T) {
	addrs, done, _ := start(t, config{version: "3"})
	if code, _ := post(t, "http://"+addrs[0]+"/abortabortabort"); code != 200 {
		t.Errorf("POST /abortabortabort = %d", code)
	}
	wantExit(t, done, 0, 2*time.Second)
}

func TestSignalExitsZero(t *testing.T) {
	_, done, cancel := start(t, config{version: "3"})
	cancel()
	wantExit(t, done, 0, 6*time.Second)
}

func TestSeparateHealthPort(t *testing.T) {
	addrs, _, _ := start(t, config{version: "4", healthPort: freePort(t)})
	if len(addrs) != 2 {
		t.Fatalf("listening on %v, want two ports", addrs)
	}
	get(t, "http://"+addrs[1]+"/health")
	get(t, "http://"+addrs[0]+"/health")
	_, body := get(t, "http://"+addrs[1]+"/stats")
	if !strings.Contains(body, `"health_requests":2`) {
		t.Errorf("stats = %q, want 2 health requests across both ports", body)
	}
}

func TestCrashAfter(t *testing.T) {
	began := time.Now()
	_, done, _ := start(t, config{version: "5", crashAfter: 200 * time.Millisecond})
	wantExit(t, done, 1, 3*time.Second)
	if took := time.Since(began); took < 200*time.Millisecond {
		t.Errorf("crashed after %v, want 200ms", took)
	}
}

func TestSlowStart(t *testing.T) {
	port := freePort(t)
	began := time.Now()
	addrs, _, _ := start(t, config{version: "6", port: port, slowStart: 300 * time.Millisecond})
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Errorf("listening after %v, want >= 300ms", took)
	}
	if code, body := get(t, "http://"+addrs[0]+"/"); code != 200 || body != "version 6" {
		t.Errorf("GET / = %d %q", code, body)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestHealthScript(t *testing.T) {
	cfg, err := parseFlags([]string{"-health-script", "fail, fail,ok,fail", "-unhealthy"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(newServer(cfg).handler())
	defer ts.Close()
	var got []int
	for range 6 {
		code, _ := get(t, ts.URL+"/health")
		got = append(got, code)
	}
	want := []int{503, 503, 200, 503, 503, 503} // the last entry repeats
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("codes = %v, want %v", got, want)
		}
	}
	if _, err := parseFlags([]string{"-health-script", "ok,maybe"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("-health-script ok,maybe accepted")
	}
}
