package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/borealis-dev/borealis/internal/harness"
)

// updateMetrics updates key, a service of three sleepers, in two batches
// with a pause between them, scraping url: while it is paused the job has
// one active update, ROLL_FORWARD_PAUSED, and three desired instances;
// once it rolled forward it has none, and its duration (ROLLED_FORWARD)
// and three instance replacements are in the histograms.
func updateMetrics(t *testing.T, cl *harness.Cluster, url, key string) {
	t.Helper()
	job := `job="` + key + `"`
	v2 := cl.WriteJob(key, `    service: true
    instances: 3
    update_config: {update_strategy: {batch: {batch_size: 2, autopause_after_batch: true}}, watch_secs: 0}
    task:
      processes:
        - name: sleeper
          cmdline: 'while true; do sleep 11; done'
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`)
	_, id := cl.StartUpdate(key, v2)
	cl.WaitStatusIs(key, id, "ROLL_FORWARD_PAUSED", time.Minute)
	harness.Eventually(t, 60*time.Second, "a paused update and 3 desired instances in the metrics", func() (bool, string) {
		body, err := scrape(url)
		if err != nil {
			return false, err.Error()
		}
		paused, _ := sample(body, "borealis_updates_active", job, `status="ROLL_FORWARD_PAUSED"`)
		active, _ := sample(body, "borealis_updates_active", job)
		desired, _ := sample(body, "borealis_job_instances_desired", job)
		return paused == 1 && active == 1 && desired == 3,
			fmt.Sprintf("paused %v, active %v, desired %v:\n%s", paused, active, desired, jobLines(body))
	})

	cl.MustRun("update", "resume", key)
	if r := cl.Run("update", "wait", key, id); r.Code != harness.ExitOK {
		t.Fatalf("update wait: %s", r)
	}
	harness.Eventually(t, 60*time.Second, "the update timed, its replacements too, and none active", func() (bool, string) {
		body, err := scrape(url)
		if err != nil {
			return false, err.Error()
		}
		updates, _ := sample(body, "borealis_update_duration_seconds_count", job, `status="ROLLED_FORWARD"`)
		took, _ := sample(body, "borealis_update_duration_seconds_sum", job)
		replaced, _ := sample(body, "borealis_instance_replacement_duration_seconds_count", job)
		_, active := sample(body, "borealis_updates_active", job)
		desired, _ := sample(body, "borealis_job_instances_desired", job)
		return updates == 1 && took > 0 && replaced == 3 && !active && desired == 3,
			fmt.Sprintf("updates %v (%vs), replacements %v, active %v, desired %v:\n%s", updates, took, replaced, active, desired, jobLines(body))
	})
}
