package config

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cronYAML is a job in YAML with extra (YAML lines of the job's mapping).
func cronYAML(extra ...string) string {
	s := `
jobs:
  - cluster: c
    role: r
    environment: e
    name: n
    task: {processes: [{name: p, cmdline: run}], resources: {cpu: 1, ram: 1MB, disk: 1MB}}
`
	for _, e := range extra {
		s += "    " + e + "\n"
	}
	return s
}

// cronAurora is the same job in an Aurora file, made by ctor (Job or
// Service) with extra keyword arguments.
func cronAurora(ctor string, extra ...string) string {
	args := append([]string{"cluster = 'c'", "role = 'r'", "environment = 'e'", "name = 'n'",
		"task = Task(processes = [Process(name = 'p', cmdline = 'run')], resources = Resources(cpu = 1, ram = MB, disk = MB))"}, extra...)
	return "jobs = [" + ctor + "(" + strings.Join(args, ",\n  ") + ")]\n"
}

func TestCronValidation(t *testing.T) {
	const overlap = "RUN_OVERLAP is no longer supported (Aurora removed it); use KILL_EXISTING or CANCEL_NEW"
	tests := []struct {
		name   string
		yaml   []string // lines of the YAML job
		ctor   string   // Job or Service
		aurora []string // keyword arguments of the Aurora job
		want   string   // the one problem
	}{
		{"minute out of range",
			[]string{`cron_schedule: "61 * * * *"`}, "Job", []string{`cron_schedule = '61 * * * *'`},
			`jobs[0].cron_schedule: "61 * * * *": minute 61 is out of range 0-59`},
		{"six fields",
			[]string{`cron_schedule: "0 0 0 * * *"`}, "Job", []string{`cron_schedule = '0 0 0 * * *'`},
			`jobs[0].cron_schedule: "0 0 0 * * *": must have 5 fields (minute hour day-of-month month day-of-week), got 6`},
		{"macro",
			[]string{`cron_schedule: "@hourly"`}, "Job", []string{`cron_schedule = '@hourly'`},
			`jobs[0].cron_schedule: "@hourly": macros such as @hourly are not supported: write the five fields (0 * * * *)`},
		{"Quartz ?",
			[]string{`cron_schedule: "0 0 ? * MON"`}, "Job", []string{`cron_schedule = '0 0 ? * MON'`},
			`jobs[0].cron_schedule: "0 0 ? * MON": day-of-month "?" is not supported (? is Quartz's): write *`},
		{"step 0",
			[]string{`cron_schedule: "*/0 * * * *"`}, "Job", []string{`cron_schedule = '*/0 * * * *'`},
			`jobs[0].cron_schedule: "*/0 * * * *": minute step 0 must be at least 1`},
		{"backwards range",
			[]string{`cron_schedule: "0 20-5 * * *"`}, "Job", []string{`cron_schedule = '0 20-5 * * *'`},
			`jobs[0].cron_schedule: "0 20-5 * * *": hour range "20-5" is backwards (20 > 5); ranges do not wrap around`},
		{"RUN_OVERLAP",
			[]string{`cron_schedule: "* * * * *"`, `cron_collision_policy: RUN_OVERLAP`}, "Job",
			[]string{`cron_schedule = '* * * * *'`, `cron_collision_policy = 'RUN_OVERLAP'`},
			"jobs[0].cron_collision_policy: " + overlap},
		{"unknown policy",
			[]string{`cron_schedule: "* * * * *"`, `cron_collision_policy: kill_existing`}, "Job",
			[]string{`cron_schedule = '* * * * *'`, `cron_collision_policy = 'kill_existing'`},
			`jobs[0].cron_collision_policy: must be KILL_EXISTING or CANCEL_NEW, got "kill_existing"`},
		{"policy without schedule",
			[]string{`cron_collision_policy: CANCEL_NEW`}, "Job", []string{`cron_collision_policy = 'CANCEL_NEW'`},
			"jobs[0].cron_collision_policy: is set but cron_schedule is not: only a cron job has a collision policy"},
		{"service with schedule",
			[]string{`service: true`, `cron_schedule: "*/5 * * * *"`}, "Service", []string{`cron_schedule = '*/5 * * * *'`},
			"jobs[0].cron_schedule: A service task may not be run on a cron schedule."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []struct{ name, src string }{
				{"c.yaml", cronYAML(tt.yaml...)},
				{"c.aurora", cronAurora(tt.ctor, tt.aurora...)},
			} {
				_, err := load(t, f.name, f.src, nil)
				require.Error(t, err, f.name)
				assert.True(t, IsConfigError(err), f.name)
				assert.Equal(t, tt.want, err.Error(), f.name)
			}
		})
	}

	// Both problems of a policy that is wrong and alone.
	_, err := load(t, "c.yaml", cronYAML(`cron_collision_policy: RUN_OVERLAP`), nil)
	assert.EqualError(t, err, "jobs[0].cron_collision_policy: "+overlap+"\n"+
		"jobs[0].cron_collision_policy: is set but cron_schedule is not: only a cron job has a collision policy")
}

// TestCronValidateJob checks the rules on a job made in code, where the
// load-time default has not been applied.
func TestCronValidateJob(t *testing.T) {
	j := validJob()
	j.CronSchedule = "0 3 * * SUN"
	assert.NoError(t, j.Validate(), "an empty policy is the default")
	for _, p := range []string{CronKillExisting, CronCancelNew} {
		j.CronCollisionPolicy = p
		assert.NoError(t, j.Validate(), p)
	}
	j.Service = true
	j.CronSchedule = "0 3 * * 8"
	j.CronCollisionPolicy = "RUN_OVERLAP"
	err := j.Validate()
	var ce *Errors
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, []FieldError{
		{"cron_collision_policy", "RUN_OVERLAP is no longer supported (Aurora removed it); use KILL_EXISTING or CANCEL_NEW"},
		{"cron_schedule", `"0 3 * * 8": day-of-week 8 is out of range 0-7`},
		{"cron_schedule", "A service task may not be run on a cron schedule."},
	}, ce.List)
}

func TestCronDefaults(t *testing.T) {
	tests := []struct {
		name, file, src string
		cron            bool
		schedule        string
		policy          string
	}{
		{"yaml, not cron", "c.yaml", cronYAML(), false, "", ""},
		{"aurora, not cron", "c.aurora", cronAurora("Job"), false, "", ""},
		{"yaml, default policy", "c.yaml", cronYAML(`cron_schedule: "*/5 * * * *"`), true, "*/5 * * * *", CronKillExisting},
		{"aurora, default policy", "c.aurora", cronAurora("Job", `cron_schedule = '*/5 * * * *'`), true, "*/5 * * * *", CronKillExisting},
		{"yaml, CANCEL_NEW", "c.yaml", cronYAML(`cron_schedule: "0 0 * * *"`, `cron_collision_policy: CANCEL_NEW`), true, "0 0 * * *", CronCancelNew},
		{"aurora, KILL_EXISTING", "c.aurora", cronAurora("Job", `cron_schedule = '0 0 * * *'`, `cron_collision_policy = 'KILL_EXISTING'`),
			true, "0 0 * * *", CronKillExisting},
		{"json, CANCEL_NEW", "c.json", `{"jobs": [{"cluster": "c", "role": "r", "environment": "e", "name": "n",
			"task": {"processes": [{"name": "p", "cmdline": "run"}], "resources": {"cpu": 1, "ram": "1MB", "disk": "1MB"}},
			"cron_schedule": "0 0 * * *", "cron_collision_policy": "CANCEL_NEW"}]}`, true, "0 0 * * *", CronCancelNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustLoad(t, tt.file, tt.src)[0]
			assert.Equal(t, tt.cron, j.IsCron())
			assert.Equal(t, tt.schedule, j.CronSchedule)
			assert.Equal(t, tt.policy, j.CronCollisionPolicy)
		})
	}
}

// An Aurora file reads a cron job's unset policy as its default, as the
// loaded job has it.
func TestCronAuroraAttributes(t *testing.T) {
	var printed []string
	src := `
base = Job(cluster = 'c', role = 'r', environment = 'e', name = 'n',
  task = Task(processes = [Process(name = 'p', cmdline = 'run')], resources = Resources(cpu = 1, ram = MB, disk = MB)))
cron = base(cron_schedule = '{{minute}} 4 * * *')
print(repr(base.cron_schedule), repr(base.cron_collision_policy), repr(cron.cron_collision_policy))
jobs = [cron]
`
	jobs, err := LoadBytes("c.aurora", []byte(src), LoadOptions{
		Binds: map[string]string{"minute": "15"},
		Print: func(msg string) { printed = append(printed, msg) },
	})
	require.NoError(t, err)
	assert.Equal(t, []string{`"" "" "KILL_EXISTING"`}, printed)
	assert.Equal(t, "15 4 * * *", jobs[0].CronSchedule, "templates are resolved before validation")
}

// Recorded workflow histories hold jobs as JSON: a job that is not a cron
// job must marshal exactly as before the cron fields existed.
func TestCronJSON(t *testing.T) {
	j := mustLoad(t, "c.yaml", cronYAML())[0]
	data, err := json.Marshal(j)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "cron")

	c := mustLoad(t, "c.yaml", cronYAML(`cron_schedule: "* * * * *"`))[0]
	data, err = json.Marshal(c)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"cron_schedule":"* * * * *","cron_collision_policy":"KILL_EXISTING"`)
	var back Job
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, *c, back)
}
