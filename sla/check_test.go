package sla

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/borealis-dev/borealis/config"
)

// now is the fixed clock of the check tests.
var now = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// testSettings are SlaManagerTest's: -min_required_instances_for_sla_check
// 2, -sla_aware_kill_non_prod false.
var testSettings = Settings{CheckInterval: time.Second, MinInstances: 2}

// Aurora's policies in SlaManagerTest.
var (
	countPolicy      = countSLA(2, 1800)
	percentagePolicy = percentageSLA(66, 1800)
)

func countSLA(count, secs int) config.SlaPolicy {
	return config.SlaPolicy{Count: &config.CountSlaPolicy{Count: count, DurationSecs: secs}}
}

func percentageSLA(p float64, secs int) config.SlaPolicy {
	return config.SlaPolicy{Percentage: &config.PercentageSlaPolicy{Percentage: p, DurationSecs: secs}}
}

// runningFor is an instance RUNNING since d before now. SlaManagerTest's
// makeTask(id, RUNNING) is RUNNING since epoch 1000 ms: runningFor(hour)
// stands for it, as it is well over the policies' 1800 s.
func runningFor(id int, d time.Duration) Instance {
	return Instance{ID: id, Active: true, Placed: true, Running: true, RunningSince: now.Add(-d)}
}

// old is SlaManagerTest's makeTask(id, RUNNING); young its
// makeTask(id, System.currentTimeMillis()), RUNNING since now.
func old(id int) Instance   { return runningFor(id, time.Hour) }
func young(id int) Instance { return runningFor(id, 0) }

// pending is an instance whose task waits for a container (PENDING or
// THROTTLED): active, not placed.
func pending(id int) Instance { return Instance{ID: id, Active: true} }

// placed is an instance whose task has a container but is not RUNNING yet
// (ASSIGNED, STARTING).
func placed(id int) Instance { return Instance{ID: id, Active: true, Placed: true} }

// ended is an instance whose task ended (or that has none).
func ended(id int) Instance { return Instance{ID: id} }

func TestCheck(t *testing.T) {
	nonProd := testSettings
	nonProd.NonProduction = true
	tests := []struct {
		name       string
		policy     config.SlaPolicy
		instances  []Instance
		id         int
		going      []int
		production bool
		settings   Settings
		allowed    bool
		reason     string // a part of the verdict's reason
	}{
		// SlaManagerTest.testCheckCountSlaPassesThenActs
		{
			name: "count passes", policy: countPolicy, production: true,
			instances: []Instance{old(1), old(2), old(3)}, id: 1,
			allowed: true, reason: "2 of 3 active instances RUNNING for over 30m0s without instance 1; count 2 needed",
		},
		// SlaManagerTest.testCheckCountSlaOverridesAggressiveCountPassesThenActs
		{
			name: "aggressive count eased, passes", policy: countSLA(3, 1800), production: true,
			instances: []Instance{old(1), old(2), old(3)}, id: 1,
			allowed: true, reason: "count 2 needed",
		},
		// SlaManagerTest.testCheckCountSlaOverridesAggressiveCountFailsAct
		// (Aurora does not act: the work is not called.)
		{
			name: "aggressive count eased, fails", policy: countSLA(3, 1800), production: true,
			instances: []Instance{old(1), old(2), pending(3)}, id: 1,
			allowed: false, reason: "1 of 3 active instances RUNNING for over 30m0s without instance 1; count 2 needed",
		},
		// SlaManagerTest.testCheckCountSlaFailsDoesNotAct
		{
			name: "count fails", policy: countPolicy, production: true,
			instances: []Instance{old(1), old(2), pending(3)}, id: 1,
			allowed: false, reason: "count 2 needed",
		},
		// SlaManagerTest.testCheckCountSlaFailsDueToMinRequiredInstancesActs
		{
			name: "count skipped: too few instances", policy: countSLA(0, 0), production: true,
			instances: []Instance{old(1)}, id: 1,
			allowed: true, reason: "1 active instances, fewer than sla.min_instances 2",
		},
		// SlaManagerTest.testCheckCountSlaFailsDueToTierActs
		{
			name: "count skipped: not production", policy: countSLA(0, 0), production: false,
			instances: []Instance{old(1)}, id: 1,
			allowed: true, reason: "not a production job",
		},
		// SlaManagerTest.testCheckCountSlaFailsDueToRunningTimeDoesNotAct
		{
			name: "count fails: running too shortly", policy: countPolicy, production: true,
			instances: []Instance{old(1), old(2), young(3)}, id: 1,
			allowed: false, reason: "1 of 3",
		},
		// SlaManagerTest.testCheckCountSlaCheckForceAct: Aurora forces the
		// kill of a task that is not on an agent (SlaKillController:
		// !SLAVE_ASSIGNED_STATES.contains(status)), here Placed false.
		{
			name: "count forced: task pending", policy: countPolicy, production: true,
			instances: []Instance{pending(1), young(2), young(3)}, id: 1,
			allowed: true, reason: "instance 1 has no task placed",
		},
		// SlaManagerTest.testCheckPercentageSlaPassesThenActs
		{
			name: "percentage passes", policy: percentagePolicy, production: true,
			instances: []Instance{old(1), old(2), old(3)}, id: 1,
			allowed: true, reason: "66.67% of 3 active instances RUNNING for over 30m0s without instance 1; 66% needed",
		},
		// SlaManagerTest.testCheckPercentageSlaWithAggressivePercentagePassesThenActs
		{
			name: "aggressive percentage eased, passes", policy: percentageSLA(67, 1800), production: true,
			instances: []Instance{old(1), old(2), old(3)}, id: 1,
			allowed: true, reason: "66.67% needed",
		},
		// SlaManagerTest.testCheckPercentageSlaWithAggressivePercentageFailsAct
		// (Aurora does not act: the work is not called.)
		{
			name: "aggressive percentage eased, fails", policy: percentageSLA(67, 1800), production: true,
			instances: []Instance{old(1), old(2), pending(3)}, id: 1,
			allowed: false, reason: "33.33% of 3 active instances",
		},
		// SlaManagerTest.testCheckPercentageSlaFailsDoesNotAct
		{
			name: "percentage fails", policy: percentagePolicy, production: true,
			instances: []Instance{old(1), old(2), pending(3)}, id: 1,
			allowed: false, reason: "66% needed",
		},
		// SlaManagerTest.testCheckPercentageSlaFailsDueToMinRequiredInstancesActs
		{
			name: "percentage skipped: too few instances", policy: percentageSLA(0, 0), production: true,
			instances: []Instance{old(1)}, id: 1,
			allowed: true, reason: "fewer than sla.min_instances 2",
		},
		// SlaManagerTest.testCheckPercentageSlaFailsDueToTierActs
		{
			name: "percentage skipped: not production", policy: percentageSLA(0, 0), production: false,
			instances: []Instance{old(1)}, id: 1,
			allowed: true, reason: "not a production job",
		},
		// SlaManagerTest.testCheckPercentageSlaFailsDueToRunningTimeDoesNotAct
		{
			name: "percentage fails: running too shortly", policy: percentagePolicy, production: true,
			instances: []Instance{old(1), old(2), young(3)}, id: 1,
			allowed: false, reason: "33.33% of 3",
		},
		// SlaManagerTest.testCheckPercentageSlaCheckForceAct
		{
			name: "percentage forced: task throttled", policy: percentagePolicy, production: true,
			instances: []Instance{pending(1)}, id: 1,
			allowed: true, reason: "instance 1 has no task placed",
		},

		// Beyond SlaManagerTest.

		// meetsSLADuration: now - runningSince > duration, strictly.
		{
			name: "running exactly the duration is not up", policy: countPolicy, production: true,
			instances: []Instance{old(1), runningFor(2, 1800*time.Second), old(3)}, id: 1,
			allowed: false, reason: "1 of 3",
		},
		{
			name: "running a millisecond over the duration is up", policy: countPolicy, production: true,
			instances: []Instance{old(1), runningFor(2, 1800*time.Second+time.Millisecond), old(3)}, id: 1,
			allowed: true, reason: "2 of 3",
		},
		// meetsSLADuration: a task without a RUNNING event is not up.
		{
			name: "running without a RUNNING event is not up", policy: countSLA(2, 0), production: true,
			instances: []Instance{old(1), {ID: 2, Active: true, Placed: true, Running: true}, old(3)}, id: 1,
			allowed: false, reason: "1 of 3",
		},
		// A placed task that is not RUNNING (ASSIGNED, STARTING) counts in
		// the total, not as up.
		{
			name: "placed but not running is not up", policy: countPolicy, production: true,
			instances: []Instance{old(1), placed(2), old(3)}, id: 1,
			allowed: false, reason: "1 of 3",
		},
		// The instance checked is never up: two instances, count 1.
		{
			name: "the instance checked is not up", policy: countSLA(1, 1800), production: true,
			instances: []Instance{old(1), pending(2)}, id: 1,
			allowed: false, reason: "0 of 2 active instances RUNNING for over 30m0s without instance 1; count 1 needed",
		},
		{
			name: "the only RUNNING instance is the one checked", policy: countSLA(1, 1800), production: true,
			instances: []Instance{pending(1), old(2)}, id: 2,
			allowed: false, reason: "0 of 2",
		},
		// Instances the update let go are not up, whatever their status.
		{
			name: "going instances are not up", policy: countPolicy, production: true,
			instances: []Instance{old(1), old(2), old(3)}, id: 1, going: []int{3},
			allowed: false, reason: "1 of 3 active instances",
		},
		// ... but they count in the total: 4 active, count 3 is not eased
		// (it would be eased to 2 if the total were 3) and only 2 are up.
		{
			name: "going instances count in the total", policy: countSLA(3, 1800), production: true,
			instances: []Instance{old(1), old(2), old(3), old(4)}, id: 1, going: []int{2},
			allowed: false, reason: "2 of 4 active instances RUNNING for over 30m0s without instance 1; count 3 needed",
		},
		{
			name: "going instances count in the total, percentage", policy: percentageSLA(50, 1800), production: true,
			instances: []Instance{old(1), old(2), old(3), old(4)}, id: 1, going: []int{2},
			allowed: true, reason: "50% of 4 active instances",
		},
		// Ended instances are not active: not in the total.
		{
			name: "ended instances are not in the total", policy: countSLA(3, 1800), production: true,
			instances: []Instance{old(1), old(2), old(3), ended(4)}, id: 1,
			allowed: true, reason: "2 of 3 active instances",
		},
		// skipSla: numActive < minRequiredInstances, so exactly that many
		// are checked.
		{
			name: "exactly sla.min_instances are checked", policy: countSLA(1, 1800), production: true,
			instances: []Instance{old(1), young(2)}, id: 1,
			allowed: false, reason: "0 of 2",
		},
		// skipSla: -sla_aware_kill_non_prod checks non-production jobs too.
		{
			name: "non-production checked when set", policy: countPolicy, production: false, settings: nonProd,
			instances: []Instance{old(1), old(2), pending(3)}, id: 1,
			allowed: false, reason: "count 2 needed",
		},
		{
			name: "non-production checked when set, too few instances", policy: countPolicy, production: false, settings: nonProd,
			instances: []Instance{old(1)}, id: 1,
			allowed: true, reason: "fewer than sla.min_instances",
		},
		// An instance that is not the job's, or has no active task, has
		// nothing to stop.
		{
			name: "unknown instance", policy: countPolicy, production: true,
			instances: []Instance{old(1), old(2)}, id: 7,
			allowed: true, reason: "instance 7 is not running",
		},
		{
			name: "ended instance", policy: countPolicy, production: true,
			instances: []Instance{ended(1), pending(2), pending(3)}, id: 1,
			allowed: true, reason: "instance 1 has no task placed",
		},
		// The forced kill comes before the tier and the size checks.
		{
			name: "forced before the tier check", policy: countPolicy, production: false,
			instances: []Instance{pending(1)}, id: 1,
			allowed: true, reason: "no task placed",
		},
		// A single instance: the policy eases to let it go (count 0).
		{
			name: "one instance, count eased to 0", policy: countSLA(1, 1800), production: true, settings: Settings{MinInstances: 1},
			instances: []Instance{old(0)}, id: 0,
			allowed: true, reason: "count 0 needed",
		},
		{
			name: "one instance, percentage eased to 0", policy: percentageSLA(100, 1800), production: true, settings: Settings{MinInstances: 1},
			instances: []Instance{old(0)}, id: 0,
			allowed: true, reason: "0% needed",
		},
		// 90% of 10 needs 9 up (Aurora's float arithmetic eases it to
		// 9/10, the same).
		{
			name: "percentage of 10 needs 9 up", policy: percentageSLA(90, 60), production: true,
			instances: []Instance{old(0), old(1), old(2), old(3), old(4), old(5), old(6), old(7), old(8), young(9)}, id: 0,
			allowed: false, reason: "80% of 10 active instances RUNNING for over 1m0s without instance 0; 90% needed",
		},
		// 80% of 10 lets two go: 8 up is enough.
		{
			name: "percentage met exactly", policy: percentageSLA(80, 60), production: true,
			instances: []Instance{old(0), old(1), old(2), old(3), old(4), old(5), old(6), old(7), old(8), young(9)}, id: 0,
			allowed: true, reason: "80% needed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.settings
			if s == (Settings{}) {
				s = testSettings
			}
			v := Check(tt.policy, tt.instances, tt.id, tt.going, tt.production, now, s)
			assert.Equal(t, tt.allowed, v.Allowed, v.Reason)
			assert.Contains(t, v.Reason, tt.reason)
		})
	}
}

// Check does not change what it is given.
func TestCheckKeepsInput(t *testing.T) {
	instances := []Instance{old(1), old(2), pending(3)}
	going := []int{2}
	Check(countPolicy, instances, 1, going, true, now, testSettings)
	assert.Equal(t, []Instance{old(1), old(2), pending(3)}, instances)
	assert.Equal(t, []int{2}, going)
}

func TestPrecheck(t *testing.T) {
	tests := []struct {
		name      string
		instances []Instance
		id        int
		done      bool
		reason    string
	}{
		// SlaManagerTest.testCheck{Count,Percentage,Coordinator}SlaCheckForceAct:
		// a task not on an agent goes at once, whatever the policy.
		{"pending goes at once", []Instance{pending(1), old(2)}, 1, true, "instance 1 has no task placed: no SLA check"},
		{"ended goes at once", []Instance{ended(1), old(2)}, 1, true, "instance 1 has no task placed: no SLA check"},
		{"unknown goes at once", []Instance{old(2)}, 1, true, "instance 1 is not running: no SLA check"},
		{"no instances", nil, 0, true, "instance 0 is not running: no SLA check"},
		{"running is checked", []Instance{old(1), pending(2)}, 1, false, ""},
		{"young is checked", []Instance{young(1)}, 1, false, ""},
		{"placed is checked", []Instance{placed(1)}, 1, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, done := precheck(tt.instances, tt.id)
			assert.Equal(t, tt.done, done)
			if done {
				assert.True(t, v.Allowed)
				assert.Equal(t, tt.reason, v.Reason)
			}
		})
	}
}

// Without a count or percentage policy, Check has nothing to count (Aurora
// throws; the coordinator is asked by the activity instead).
func TestCheckWithoutCountOrPercentage(t *testing.T) {
	v := Check(config.SlaPolicy{}, []Instance{old(1), old(2)}, 1, nil, true, now, testSettings)
	assert.True(t, v.Allowed)
	assert.Equal(t, "no count or percentage policy", v.Reason)
}
