package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// servingMetrics finds the address of the last "serving metrics" line of
// the cluster's worker log.
var servingMetrics = regexp.MustCompile(`msg="serving metrics" address=(http://\S+/metrics)`)

// metricsURL is where the cluster's current worker serves /metrics.
func metricsURL(t *testing.T, cl *harness.Cluster) string {
	t.Helper()
	b, err := os.ReadFile(cl.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	m := servingMetrics.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		t.Fatalf("the worker log has no serving metrics line:\n%s", b)
	}
	return string(m[len(m)-1][1])
}

// scrape fetches the worker's metrics.
func scrape(url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return string(b), err
}

// sample sums the values of the series of name whose labels include every
// label of want (name="value"); found is false when there is none.
func sample(body, name string, want ...string) (sum float64, found bool) {
	for _, l := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(l, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		sp := strings.LastIndexByte(rest, ' ')
		labels := rest[:max(sp, 0)]
		matches := true
		for _, w := range want {
			matches = matches && strings.Contains(labels, w)
		}
		if !matches {
			continue
		}
		v, err := strconv.ParseFloat(rest[sp+1:], 64)
		if err == nil {
			sum, found = sum+v, true
		}
	}
	return sum, found
}

// TestJobMetrics runs a service of three instances on a worker serving
// metrics and scrapes its per-job series: three running and healthy
// instances, then, after a container is killed behind Borealis's back, a
// restart counted and three running again; then an update, active and
// paused while three instances are desired, and once it rolled forward,
// its duration and its three replacements timed.
func TestJobMetrics(t *testing.T) {
	t.Parallel()
	cl := env.NewCluster(t, harness.Flapping{})
	const host = "metrics-e2e-host"
	cl.StopWorker()
	cl.WorkerArgs = append(cl.WorkerArgs, "--worker-metrics-address", "127.0.0.1:0", "--host-name", host)
	cl.StartWorker()
	url := metricsURL(t, cl)
	key := cl.Job("metrics")
	job := `job="` + key + `"`
	onHost := `host="` + host + `"`

	cl.MustRun("job", "create", key, cl.WriteJob(key, "    service: true\n    instances: 3\n"+sleeper), "--wait-until", "RUNNING", "--timeout", "60s")

	gauges := func(want float64) func() (bool, string) {
		return func() (bool, string) {
			body, err := scrape(url)
			if err != nil {
				return false, err.Error()
			}
			running, okR := sample(body, "borealis_job_instances_running", job, onHost)
			healthy, okH := sample(body, "borealis_job_instances_healthy", job, onHost)
			up, _ := sample(body, "borealis_job_listing_up", onHost)
			return okR && okH && running == want && healthy == want && up == 1,
				fmt.Sprintf("running %v (%v), healthy %v (%v), listing up %v; borealis_job_* series:\n%s", running, okR, healthy, okH, up, jobLines(body))
		}
	}
	harness.Eventually(t, 30*time.Second, "3 running and healthy instances in the metrics", gauges(3))

	body, err := scrape(url)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := sample(body, "borealis_job_task_restarts_total", job); n != 0 {
		t.Errorf("restarts %v before any restart:\n%s", n, jobLines(body))
	}

	victim := harness.Running(harness.OfInstance(harness.Containers(t, key), 1))
	if len(victim) != 1 {
		t.Fatalf("want one running container of instance 1:\n%s", harness.ListContainers(harness.Containers(t, key)))
	}
	harness.Docker(t, "kill", victim[0].ID)
	harness.Eventually(t, 60*time.Second, "the restart counted", func() (bool, string) {
		body, err = scrape(url)
		if err != nil {
			return false, err.Error()
		}
		n, _ := sample(body, "borealis_job_task_restarts_total", job, onHost)
		return n == 1, fmt.Sprintf("restarts %v:\n%s", n, jobLines(body))
	})
	if n, found := sample(body, "borealis_job_health_check_failures_total", job); found {
		t.Errorf("health check failures %v for a job without health checks", n)
	}
	harness.Eventually(t, 60*time.Second, "3 running and healthy instances again", gauges(3))

	updateMetrics(t, cl, url, key)

	cl.MustRun("job", "killall", key)
	harness.Eventually(t, 60*time.Second, "the job's gauges gone once its containers are", func() (bool, string) {
		body, err := scrape(url)
		if err != nil {
			return false, err.Error()
		}
		_, running := sample(body, "borealis_job_instances_running", job)
		_, desired := sample(body, "borealis_job_instances_desired", job)
		return !running && !desired, jobLines(body)
	})
}

// jobLines are the borealis_job_ and borealis_update lines of a scrape,
// for failure messages.
func jobLines(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "borealis_job_") || strings.HasPrefix(l, "borealis_update") || strings.HasPrefix(l, "borealis_visibility") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
