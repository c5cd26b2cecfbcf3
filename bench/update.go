package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// The rolling-update policy both sides get: batch (parallelism) 5, stop
// first, HTTP health checks every second, healthy after 2 consecutive
// successes (Borealis) or 1 after the first interval (Docker, whose first
// check runs an interval after the start), watch 0.
const (
	healthInterval  = 1 // s
	minSuccesses    = 2
	initialInterval = 2 // s: one more ignored attempt than 1 would give, so a slow first start on a busy machine does not fail the update; it does not delay a healthy task
)

// demoBody is the demo service: n instances with health checks, running version.
func demoBody(n, version, batch int) string {
	return fmt.Sprintf(`    service: true
    instances: %d
    container: {docker: {image: 'borealis/demo:latest'}}
    health_check_config: {initial_interval_secs: %d, interval_secs: %d, min_consecutive_successes: %d}
    update_config: {batch_size: %d, watch_secs: 0}
    task:
      processes:
        - name: demo
          cmdline: '/usr/local/bin/borealis-demo -port {{thermos.ports[http]}} -health-port {{thermos.ports[health]}} -version %d'
      resources: {cpu: 1.0, ram: 64MB, disk: 16MB}
`, n, initialInterval, healthInterval, minSuccesses, batch, version)
}

// swarmUpdateFlags is the same policy for `docker service create`.
func swarmUpdateFlags(batch int) []string {
	return []string{
		"--update-parallelism", itoa(batch), "--update-delay", "0s", "--update-order", "stop-first",
		"--update-monitor", swarmMonitor, "--update-failure-action", "pause",
		"--health-cmd", "wget -q -O- http://127.0.0.1:8081/health",
		"--health-interval", fmt.Sprintf("%ds", healthInterval), "--health-timeout", itoa(swarmHealthTimeout) + "s", "--health-retries", itoa(swarmHealthRetries),
		"--health-start-period", fmt.Sprintf("%ds", initialInterval),
		"--stop-grace-period", "10s", "--limit-cpu", "1", "--limit-memory", "64M",
	}
}

// Swarm's health checks run `wget` through `docker exec`, which takes
// seconds on a loaded 2-CPU engine: with a 1 s timeout and 1 retry Swarm
// killed its own healthy tasks and never converged. A 5 s timeout and 3
// retries give it that margin. In Swarm's favour: a task is healthy at its
// first success whatever these are, so they only spare it false failures.
const (
	swarmHealthTimeout = 5 // s
	swarmHealthRetries = 3
)

// swarmMonitor is Swarm's watch time: the smallest it takes (0 means its
// default, 5 s), as Borealis's watch_secs is 0.
const swarmMonitor = "1ms"

// updateResult is one size's rolling-update times.
type updateResult struct {
	n               int
	borealis, swarm []time.Duration
	breakdown       string // of Borealis's last run
	swarmErr        error  // Swarm's update failed every attempt of a run
}

// swarmFigure is Swarm's median, or "failed" when its update kept failing.
func (r updateResult) swarmFigure() (time.Duration, string) {
	if r.swarmErr != nil || len(r.swarm) == 0 {
		return 0, "Swarm failed"
	}
	m := medianDur(r.swarm)
	return m, "Swarm " + secs(m)
}

// updateSeries measures runs rolling updates of n demo instances, batch 5,
// on Borealis and on Swarm, one system after the other so neither loads the
// machine while the other is measured.
func (b *bench) updateSeries(n int) (updateResult, error) {
	res := updateResult{n: n}
	batch := b.opt.batch
	if err := b.ensureDockerWorker(); err != nil {
		return res, err
	}
	if err := b.ensureSwarm(); err != nil {
		return res, err
	}

	// Borealis: one job, updated to a new version each run.
	key := b.jobKey(fmt.Sprintf("update%d", n))
	j, err := loadJob(key, demoBody(n, 1, batch))
	if err != nil {
		return res, err
	}
	remove, err := b.createJob(b.dockerQueue, j, taskapi.DefaultRestartPolicy())
	if err != nil {
		return res, err
	}
	if _, err := b.waitAllRunning(key, n, 10*time.Minute); err != nil {
		return res, err
	}
	version := 1
	for r := range b.opt.runs {
		var d time.Duration
		var info workflows.UpdateInfo
		err := b.retry(fmt.Sprintf("borealis update n=%d run %d", n, r+1), func() error {
			time.Sleep(3 * time.Second) // the previous update's old containers are removed meanwhile
			version++
			next, err := loadJob(key, demoBody(n, version, batch))
			if err != nil {
				return err
			}
			t0 := time.Now()
			id, err := b.startUpdate(next, newID())
			if err != nil {
				return err
			}
			if info, err = b.waitUpdate(id, 15*time.Minute); err != nil {
				return err
			}
			d = endedAt(info).Sub(t0)
			return nil
		})
		if err != nil {
			return res, err
		}
		res.borealis = append(res.borealis, d)
		b.logf("borealis update n=%d run %d: %s", n, r+1, d.Round(time.Millisecond))
		if r == b.opt.runs-1 {
			res.breakdown = b.breakdown(key, n, info)
			b.logf("borealis update n=%d: per instance: %s", n, res.breakdown)
		}
	}
	remove()

	// Swarm: one service, its args changed each run.
	name := fmt.Sprintf("bench-%s-update%d", b.session, n)
	args := func(v int) []string {
		return []string{"-port", "8080", "-health-port", "8081", "-version", itoa(v)}
	}
	removeSvc, err := b.swarmService(name, n, swarmUpdateFlags(batch), "borealis/demo:latest", args(1)...)
	if err != nil {
		return res, err
	}
	if _, err := b.swarmRunning(name, n, 10*time.Minute); err != nil {
		return res, err
	}
	version = 1
	for r := range b.opt.runs {
		var d time.Duration
		err := b.retry(fmt.Sprintf("swarm update n=%d run %d", n, r+1), func() error {
			time.Sleep(3 * time.Second)
			version++
			start, end, err := b.swarmUpdate(name, 15*time.Minute, "--args", fmt.Sprintf("-port 8080 -health-port 8081 -version %d", version))
			d = end.Sub(start)
			return err
		})
		if err != nil {
			// Swarm's health checks (an exec each) time out on a loaded
			// machine; Borealis's figures stand without it.
			res.swarmErr = err
			b.note("Swarm's update of %d instances failed 3 times in run %d (%s); its figure is left out.", n, r+1, oneLine(err))
			break
		}
		res.swarm = append(res.swarm, d)
		b.logf("swarm update n=%d run %d: %s", n, r+1, d.Round(time.Millisecond))
	}
	removeSvc()
	return res, nil
}

// lowerBound is the time no orchestrator can beat on this engine, from
// measured container start and stop times (medians of 5).
type lowerBound struct {
	start, stop time.Duration
}

func (lb lowerBound) of(n, batch int) time.Duration {
	batches := (n + batch - 1) / batch
	health := time.Duration(minSuccesses-1) * healthInterval * time.Second
	return time.Duration(batches) * (lb.stop + lb.start + health)
}

func (lb lowerBound) formula(n, batch int) string {
	batches := (n + batch - 1) / batch
	return fmt.Sprintf("lower bound = batches × (stop + create&start + (min_consecutive_successes − 1) × interval) = %d × (%s + %s + %d × %d s) = %s",
		batches, secs(lb.stop), secs(lb.start), minSuccesses-1, healthInterval, secs(lb.of(n, batch)))
}

func (b *bench) measureLowerBound() (lowerBound, error) {
	if b.lb != nil {
		return *b.lb, nil
	}
	start, stop, err := b.measureContainer(5)
	if err != nil {
		return lowerBound{}, err
	}
	lb := lowerBound{start: medianDur(start), stop: medianDur(stop)}
	b.logf("demo container: create+start %s, stop %s (medians of 5)", lb.start.Round(time.Millisecond), lb.stop.Round(time.Millisecond))
	b.lb = &lb
	return lb, nil
}

func (b *bench) updateFor(n int) (updateResult, error) {
	if r, ok := b.updates[n]; ok {
		return r, nil
	}
	r, err := b.updateSeries(n)
	if err != nil {
		return r, err
	}
	if b.updates == nil {
		b.updates = map[int]updateResult{}
	}
	b.updates[n] = r
	return r, nil
}

// figureUpdate: rolling update of 20 instances against Swarm and the lower bound.
func (b *bench) figureUpdate() error {
	n, batch := b.opt.updateN, b.opt.batch
	lb, err := b.measureLowerBound()
	if err != nil {
		return err
	}
	r, err := b.updateFor(n)
	if err != nil {
		return err
	}
	bm := medianDur(r.borealis)
	sm, speer := r.swarmFigure()
	fig := fmt.Sprintf("Rolling update, %d instances, batch %d (s)", n, batch)
	b.addRow(fig+" vs Swarm", secs(bm), speer, ratio(bm, sm), "≤ 0.6×", sm > 0 && bm.Seconds() <= 0.6*sm.Seconds())
	lbv := lb.of(n, batch)
	b.addRow(fig+" vs lower bound", secs(bm), "bound "+secs(lbv), ratio(bm, lbv), "≤ 1.2×", bm.Seconds() <= 1.2*lbv.Seconds())
	b.note("Rolling update: demo HTTP service, stop-first, batch %d, HTTP health checks every %d s; Borealis min_consecutive_successes %d, initial_interval_secs %d, watch_secs 0; Swarm `--update-parallelism %d --update-delay 0s --update-order stop-first --update-monitor %s --health-interval %ds --health-timeout %ds --health-retries %d --health-start-period %ds` (timeout and retries in Swarm's favour: exec checks are slow here), update by changing `--args` (the version). Timed from the update request to ROLLED_FORWARD (Borealis's recorded time) and to Swarm's recorded UpdateStatus.CompletedAt. Runs: Borealis %s; Swarm %s.",
		batch, healthInterval, minSuccesses, initialInterval, batch, swarmMonitor, healthInterval, swarmHealthTimeout, swarmHealthRetries, initialInterval, durs(r.borealis), durs(r.swarm))
	b.note("Where one instance's replacement spends its time in Borealis's update (medians over the %d instances of the last run, from the recorded task events): %s.", n, r.breakdown)
	b.note("%s (create&start and stop of one demo container through the Docker API, medians of 5; one health interval because the first check passes at once when the process listens).", lb.formula(n, batch))
	return nil
}

// figureScaling: update time against the number of instances, batch 5.
func (b *bench) figureScaling() error {
	lb, err := b.measureLowerBound()
	if err != nil {
		return err
	}
	for _, n := range b.opt.scalingNs {
		r, err := b.updateFor(n)
		if err != nil {
			return err
		}
		bm := medianDur(r.borealis)
		sm, speer := r.swarmFigure()
		b.addRow(fmt.Sprintf("Scaling: update of %d instances, batch %d (s)", n, b.opt.batch), secs(bm), speer+", bound "+secs(lb.of(n, b.opt.batch)), ratio(bm, sm), "plot", true)
		b.scaling = append(b.scaling, scalePoint{n: n, borealis: bm.Seconds(), swarm: sm.Seconds(), bound: lb.of(n, b.opt.batch).Seconds()})
	}
	return nil
}

// breakdown says where the time of one instance's replacement went in the
// update info (medians over the instances): from INSTANCE_UPDATING to the
// old task stopping (RESTARTING), that to its end (the stop), its end to the new task
// ASSIGNED, ASSIGNED to STARTING (container create and start), STARTING to
// RUNNING (health checks), RUNNING to INSTANCE_UPDATED.
func (b *bench) breakdown(key string, n int, info workflows.UpdateInfo) string {
	updating, updated := map[int]int64{}, map[int]int64{}
	for _, e := range info.InstanceEvents {
		switch e.Action {
		case workflows.InstanceUpdating:
			updating[e.InstanceID] = e.Timestamp
		case workflows.InstanceUpdated:
			updated[e.InstanceID] = e.Timestamp
		}
	}
	// at is the first time the task was in one of the states.
	at := func(t *workflows.TaskInfo, states ...workflows.TaskStatus) int64 {
		for _, e := range t.TaskEvents {
			if slices.Contains(states, e.Status) {
				return e.Timestamp
			}
		}
		return 0
	}
	names := []string{"request→stopping", "stop (RESTARTING or KILLING→KILLED)", "KILLED→ASSIGNED", "create+start (ASSIGNED→STARTING)", "health (STARTING→RUNNING)", "RUNNING→INSTANCE_UPDATED"}
	parts := make([][]float64, len(names))
	firstFailed, measured := 0, 0
	var firstReasons []string
	for i := range n {
		st, err := b.instanceStatus(b.ctx, key, i)
		if err != nil || st.Active == nil || len(st.Inactive) == 0 {
			continue
		}
		old, cur := &st.Inactive[len(st.Inactive)-1], st.Active
		if h := cur.Health; h != nil && len(h.History.Results) > 0 && h.History.Total == len(h.History.Results) {
			measured++
			if first := h.History.Results[0]; !first.Healthy {
				firstFailed++
				firstReasons = append(firstReasons, fmt.Sprintf("%s after %d ms", first.Reason, first.Time.UnixMilli()-at(cur, workflows.StatusStarting)))
			}
		}

		ts := []int64{updating[i], at(old, workflows.StatusRestarting, workflows.StatusKilling), at(old, workflows.StatusKilled, workflows.StatusFinished, workflows.StatusFailed),
			at(cur, workflows.StatusAssigned), at(cur, workflows.StatusStarting), at(cur, workflows.StatusRunning), updated[i]}
		for k := range names {
			if ts[k] > 0 && ts[k+1] > 0 {
				parts[k] = append(parts[k], float64(ts[k+1]-ts[k])/1000)
			}
		}
	}
	var s []string
	for k, name := range names {
		s = append(s, fmt.Sprintf("%s %.2f s (max %.2f)", name, median(parts[k]), maxOf(parts[k])))
	}
	out := strings.Join(s, ", ")
	if measured > 0 {
		out += fmt.Sprintf("; first health check failed for %d of %d instances", firstFailed, measured)
		if len(firstReasons) > 0 {
			out += " (" + strings.Join(firstReasons, "; ") + ")"
		}
	}
	return out
}

// maxOf is the largest of xs (0 for none).
func maxOf(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// retry runs f up to 3 times: on a busy machine a health check can time
// out, which fails an update on either side (and says nothing about its
// speed). Every retry is logged and noted in the report.
func (b *bench) retry(what string, f func() error) error {
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = f(); err == nil || b.ctx.Err() != nil {
			return err
		}
		b.logf("%s, attempt %d failed (retrying): %v", what, attempt, err)
		b.retries = append(b.retries, fmt.Sprintf("%s, attempt %d: %s", what, attempt, oneLine(err)))
	}
	return err
}

func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
