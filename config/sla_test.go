package config

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slaService is a 4-instance service with the given job and UpdateConfig
// arguments, as an Aurora file.
func slaService(jobArgs, updateArgs string) string {
	return `
jobs = [Service(cluster='c', role='r', environment='prod', name='web', instances=4,
  task=Task(processes=[Process(name='p', cmdline='x')], resources=Resources(cpu=1, ram=MB, disk=MB)),
  update_config=UpdateConfig(` + updateArgs + `)` + jobArgs + `)]
`
}

// slaServiceYAML is slaService as YAML; extra holds more job fields, each
// line indented by four spaces.
func slaServiceYAML(extra string) string {
	return `
jobs:
  - cluster: c
    role: r
    environment: prod
    name: web
    instances: 4
    service: true
    task:
      processes: [{name: p, cmdline: x}]
      resources: {cpu: 1, ram: 1MB, disk: 1MB}
` + extra
}

func TestSlaPolicyLoads(t *testing.T) {
	tests := []struct {
		name, aurora, yaml string
		want               *SlaPolicy
	}{
		{"count",
			", sla_policy=CountSlaPolicy(count=2, duration_secs=60)",
			"    sla_policy: {count: {count: 2, duration_secs: 60}}\n",
			&SlaPolicy{Count: &CountSlaPolicy{Count: 2, DurationSecs: 60}}},
		{"percentage",
			", sla_policy=PercentageSlaPolicy(percentage=50.5, duration_secs=30)",
			"    sla_policy: {percentage: {percentage: 50.5, duration_secs: 30}}\n",
			&SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 50.5, DurationSecs: 30}}},
		{"percentage as an integer",
			", sla_policy=PercentageSlaPolicy(percentage=50, duration_secs=0)",
			"    sla_policy: {percentage: {percentage: 50, duration_secs: 0}}\n",
			&SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 50}}},
		{"coordinator",
			", sla_policy=CoordinatorSlaPolicy(coordinator_url='https://coord.example.com/sla', status_key='ok')",
			"    sla_policy: {coordinator: {coordinator_url: \"https://coord.example.com/sla\", status_key: ok}}\n",
			&SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "https://coord.example.com/sla", StatusKey: "ok"}}},
		{"coordinator default status_key",
			", sla_policy=CoordinatorSlaPolicy(coordinator_url='http://localhost:8080')",
			"    sla_policy: {coordinator: {coordinator_url: \"http://localhost:8080\"}}\n",
			&SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "http://localhost:8080", StatusKey: "drain"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fromAurora := mustLoad(t, "sla.aurora", slaService(tt.aurora, "sla_aware=True"))
			fromYAML := mustLoad(t, "sla.yaml", slaServiceYAML(tt.yaml+"    update_config: {sla_aware: true}\n"))
			assert.Equal(t, tt.want, fromAurora[0].SlaPolicy)
			assert.True(t, fromAurora[0].UpdateConfig.SlaAware)
			assert.Equal(t, fromAurora, fromYAML)
		})
	}
}

func TestSlaPolicyJSON(t *testing.T) {
	jobs := mustLoad(t, "sla.json", `{"jobs": [{"cluster": "c", "role": "r", "environment": "prod", "instances": 4,
  "task": {"processes": [{"name": "p", "cmdline": "x"}], "resources": {"cpu": 1, "ram": "1MB", "disk": "1MB"}},
  "update_config": {"sla_aware": true},
  "sla_policy": {"coordinator": {"coordinator_url": "https://coord.example.com"}}}]}`)
	assert.Equal(t, &SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "https://coord.example.com", StatusKey: "drain"}}, jobs[0].SlaPolicy)
	assert.True(t, jobs[0].UpdateConfig.SlaAware)
}

func TestSlaDefaults(t *testing.T) {
	j := mustLoad(t, "d.aurora", slaService("", ""))[0]
	assert.Nil(t, j.SlaPolicy)
	assert.False(t, j.UpdateConfig.SlaAware)
	assert.Equal(t, CoordinatorSlaPolicy{StatusKey: "drain"}, DefaultCoordinatorSlaPolicy())

	// An unset field reads as its default in an Aurora file, as pystachio's.
	src := `
c = CoordinatorSlaPolicy(coordinator_url='http://x')
u = UpdateConfig()
if c.status_key != 'drain' or u.sla_aware != False or Job().sla_policy != None:
    fail('defaults: %s %s' % (c.status_key, u.sla_aware))
` + slaService(", sla_policy=c", "sla_aware=True")
	j = mustLoad(t, "d.aurora", src)[0]
	assert.Equal(t, "drain", j.SlaPolicy.Coordinator.StatusKey)
}

// Recorded workflow histories hold jobs as JSON: a job without an SLA must
// encode as before, without the new keys.
func TestSlaOmittedFromJSON(t *testing.T) {
	data, err := json.Marshal(DefaultJob())
	require.NoError(t, err)
	assert.NotContains(t, string(data), "sla_policy")
	assert.NotContains(t, string(data), "sla_aware")

	var j Job
	require.NoError(t, json.Unmarshal([]byte(`{"update_config": {"batch_size": 1}}`), &j))
	assert.Nil(t, j.SlaPolicy)
	assert.False(t, j.UpdateConfig.SlaAware)

	with := DefaultJob()
	with.UpdateConfig.SlaAware = true
	with.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: 2, DurationSecs: 3}}
	data, err = json.Marshal(with)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"sla_aware":true`)
	assert.Contains(t, string(data), `"sla_policy":{"count":{"count":2,"duration_secs":3}}`)
	var back Job
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, with, back)
}

func TestSlaMalformed(t *testing.T) {
	tests := []struct {
		name, file, src, want string
	}{
		{"no SlaPolicy constructor", "a.aurora", slaService(", sla_policy=SlaPolicy(count=CountSlaPolicy(count=1))", ""),
			"undefined: SlaPolicy"},
		{"unknown field", "a.aurora", "p = CountSlaPolicy(cnt=1)\njobs=[]",
			`a.aurora:1:19: CountSlaPolicy: unknown field "cnt" (fields: count, duration_secs)`},
		{"wrong kind", "a.aurora", slaService(", sla_policy=Docker(image='x')", ""),
			"jobs[0].sla_policy: expected SlaPolicy, got Docker"},
		{"yaml unknown kind", "a.yaml", slaServiceYAML("    sla_policy: {quorum: {count: 1}}\n"),
			"jobs[0].sla_policy.quorum: unknown field"},
		{"yaml wrong type", "a.yaml", slaServiceYAML("    sla_policy: {count: {count: two, duration_secs: 1}}\n"),
			`jobs[0].sla_policy.count.count: expected an integer, got string "two"`},
		{"yaml sla_aware not a boolean", "a.yaml", slaServiceYAML("    update_config: {sla_aware: sometimes}\n"),
			`jobs[0].update_config.sla_aware: expected a boolean, got string "sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, tt.src, nil)
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestSlaValidation checks each rule's path and exact message; validJob has
// 2 instances.
func TestSlaValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(j *Job)
		path   string
		msg    string
	}{
		{"sla_aware without policy", func(j *Job) { j.UpdateConfig.SlaAware = true },
			"update_config.sla_aware", "slaAware is true, but no task slaPolicy is specified."},
		{"empty choice", func(j *Job) { j.SlaPolicy = &SlaPolicy{} },
			"sla_policy", "set exactly one of count, percentage and coordinator"},
		{"two kinds", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: 1}, Percentage: &PercentageSlaPolicy{Percentage: 50}}
		}, "sla_policy", "set exactly one of count, percentage and coordinator"},
		{"count > 0", func(j *Job) { j.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: 0}} },
			"sla_policy.count.count", "must be > 0, got 0"},
		{"count not negative", func(j *Job) { j.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: -1}} },
			"sla_policy.count.count", "must be > 0, got -1"},
		{"count < instances", func(j *Job) { j.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: 2}} },
			"sla_policy.count.count", "must be < instances (2) so that an instance may be down, got 2"},
		{"count duration_secs >= 0", func(j *Job) { j.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: 1, DurationSecs: -1}} },
			"sla_policy.count.duration_secs", "must be >= 0, got -1"},
		{"percentage > 0", func(j *Job) { j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 0}} },
			"sla_policy.percentage.percentage", "must be > 0 and < 100, got 0"},
		{"percentage < 100", func(j *Job) { j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 100}} },
			"sla_policy.percentage.percentage", "must be > 0 and < 100, got 100"},
		{"percentage leaves an instance", func(j *Job) { j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 60}} },
			"sla_policy.percentage.percentage", "must be at most 50 with 2 instances so that an instance may be down, got 60"},
		{"percentage duration_secs >= 0", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 50, DurationSecs: -5}}
		}, "sla_policy.percentage.duration_secs", "must be >= 0, got -5"},
		{"coordinator_url required", func(j *Job) { j.SlaPolicy = &SlaPolicy{Coordinator: &CoordinatorSlaPolicy{StatusKey: "drain"}} },
			"sla_policy.coordinator.coordinator_url", "is required"},
		{"coordinator_url http", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "ftp://coord/sla", StatusKey: "drain"}}
		}, "sla_policy.coordinator.coordinator_url", `"ftp://coord/sla" must be an http or https URL`},
		{"coordinator_url with a host", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "coord:8080", StatusKey: "drain"}}
		}, "sla_policy.coordinator.coordinator_url", `"coord:8080" must be an http or https URL`},
		{"status_key required", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "http://coord", StatusKey: " "}}
		}, "sla_policy.coordinator.status_key", "is required"},
		{"batch_size with update_strategy", func(j *Job) {
			j.UpdateConfig.BatchSize = 2
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{Batch: &BatchUpdateStrategy{BatchSize: 2}}
		}, "update_config", "batch_size and update_strategy are both set; set the batch size inside update_strategy " +
			"and leave batch_size at 1 (Aurora cannot combine update strategy with batch size)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			tt.mutate(j)
			err := j.Validate()
			var ce *Errors
			require.True(t, errors.As(err, &ce), "want an *Errors, got %v", err)
			assert.Equal(t, []FieldError{{Path: tt.path, Msg: tt.msg}}, ce.List)
		})
	}
}

func TestSlaValid(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(j *Job)
	}{
		{"count", func(j *Job) { j.SlaPolicy = &SlaPolicy{Count: &CountSlaPolicy{Count: 1}} }},
		{"percentage at the bound", func(j *Job) { j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 50}} }},
		{"percentage at the bound, 6 instances", func(j *Job) {
			j.Instances = 6
			j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 500.0 / 6}}
		}},
		{"percentage small", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Percentage: &PercentageSlaPolicy{Percentage: 0.5, DurationSecs: 7200}}
		}},
		{"coordinator", func(j *Job) {
			j.SlaPolicy = &SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "https://coord.example.com:8443/sla?x=1", StatusKey: "drain"}}
		}},
		{"sla_aware with policy", func(j *Job) {
			j.UpdateConfig.SlaAware = true
			j.SlaPolicy = &SlaPolicy{Coordinator: &CoordinatorSlaPolicy{CoordinatorURL: "http://localhost", StatusKey: "drain"}}
		}},
		{"batch_size 1 with update_strategy", func(j *Job) {
			j.UpdateConfig.UpdateStrategy = &UpdateStrategy{Queue: &QueueUpdateStrategy{BatchSize: 2}}
		}},
		{"batch_size 2 without update_strategy", func(j *Job) { j.UpdateConfig.BatchSize = 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			tt.mutate(j)
			assert.NoError(t, j.Validate())
		})
	}
}

// The SLA rules as a user meets them: loaded from a file, with jobs[i] paths.
func TestSlaValidationOnLoad(t *testing.T) {
	tests := []struct {
		name, file, src, want string
	}{
		{"sla_aware without policy", "a.aurora", slaService("", "sla_aware=True"),
			"jobs[0].update_config.sla_aware: slaAware is true, but no task slaPolicy is specified."},
		{"yaml sla_aware without policy", "a.yaml", slaServiceYAML("    update_config: {sla_aware: true}\n"),
			"jobs[0].update_config.sla_aware: slaAware is true, but no task slaPolicy is specified."},
		{"count too high", "a.aurora", slaService(", sla_policy=CountSlaPolicy(count=4, duration_secs=3)", ""),
			"jobs[0].sla_policy.count.count: must be < instances (4) so that an instance may be down, got 4"},
		{"percentage too high", "a.yaml", slaServiceYAML("    sla_policy: {percentage: {percentage: 80, duration_secs: 3}}\n"),
			"jobs[0].sla_policy.percentage.percentage: must be at most 75 with 4 instances so that an instance may be down, got 80"},
		{"coordinator url", "a.aurora", slaService(", sla_policy=CoordinatorSlaPolicy(coordinator_url='localhost:8080')", ""),
			`jobs[0].sla_policy.coordinator.coordinator_url: "localhost:8080" must be an http or https URL`},
		{"coordinator url missing", "a.aurora", slaService(", sla_policy=CoordinatorSlaPolicy()", ""),
			"jobs[0].sla_policy.coordinator.coordinator_url: is required"},
		{"empty choice", "a.yaml", slaServiceYAML("    sla_policy: {}\n"),
			"jobs[0].sla_policy: set exactly one of count, percentage and coordinator"},
		{"batch_size 2 with update_strategy", "a.aurora", slaService("", "batch_size=2, update_strategy=QueueUpdateStrategy(batch_size=2)"),
			"jobs[0].update_config: batch_size and update_strategy are both set; set the batch size inside update_strategy " +
				"and leave batch_size at 1 (Aurora cannot combine update strategy with batch size)"},
		{"yaml batch_size 3 with update_strategy", "a.yaml", slaServiceYAML("    update_config: {batch_size: 3, update_strategy: {batch: {batch_size: 3}}}\n"),
			"jobs[0].update_config: batch_size and update_strategy are both set;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.file, tt.src, nil)
			require.Error(t, err)
			assert.True(t, IsConfigError(err))
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "one problem only")
		})
	}

	// batch_size left at its default (1) with a strategy is fine, in every format.
	j := mustLoad(t, "ok.aurora", slaService("", "update_strategy=BatchUpdateStrategy(batch_size=2)"))[0]
	assert.Equal(t, 1, j.UpdateConfig.BatchSize)
	j = mustLoad(t, "ok.aurora", slaService("", "batch_size=1, update_strategy=BatchUpdateStrategy(batch_size=2)"))[0]
	assert.Equal(t, &BatchUpdateStrategy{BatchSize: 2}, j.UpdateConfig.UpdateStrategy.Batch)
	mustLoad(t, "ok.yaml", slaServiceYAML("    update_config: {batch_size: 1, update_strategy: {queue: {batch_size: 3}}}\n"))
}

func TestSlaReference(t *testing.T) {
	objs := Reference()
	cases := []struct{ object, field, typ, def string }{
		{"Job", "sla_policy", "SlaPolicy", "unset"},
		{"UpdateConfig", "sla_aware", "Boolean", "False"},
		{"SlaPolicy", "count", "CountSlaPolicy", "unset"},
		{"CountSlaPolicy", "count", "Integer", "required"},
		{"CountSlaPolicy", "duration_secs", "Integer", "0"},
		{"PercentageSlaPolicy", "percentage", "Float", "required"},
		{"CoordinatorSlaPolicy", "coordinator_url", "String", "required"},
		{"CoordinatorSlaPolicy", "status_key", "String", "'drain'"},
	}
	for _, c := range cases {
		f := findField(t, objs, c.object, c.field)
		assert.Equal(t, c.typ, f.Type, "%s.%s type", c.object, c.field)
		assert.Equal(t, c.def, f.Default, "%s.%s default", c.object, c.field)
	}
}
