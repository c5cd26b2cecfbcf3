package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A .json file must be JSON, not merely YAML.
func TestJSONSyntaxIsChecked(t *testing.T) {
	for name, src := range map[string]string{
		"trailing comma": `{"jobs": [{"cluster": "c",}]}`,
		"bare words":     `{jobs: [{cluster: c}]}`,
		"cut short":      `{"jobs": [`,
	} {
		_, err := LoadBytes("job.json", []byte(src), LoadOptions{})
		require.Error(t, err, name)
		assert.True(t, IsConfigError(err), name)
		assert.Contains(t, err.Error(), "job.json:1:", name)
		assert.Contains(t, err.Error(), "invalid JSON", name)
	}
}

// Aurora's order() is a list of one Constraint: orders add up, nest in a
// list, or stand alone.
func TestOrderAddsUp(t *testing.T) {
	const head = `
a = Process(name='a', cmdline='x')
b = Process(name='b', cmdline='x')
c = Process(name='c', cmdline='x')
res = Resources(cpu=1, ram=1*MB, disk=1*MB)
`
	want := []Constraint{{Order: []string{"a", "b"}}, {Order: []string{"b", "c"}}}
	for name, constraints := range map[string]string{
		"sum":    "order(a, b) + order(b, c)",
		"nested": "[order(a, b), order(b, c)]",
	} {
		src := head + "jobs = [Service(cluster='c', role='r', environment='e', name='n', task=Task(processes=[a, b, c], resources=res, constraints=" + constraints + "))]\n"
		jobs, err := LoadBytes("job.aurora", []byte(src), LoadOptions{})
		require.NoError(t, err, name)
		assert.Equal(t, want, jobs[0].Task.Constraints, name)
	}
}
