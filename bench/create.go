package main

import (
	"fmt"
	"time"

	"github.com/borealis-dev/borealis/taskapi"
)

// sleeperBody is a service of n busybox tasks that sleep, with no ports and
// so no health checks: RUNNING as soon as the container runs.
func sleeperBody(n int, extra string) string {
	return fmt.Sprintf(`    service: true
    instances: %d
    task:
      processes:
        - name: sleeper
          cmdline: 'sleep 100000%s'
      resources: {cpu: 0.1, ram: 16MB, disk: 16MB}
`, n, extra)
}

// figureCreate: a job of 100 instances until all RUNNING, against `docker
// service create --replicas 100` until 100/100 run.
func (b *bench) figureCreate() error {
	if err := b.ensureDockerWorker(); err != nil {
		return err
	}
	if err := b.ensureSwarm(); err != nil {
		return err
	}
	n := b.opt.createN
	var bor, sw []time.Duration
	for r := range b.opt.runs {
		borealis := func() error {
			key := b.jobKey(fmt.Sprintf("create%d-%d", n, r))
			j, err := loadJob(key, sleeperBody(n, ""))
			if err != nil {
				return err
			}
			t0 := time.Now()
			remove, err := b.createJob(b.dockerQueue, j, taskapi.DefaultRestartPolicy())
			if err != nil {
				return err
			}
			last, err := b.waitAllRunning(key, n, 15*time.Minute)
			if err != nil {
				return err
			}
			bor = append(bor, last.Sub(t0))
			b.logf("borealis create %d run %d: %s", n, r+1, last.Sub(t0).Round(time.Millisecond))
			remove()
			return nil
		}
		swarm := func() error {
			name := fmt.Sprintf("bench-%s-create%d-%d", b.session, n, r)
			t0 := time.Now()
			remove, err := b.swarmService(name, n, []string{"--limit-cpu", "0.1", "--limit-memory", "16M"}, "borealis/base:latest", "sleep", "100000")
			if err != nil {
				return err
			}
			last, err := b.swarmRunning(name, n, 15*time.Minute)
			if err != nil {
				return err
			}
			sw = append(sw, last.Sub(t0))
			b.logf("swarm create %d run %d: %s", n, r+1, last.Sub(t0).Round(time.Millisecond))
			remove()
			return nil
		}
		first, second := borealis, swarm
		if r%2 == 1 {
			first, second = swarm, borealis
		}
		if err := first(); err != nil {
			return err
		}
		time.Sleep(3 * time.Second)
		if err := second(); err != nil {
			return err
		}
		time.Sleep(3 * time.Second)
	}
	bm, sm := medianDur(bor), medianDur(sw)
	b.addRow(fmt.Sprintf("Create %d instances until all RUNNING (s)", n), secs(bm), "Swarm "+secs(sm), ratio(bm, sm), "≤ 1.0×", bm.Seconds() <= sm.Seconds())
	b.note("Create: %d busybox tasks `sleep 100000` (cpu 0.1, 16 MB; no ports, no health checks), Borealis `job create` (the job workflow started directly) until every instance's task is RUNNING (latest recorded RUNNING time), against `docker service create --replicas %d --limit-cpu 0.1 --limit-memory 16M borealis/base:latest sleep 100000` until %d/%d tasks run (latest task RUNNING time Swarm recorded). Runs alternate which goes first. Borealis %s; Swarm %s.",
		n, n, n, n, durs(bor), durs(sw))
	return nil
}
