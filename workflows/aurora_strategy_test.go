package workflows_test

// Ports of Apache Aurora's pure updater tests (src/test/java/org/apache/
// aurora/scheduler/updater/): the update strategies, JobDiff, UpdateFactory's
// instance sets and ordering, and what JobUpdateStateMachine says about
// active and final states. They need no worker: they call
// workflows.NewStrategy, workflows.PlanUpdate and workflows.SameTask, and
// config validation, directly. docs/aurora-conformance.md maps every Aurora
// test method to the test that ports it.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/workflows"
)

// queueCfg, batchCfg and varBatchCfg are update configs with one strategy
// each, as Aurora's QueueStrategy, BatchStrategy and VariableBatchStrategy.
func queueCfg(size int) config.UpdateConfig {
	u := config.DefaultUpdateConfig()
	u.UpdateStrategy = &config.UpdateStrategy{Queue: &config.QueueUpdateStrategy{BatchSize: size}}
	return u
}

func batchCfg(size int) config.UpdateConfig {
	u := config.DefaultUpdateConfig()
	u.UpdateStrategy = &config.UpdateStrategy{Batch: &config.BatchUpdateStrategy{BatchSize: size}}
	return u
}

func varBatchCfg(sizes ...int) config.UpdateConfig {
	u := config.DefaultUpdateConfig()
	u.UpdateStrategy = &config.UpdateStrategy{VariableBatch: &config.VariableBatchUpdateStrategy{BatchSizes: sizes}}
	return u
}

// insts is a list of instance ids, to keep the tables short.
func insts(i ...int) []int { return i }

// strategyCall is one getNextGroup call of an Aurora strategy test: the idle
// instances (in the order the update goes), how many are in flight, and the
// group that may start.
type strategyCall struct {
	idle   []int
	active int
	want   []int
}

func TestAuroraStrategyNextGroup(t *testing.T) {
	tests := []struct {
		name    string // the Aurora test ported
		cfg     config.UpdateConfig
		forward bool
		// total is how many instances the direction acts on; Aurora's
		// VariableBatchStrategy takes it from the idle set of its first call.
		total int
		calls []strategyCall
	}{
		// QueueStrategyTest.testNoWorkToDo
		{"QueueStrategyTest.testNoWorkToDo", queueCfg(2), true, 2, []strategyCall{
			{nil, 2, nil},
			{nil, 0, nil},
		}},
		// QueueStrategyTest.testFillsQueue
		{"QueueStrategyTest.testFillsQueue", queueCfg(3), true, 6, []strategyCall{
			{insts(0, 1, 2, 3, 4, 5), 0, insts(0, 1, 2)},
			{insts(2, 3, 4), 2, insts(2)},
		}},
		// QueueStrategyTest.testNonContiguous
		{"QueueStrategyTest.testNonContiguous", queueCfg(3), true, 5, []strategyCall{
			{insts(0, 1, 3, 5, 8), 0, insts(0, 1, 3)},
			{insts(5, 8), 1, insts(5, 8)},
		}},
		// QueueStrategyTest.testExhausted
		{"QueueStrategyTest.testExhausted", queueCfg(3), true, 3, []strategyCall{
			{insts(0, 1, 2), 0, insts(0, 1, 2)},
			{insts(0, 1), 0, insts(0, 1)},
			{insts(1), 0, insts(1)},
		}},
		// QueueStrategyTest.testActiveTooLarge
		{"QueueStrategyTest.testActiveTooLarge", queueCfg(2), true, 3, []strategyCall{
			{insts(0, 1, 2), 3, nil},
		}},

		// BatchStrategyTest.testNoWorkToDo
		{"BatchStrategyTest.testNoWorkToDo", batchCfg(2), true, 2, []strategyCall{
			{nil, 2, nil},
			{nil, 0, nil},
		}},
		// BatchStrategyTest.testWaitForBatchCompletion
		{"BatchStrategyTest.testWaitForBatchCompletion", batchCfg(2), true, 4, []strategyCall{
			{insts(2, 3), 2, nil},
			{insts(2, 3), 1, nil},
			{insts(2, 3), 0, insts(2, 3)},
		}},
		// BatchStrategyTest.testBatchesIgnoreInstanceValues
		{"BatchStrategyTest.testBatchesIgnoreInstanceValues", batchCfg(2), true, 4, []strategyCall{
			{insts(0, 1, 2, 3), 0, insts(0, 1)},
			{insts(1, 2, 3), 0, insts(1, 2)},
			{insts(2, 3), 0, insts(2, 3)},
			{insts(3, 8), 0, insts(3, 8)},
		}},
		// BatchStrategyTest.testExhausted
		{"BatchStrategyTest.testExhausted", batchCfg(3), true, 3, []strategyCall{
			{insts(0, 1, 2), 0, insts(0, 1, 2)},
			{insts(0, 1), 0, insts(0, 1)},
			{insts(1), 0, insts(1)},
		}},
		// BatchStrategyTest.testActiveTooLarge
		{"BatchStrategyTest.testActiveTooLarge", batchCfg(2), true, 3, []strategyCall{
			{insts(0, 1, 2), 3, nil},
		}},

		// VariableBatchStrategyTest.testNoWorkToDo
		{"VariableBatchStrategyTest.testNoWorkToDo", varBatchCfg(2), true, 2, []strategyCall{
			{nil, 2, nil},
			{nil, 0, nil},
		}},
		// VariableBatchStrategyTest.testVariableBatchCompletion
		{"VariableBatchStrategyTest.testVariableBatchCompletion", varBatchCfg(2), true, 2, []strategyCall{
			{insts(2, 3), 2, nil},
			{insts(2, 3), 1, nil},
			{insts(2, 3), 0, insts(2, 3)},
		}},
		// VariableBatchStrategyTest.testBatchesIgnoreInstanceValues
		{"VariableBatchStrategyTest.testBatchesIgnoreInstanceValues", varBatchCfg(2), true, 4, []strategyCall{
			{insts(0, 1, 2, 3), 0, insts(0, 1)},
			{insts(1, 2, 3), 0, insts(1, 2)},
			{insts(2, 3), 0, insts(2, 3)},
			{insts(3, 8), 0, insts(3, 8)},
		}},
		// VariableBatchStrategyTest.testExhausted
		{"VariableBatchStrategyTest.testExhausted", varBatchCfg(3), true, 3, []strategyCall{
			{insts(0, 1, 2), 0, insts(0, 1, 2)},
			{insts(0, 1), 0, insts(0, 1)},
			{insts(1), 0, insts(1)},
		}},
		// VariableBatchStrategyTest.testActiveTooLarge
		{"VariableBatchStrategyTest.testActiveTooLarge", varBatchCfg(2), true, 3, []strategyCall{
			{insts(0, 1, 2), 3, nil},
		}},
		// VariableBatchStrategyTest.testIncreasingGroupSizes
		{"VariableBatchStrategyTest.testIncreasingGroupSizes", varBatchCfg(1, 2, 3), true, 6, []strategyCall{
			{insts(0, 1, 2, 3, 4, 5), 0, insts(0)},
			{insts(1, 2, 3, 4, 5), 0, insts(1, 2)},
			{insts(3, 4, 5), 0, insts(3, 4, 5)},
		}},
		// VariableBatchStrategyTest.testDecreasingGroupSizes
		{"VariableBatchStrategyTest.testDecreasingGroupSizes", varBatchCfg(3, 2, 1), true, 6, []strategyCall{
			{insts(0, 1, 2, 3, 4, 5), 0, insts(0, 1, 2)},
			{insts(3, 4, 5), 0, insts(3, 4)},
			{insts(5), 0, insts(5)},
		}},
		// VariableBatchStrategyTest.testSeeSawGroupSizes
		{"VariableBatchStrategyTest.testSeeSawGroupSizes", varBatchCfg(1, 3, 2, 4), true, 10, []strategyCall{
			{insts(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 0, insts(0)},
			{insts(1, 2, 3, 4, 5, 6, 7, 8, 9), 0, insts(1, 2, 3)},
			{insts(4, 5, 6, 7, 8, 9), 0, insts(4, 5)},
			{insts(6, 7, 8, 9), 0, insts(6, 7, 8, 9)},
		}},
		// VariableBatchStrategyTest.testMoreInstancesThanSumOfGroupSizes
		{"VariableBatchStrategyTest.testMoreInstancesThanSumOfGroupSizes", varBatchCfg(1, 2), true, 10, []strategyCall{
			{insts(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), 0, insts(0)},
			{insts(1, 2, 3, 4, 5, 6, 7, 8, 9), 0, insts(1, 2)},
			{insts(3, 4, 5, 6, 7, 8, 9), 0, insts(3, 4)},
			{insts(5, 6, 7, 8, 9), 0, insts(5, 6)},
			{insts(7, 8, 9), 0, insts(7, 8)},
			{insts(9), 0, insts(9)},
		}},
		// VariableBatchStrategyTest.testRollback: rolling back, the groups
		// mirror the forward ones (1,2,3 over 6: back (5,4,3)(2,1)(0)). The
		// idle list comes in rollback order, highest first.
		{"VariableBatchStrategyTest.testRollback", varBatchCfg(1, 2, 3), false, 6, []strategyCall{
			{insts(5, 4, 3, 2, 1, 0), 0, insts(5, 4, 3)},
			{insts(2, 1, 0), 0, insts(2, 1)},
			{insts(0), 0, insts(0)},
		}},
		// VariableBatchStrategyTest.testRollbackMidWay: an update that went
		// forward (0)(1,2) and failed rolls back (2,1)(0).
		{"VariableBatchStrategyTest.testRollbackMidWay", varBatchCfg(1, 2, 3), false, 3, []strategyCall{
			{insts(2, 1, 0), 0, insts(2, 1)},
			{insts(0), 0, insts(0)},
		}},
		// VariableBatchStrategyTest.testRollbackOverflow: 7 instances went
		// forward (0)(1,2)(3,4)(5,6), the last size repeating.
		{"VariableBatchStrategyTest.testRollbackOverflow", varBatchCfg(1, 2), false, 7, []strategyCall{
			{insts(6, 5, 4, 3, 2, 1, 0), 0, insts(6, 5)},
			{insts(4, 3, 2, 1, 0), 0, insts(4, 3)},
			{insts(2, 1, 0), 0, insts(2, 1)},
			{insts(0), 0, insts(0)},
		}},
		// Not an Aurora test: the groups of testRollbackMidWay when the
		// forward run stopped inside a group (4 of [2,3] went forward as
		// (0,1)(2,3)), the in-between case VariableBatchStrategy comments on.
		{"VariableBatchStrategy in-between rollback", varBatchCfg(2, 3), false, 4, []strategyCall{
			{insts(3, 2, 1, 0), 0, insts(3, 2)},
			{insts(1, 0), 0, insts(1, 0)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := workflows.NewStrategy(tt.cfg, tt.forward, tt.total)
			for i, c := range tt.calls {
				got := s.NextGroup(c.idle, c.active)
				if len(c.want) == 0 {
					assert.Empty(t, got, "call %d: NextGroup(%v, %d)", i, c.idle, c.active)
					continue
				}
				assert.Equal(t, c.want, got, "call %d: NextGroup(%v, %d)", i, c.idle, c.active)
				assert.Equal(t, len(c.want), s.Next(len(c.idle), c.active), "call %d: Next agrees with NextGroup", i)
			}
		})
	}
}

// TestAuroraStrategyKinds: which strategies keep a window in flight and
// which pause between groups (JobUpdateControllerImpl.isAutoPauseEnabled:
// Batch and VariableBatch only; JobUpdaterIT's autopause tests show it
// applies rolling forward only).
func TestAuroraStrategyKinds(t *testing.T) {
	auto := func(u config.UpdateConfig) config.UpdateConfig {
		switch s := u.UpdateStrategy; {
		case s.Batch != nil:
			s.Batch.AutopauseAfterBatch = true
		case s.VariableBatch != nil:
			s.VariableBatch.AutopauseAfterBatch = true
		}
		return u
	}
	legacyBatch := config.DefaultUpdateConfig()
	legacyBatch.BatchSize, legacyBatch.WaitForBatchCompletion = 2, true
	tests := []struct {
		name                string
		cfg                 config.UpdateConfig
		queue               bool
		autopauseForward    bool
		autopauseRollingBck bool
	}{
		{"default is Queue(batch_size)", config.DefaultUpdateConfig(), true, false, false},
		{"queue", queueCfg(2), true, false, false},
		{"wait_for_batch_completion is Batch(batch_size)", legacyBatch, false, false, false},
		{"batch", batchCfg(2), false, false, false},
		{"batch, autopause", auto(batchCfg(2)), false, true, false},
		{"variable batch, autopause", auto(varBatchCfg(1, 2)), false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fwd := workflows.NewStrategy(tt.cfg, true, 4)
			back := workflows.NewStrategy(tt.cfg, false, 4)
			assert.Equal(t, tt.queue, fwd.Queue())
			assert.Equal(t, tt.autopauseForward, fwd.Autopause(), "rolling forward")
			assert.Equal(t, tt.autopauseRollingBck, back.Autopause(), "rolling back never pauses by itself")
		})
	}
}

// conformanceJob is a job that passes config validation, for the tests of what
// validation refuses.
func conformanceJob(n int) config.Job {
	j := config.DefaultJob()
	j.Cluster, j.Role, j.Environment, j.Name = "test", "aurora", "prod", "conformance"
	j.Instances, j.Service = n, true
	task := config.DefaultTask()
	task.Name = "conformance"
	p := config.DefaultProcess()
	p.Name, p.Cmdline = "conformance", "while true; do sleep 1; done"
	task.Processes = []config.Process{p}
	task.Resources = &config.Resources{CPU: 0.1, RAM: 16 << 20, Disk: 16 << 20}
	j.Task = &task
	return j
}

// TestAuroraInvalidUpdateSettings: what Aurora refuses when it builds a
// strategy (a group size below 1) or starts an update (a negative group size
// or minimum running time), Borealis refuses when the config loads, naming
// the field; the workflows never see such a config.
func TestAuroraInvalidUpdateSettings(t *testing.T) {
	require.NoError(t, func() error { j := conformanceJob(3); return j.Validate() }(), "the base job is valid")
	tests := []struct {
		name string // the Aurora test ported
		edit func(u *config.UpdateConfig)
		want string
	}{
		// QueueStrategyTest.testBadParameter
		{"QueueStrategyTest.testBadParameter", func(u *config.UpdateConfig) {
			*u = queueCfg(0)
		}, "update_config.update_strategy.queue.batch_size: must be > 0"},
		// BatchStrategyTest.testBadParameter
		{"BatchStrategyTest.testBadParameter", func(u *config.UpdateConfig) {
			*u = batchCfg(0)
		}, "update_config.update_strategy.batch.batch_size: must be > 0"},
		// VariableBatchStrategyTest.testBadParameter
		{"VariableBatchStrategyTest.testBadParameter", func(u *config.UpdateConfig) {
			*u = varBatchCfg(0)
		}, "update_config.update_strategy.variable_batch.batch_sizes[0]: must be > 0"},
		// JobUpdaterIT.testStartInvalidUpdate: a group size of -1 ...
		{"JobUpdaterIT.testStartInvalidUpdate/group size", func(u *config.UpdateConfig) {
			*u = queueCfg(-1)
		}, "update_config.update_strategy.queue.batch_size: must be > 0"},
		// ... the same through the plain batch_size ...
		{"JobUpdaterIT.testStartInvalidUpdate/batch_size", func(u *config.UpdateConfig) {
			u.BatchSize = -1
		}, "update_config.batch_size: must be > 0"},
		// ... and a negative minimum running time (watch_secs).
		{"JobUpdaterIT.testStartInvalidUpdate/watch_secs", func(u *config.UpdateConfig) {
			u.WatchSecs = -1
		}, "update_config.watch_secs: must be >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := conformanceJob(3)
			tt.edit(&j.UpdateConfig)
			err := j.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// diffView is a job whose instance i runs config version at[i] (instances
// absent from at do not exist); version v's task runs command cmds[v].
func diffView(cmds map[string]string, at map[int]string) workflows.JobView {
	v := workflows.JobView{JobKey: "test/aurora/prod/conformance", Configs: map[string]config.Job{}}
	for version, cmd := range cmds {
		v.Configs[version] = diffJob(cmd, len(at))
	}
	for id := 0; id < 1000; id++ {
		if version, ok := at[id]; ok {
			v.Instances = append(v.Instances, workflows.InstanceRef{ID: id, ConfigVersion: version})
		}
	}
	return v
}

// diffJob is a job of n instances whose task runs cmd, as JobDiffTest's
// makeTask(job, data) with its executor data.
func diffJob(cmd string, n int) config.Job {
	j := conformanceJob(n)
	task := *j.Task
	task.Processes = []config.Process{task.Processes[0]}
	task.Processes[0].Cmdline = cmd
	j.Task = &task
	return j
}

func addStep(id int) workflows.Step { return workflows.Step{Instance: id, Action: workflows.ActionAdd} }
func changeStep(id int, from string) workflows.Step {
	return workflows.Step{Instance: id, Action: workflows.ActionChange, From: from}
}
func removeStep(id int, from string) workflows.Step {
	return workflows.Step{Instance: id, Action: workflows.ActionRemove, From: from}
}

// TestAuroraJobDiff ports JobDiffTest: which instances an update adds,
// changes (Aurora: replaced and in the replacements), removes (replaced
// only) and leaves alone (unchanged), unscoped and scoped to instance 0
// (Aurora's CANARY_SCOPE). Borealis lists them as steps: adds, then
// changes, then removes, each by ascending id, with the version replaced.
func TestAuroraJobDiff(t *testing.T) {
	canary := []int{0}
	// The job's first config is version ""; "new" is a version that already
	// runs the next config, "old2" a third one.
	cmds := map[string]string{"": "echo", "new": "echo2", "old2": "echo1"}
	tests := []struct {
		name  string // the Aurora test ported
		at    map[int]string
		next  config.Job
		only  []int
		steps []workflows.Step
	}{
		// JobDiffTest.testNoDiff
		{"JobDiffTest.testNoDiff", map[int]string{0: "", 1: ""}, diffJob("echo", 2), nil, nil},
		{"JobDiffTest.testNoDiff/canary", map[int]string{0: "", 1: ""}, diffJob("echo", 2), canary, nil},
		// JobDiffTest.testInstancesAdded
		{"JobDiffTest.testInstancesAdded", map[int]string{0: "", 1: ""}, diffJob("echo", 5), nil,
			[]workflows.Step{addStep(2), addStep(3), addStep(4)}},
		{"JobDiffTest.testInstancesAdded/canary", map[int]string{0: "", 1: ""}, diffJob("echo", 5), canary, nil},
		// JobDiffTest.testInstancesRemoved
		{"JobDiffTest.testInstancesRemoved", map[int]string{0: "", 1: "", 2: ""}, diffJob("echo", 1), nil,
			[]workflows.Step{removeStep(1, ""), removeStep(2, "")}},
		{"JobDiffTest.testInstancesRemoved/canary", map[int]string{0: "", 1: "", 2: ""}, diffJob("echo", 1), canary, nil},
		// JobDiffTest.testFullUpdate
		{"JobDiffTest.testFullUpdate", map[int]string{0: "", 1: "", 2: ""}, diffJob("echo2", 3), nil,
			[]workflows.Step{changeStep(0, ""), changeStep(1, ""), changeStep(2, "")}},
		{"JobDiffTest.testFullUpdate/canary", map[int]string{0: "", 1: "", 2: ""}, diffJob("echo2", 3), canary,
			[]workflows.Step{changeStep(0, "")}},
		// JobDiffTest.testMultipleConfigsAndHoles
		{"JobDiffTest.testMultipleConfigsAndHoles", map[int]string{0: "", 1: "new", 3: "old2", 4: ""}, diffJob("echo2", 5), nil,
			[]workflows.Step{addStep(2), changeStep(0, ""), changeStep(3, "old2"), changeStep(4, "")}},
		{"JobDiffTest.testMultipleConfigsAndHoles/canary", map[int]string{0: "", 1: "new", 3: "old2", 4: ""}, diffJob("echo2", 5), canary,
			[]workflows.Step{changeStep(0, "")}},
		// JobDiffTest.testUnchangedInstances
		{"JobDiffTest.testUnchangedInstances", map[int]string{0: "", 1: "new", 2: ""}, diffJob("echo2", 3), nil,
			[]workflows.Step{changeStep(0, ""), changeStep(2, "")}},
		{"JobDiffTest.testUnchangedInstances/canary", map[int]string{0: "", 1: "new", 2: ""}, diffJob("echo2", 3), canary,
			[]workflows.Step{changeStep(0, "")}},
		{"JobDiffTest.testUnchangedInstances/canary, 4 instances", map[int]string{0: "", 1: "new", 2: ""}, diffJob("echo2", 4), canary,
			[]workflows.Step{changeStep(0, "")}},
		// InstanceUpdaterTest.testPointlessUpdate: an instance with neither
		// an old nor a new config is nothing to do.
		{"InstanceUpdaterTest.testPointlessUpdate", map[int]string{0: "", 1: ""}, diffJob("echo", 2), []int{5}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := workflows.PlanUpdate(diffView(cmds, tt.at), tt.next, tt.only)
			if len(tt.steps) == 0 {
				assert.Empty(t, got)
				return
			}
			assert.Equal(t, tt.steps, got)
		})
	}
}

// TestAuroraSameTask: JobDiff compares task configs, and a task config holds
// neither the update settings nor the instance count (JobDiffTest builds its
// tasks from the executor data alone). Borealis compares every field but
// update_config and instances, and an empty list or map is a missing one.
func TestAuroraSameTask(t *testing.T) {
	base := diffJob("echo", 2)
	tests := []struct {
		name string
		edit func(j *config.Job)
		same bool
	}{
		{"identical", func(j *config.Job) {}, true},
		{"instances", func(j *config.Job) { j.Instances = 7 }, true},
		{"update_config", func(j *config.Job) { j.UpdateConfig = batchCfg(3); j.UpdateConfig.WatchSecs = 1 }, true},
		{"empty metadata is none", func(j *config.Job) { j.Metadata = []config.Metadata{} }, true},
		{"empty constraints are none", func(j *config.Job) { j.Constraints = map[string]string{} }, true},
		// JobDiffTest.testFullUpdate: the executor data (the command) differs.
		{"cmdline", func(j *config.Job) {
			task := *j.Task
			task.Processes = []config.Process{task.Processes[0]}
			task.Processes[0].Cmdline = "echo2"
			j.Task = &task
		}, false},
		// InstanceUpdaterTest.testUpdateWithResourceChange
		{"resources", func(j *config.Job) {
			task := *j.Task
			res := *task.Resources
			res.CPU = 2
			task.Resources = &res
			j.Task = &task
		}, false},
		// InstanceUpdaterTest.testUpdateWithConstraintChange
		{"constraints", func(j *config.Job) { j.Constraints = map[string]string{"different": "test"} }, false},
		// InstanceUpdaterTest.testSuccessfulUpdate: OLD and NEW differ in production only.
		{"production", func(j *config.Job) { j.Production = true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := diffJob("echo", 2)
			tt.edit(&next)
			assert.Equal(t, tt.same, workflows.SameTask(base, next))
			assert.Equal(t, tt.same, workflows.SameTask(next, base), "symmetric")
		})
	}
}

// stepInstances lists the instances of steps, in order.
func stepInstances(steps []workflows.Step) []int {
	out := make([]int, len(steps))
	for i, s := range steps {
		out[i] = s.Instance
	}
	return out
}

// isSubsequence reports whether sub appears in seq in the same order.
func isSubsequence(sub, seq []int) bool {
	i := 0
	for _, x := range seq {
		if i < len(sub) && sub[i] == x {
			i++
		}
	}
	return i == len(sub)
}

// TestAuroraUpdateFactory ports UpdateFactoryImplTest: which instances an
// update acts on and in which order. Aurora's update acts on the union of
// the initial and desired instances (limited to updateOnlyTheseInstances);
// Borealis's on the instances PlanUpdate lists. A rollback acts on the same
// instances in exactly the reverse order: the update workflow undoes the
// steps it started (TestAuroraRollback and the other rollback tests of
// aurora_updater_test.go check that order on real runs).
func TestAuroraUpdateFactory(t *testing.T) {
	cmds := map[string]string{"": "old", "new": "new"}
	next := func(n int) config.Job { return diffJob("new", n) }
	tests := []struct {
		name  string // the Aurora tests ported
		at    map[int]string
		next  config.Job
		only  []int
		order []int // instances in the order the update goes
		// aurora is the order the Aurora test checks, when it names fewer
		// instances than the update acts on (isOrdered checks relative order).
		aurora []int
	}{
		// UpdateFactoryImplTest.testRollingForward, testRollingBack: initial
		// 1-2, desired 0-2: 0 added, 1 and 2 changed.
		{"UpdateFactoryImplTest.testRollingForward+testRollingBack", map[int]string{1: "", 2: ""}, next(3), nil,
			insts(0, 1, 2), nil},
		// UpdateFactoryImplTest.testRollForwardSpecificInstances,
		// testRollBackSpecificInstances: desired {1}, scope {0,1}: only 1.
		// Borealis's desired instances are always 0..instances-1, so the
		// in-scope instance with nothing to do is one that runs the new
		// config already (0), and 1 is a hole the update fills.
		{"UpdateFactoryImplTest.testRollForwardSpecificInstances+testRollBackSpecificInstances", map[int]string{0: "new", 2: ""}, next(3), insts(0, 1),
			insts(1), nil},
		// UpdateFactoryImplTest.testUpdateRemovesInstance: initial 1-2,
		// desired 0-1: 0 added, 1 changed, 2 removed.
		{"UpdateFactoryImplTest.testUpdateRemovesInstance", map[int]string{1: "", 2: ""}, next(2), nil,
			insts(0, 1, 2), nil},
		// UpdateFactoryImplTest.testUpdateOrdering
		{"UpdateFactoryImplTest.testUpdateOrdering", map[int]string{0: "", 1: "", 2: "", 3: ""}, next(4), nil,
			insts(0, 1, 2, 3), nil},
		// UpdateFactoryImplTest.testUpdateCreateOrdering: adds first.
		{"UpdateFactoryImplTest.testUpdateCreateOrdering", map[int]string{0: "", 1: "", 2: "", 3: ""}, next(6), nil,
			insts(4, 5, 0, 1, 2, 3), nil},
		// UpdateFactoryImplTest.testUpdateKillOrdering: removes last.
		{"UpdateFactoryImplTest.testUpdateKillOrdering", map[int]string{0: "", 1: "", 2: "", 3: ""}, next(2), nil,
			insts(0, 1, 2, 3), nil},
		// UpdateFactoryImplTest.testCreateUpdateKillOrdering: adds, changes,
		// removes. Aurora's list leaves out 4, which is removed too.
		{"UpdateFactoryImplTest.testCreateUpdateKillOrdering", map[int]string{0: "", 2: "", 4: "", 5: "", 6: ""}, next(4), nil,
			insts(1, 3, 0, 2, 4, 5, 6), insts(1, 3, 0, 2, 5, 6)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := workflows.PlanUpdate(diffView(cmds, tt.at), tt.next, tt.only)
			got := stepInstances(steps)
			assert.Equal(t, tt.order, got)
			if tt.aurora != nil {
				assert.True(t, isSubsequence(tt.aurora, got), "Aurora's order %v within %v", tt.aurora, got)
				back := make([]int, len(got))
				for i, id := range got {
					back[len(got)-1-i] = id
				}
				rev := make([]int, len(tt.aurora))
				for i, id := range tt.aurora {
					rev[len(tt.aurora)-1-i] = id
				}
				assert.True(t, isSubsequence(rev, back), "Aurora's rollback order %v within %v", rev, back)
			}
			// Each action comes as a block: adds, then changes, then removes.
			rank := map[workflows.Action]int{workflows.ActionAdd: 0, workflows.ActionChange: 1, workflows.ActionRemove: 2}
			for i := 1; i < len(steps); i++ {
				a, b := steps[i-1], steps[i]
				assert.True(t, rank[a.Action] < rank[b.Action] || rank[a.Action] == rank[b.Action] && a.Instance < b.Instance,
					"step %v before %v", a, b)
			}
		})
	}
}

// TestAuroraUpdateStates: Aurora's eleven update states, which are active
// (Updates.ACTIVE_JOB_UPDATE_STATES; JobUpdateStateMachine allows
// transitions out of these only) and which are final. The transitions
// themselves are exercised on running updates by TestAuroraControlVerbs.
func TestAuroraUpdateStates(t *testing.T) {
	active := []workflows.UpdateStatus{
		workflows.UpdateRollingForward, workflows.UpdateRollingBack,
		workflows.UpdateRollForwardPaused, workflows.UpdateRollBackPaused,
		workflows.UpdateRollForwardAwaitingPulse, workflows.UpdateRollBackAwaitingPulse,
	}
	final := []workflows.UpdateStatus{
		workflows.UpdateRolledForward, workflows.UpdateRolledBack,
		workflows.UpdateAborted, workflows.UpdateError, workflows.UpdateFailed,
	}
	names := map[workflows.UpdateStatus]string{
		workflows.UpdateRollingForward: "ROLLING_FORWARD", workflows.UpdateRollingBack: "ROLLING_BACK",
		workflows.UpdateRollForwardPaused: "ROLL_FORWARD_PAUSED", workflows.UpdateRollBackPaused: "ROLL_BACK_PAUSED",
		workflows.UpdateRollForwardAwaitingPulse: "ROLL_FORWARD_AWAITING_PULSE",
		workflows.UpdateRollBackAwaitingPulse:    "ROLL_BACK_AWAITING_PULSE",
		workflows.UpdateRolledForward:            "ROLLED_FORWARD", workflows.UpdateRolledBack: "ROLLED_BACK",
		workflows.UpdateAborted: "ABORTED", workflows.UpdateError: "ERROR", workflows.UpdateFailed: "FAILED",
	}
	for s, name := range names {
		assert.Equal(t, name, string(s), "Aurora's name")
	}
	for _, s := range active {
		assert.True(t, s.Active(), "%s is active", s)
	}
	for _, s := range final {
		assert.False(t, s.Active(), "%s is final", s)
	}
}
