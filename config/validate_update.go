package config

// Validation of how a job is updated (validate.go): its UpdateConfig and
// the SLA policy that SLA-aware updates keep.

import (
	"net/url"
	"strings"

	"github.com/borealis-dev/borealis/jobkey"
)

func validateUpdate(c checker, u UpdateConfig, instances int) {
	c.at("batch_size").between(u.BatchSize, 1, MaxInstances)
	c.at("watch_secs").secs(u.WatchSecs, 0)
	c.at("max_per_shard_failures").count(u.MaxPerShardFailures, 0)
	c.at("max_total_failures").count(u.MaxTotalFailures, 0)
	if u.MaxTotalFailures >= instances && instances >= 1 {
		c.at("max_total_failures").add("must be < instances (%d), got %d", instances, u.MaxTotalFailures)
	}
	if p := u.PulseIntervalSecs; p != nil && *p < 60 {
		c.at("pulse_interval_secs").add("must be >= 60 when set, got %d", *p)
	} else if p != nil {
		c.at("pulse_interval_secs").secs(*p, 60)
	}
	if d := u.HealthyDeadlineSecs; d != nil && *d <= 0 {
		c.at("healthy_deadline_secs").add("must be > 0 when set, got %d", *d)
	} else if d != nil {
		c.at("healthy_deadline_secs").secs(*d, 1)
	}
	if u.UpdateOrder != UpdateOrderStopFirst && u.UpdateOrder != UpdateOrderStartFirst {
		c.at("update_order").add("must be %s or %s, got %s", UpdateOrderStopFirst, UpdateOrderStartFirst, jobkey.Quote(u.UpdateOrder))
	}
	if s := u.UpdateStrategy; s != nil {
		sc := c.at("update_strategy")
		if u.WaitForBatchCompletion {
			sc.add("set either update_strategy or wait_for_batch_completion, not both")
		}
		if u.BatchSize > 1 {
			// Aurora's client refuses it too: "Ambiguous update configuration.
			// Cannot combine update strategy with batch size."
			c.add("batch_size and update_strategy are both set; set the batch size inside update_strategy " +
				"and leave batch_size at 1 (Aurora cannot combine update strategy with batch size)")
		}
		n := 0
		if s.Queue != nil {
			n++
			sc.at("queue").at("batch_size").between(s.Queue.BatchSize, 1, MaxInstances)
		}
		if s.Batch != nil {
			n++
			sc.at("batch").at("batch_size").between(s.Batch.BatchSize, 1, MaxInstances)
		}
		if v := s.VariableBatch; v != nil {
			n++
			vc := sc.at("variable_batch").at("batch_sizes")
			if len(v.BatchSizes) == 0 {
				vc.add("must list at least one batch size")
			}
			for i, b := range v.BatchSizes {
				vc.idx(i).between(b, 1, MaxInstances)
			}
		}
		if n != 1 {
			sc.add("set exactly one of queue, batch and variable_batch")
		}
	}
}

// errSlaAwareWithoutPolicy is Aurora's scheduler's answer to an SLA-aware
// update of a job without an SLA policy.
const errSlaAwareWithoutPolicy = "slaAware is true, but no task slaPolicy is specified."

// validateSlaPolicy checks an SLA policy as Aurora's scheduler does: a count
// or percentage SLA must let at least one of the job's instances be down
// (Aurora refuses one that "will not allow any instances to be killed").
func validateSlaPolicy(c checker, p *SlaPolicy, instances int) {
	n := 0
	if cp := p.Count; cp != nil {
		n++
		cc := c.at("count")
		if cp.Count < 1 {
			cc.at("count").min(cp.Count, 1)
		} else if instances >= 1 && cp.Count >= instances {
			cc.at("count").add("must be < instances (%d) so that an instance may be down, got %d", instances, cp.Count)
		} else if cp.Count > MaxCount {
			cc.at("count").add("must be at most %d, got %d", MaxCount, cp.Count)
		}
		cc.at("duration_secs").secs(cp.DurationSecs, 0)
	}
	if pp := p.Percentage; pp != nil {
		n++
		pc := c.at("percentage")
		switch pct := pp.Percentage; {
		case !pc.at("percentage").finite(pct):
		case !(pct > 0 && pct < 100):
			pc.at("percentage").add("must be > 0 and < 100, got %v", pct)
		case instances >= 1 && float64(instances)-float64(instances)*pct/100 < 1-1e-9: // 1e-9: float rounding
			pc.at("percentage").add("must be at most %v with %d instances so that an instance may be down, got %v",
				float64(instances-1)/float64(instances)*100, instances, pct)
		}
		pc.at("duration_secs").secs(pp.DurationSecs, 0)
	}
	if cp := p.Coordinator; cp != nil {
		n++
		cc := c.at("coordinator")
		if cc.at("coordinator_url").required(cp.CoordinatorURL) {
			u, err := url.Parse(strings.TrimSpace(cp.CoordinatorURL))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				cc.at("coordinator_url").add("%s must be an http or https URL", jobkey.Quote(cp.CoordinatorURL))
			}
		}
		cc.at("status_key").required(cp.StatusKey)
	}
	if n != 1 {
		c.add("set exactly one of count, percentage and coordinator")
	}
}
