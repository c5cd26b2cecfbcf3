package config

import (
	"os"
	"path/filepath"
	"testing"
)

var fuzzExts = []string{".aurora", ".yaml", ".json"}

// FuzzLoad drives the Aurora, YAML and JSON loaders: they must never panic,
// must fail only with *Errors, and must return only valid jobs.
func FuzzLoad(f *testing.F) {
	for _, file := range []string{"hello_world.aurora", "hello_world.yaml"} {
		data, err := os.ReadFile(filepath.Join("..", "examples", "jobs", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, uint8(FormatOf(file)-1))
	}
	f.Add([]byte(validYAML), uint8(1))
	f.Add([]byte(templateJob), uint8(0))
	f.Add([]byte("CMD='{{name}} {{task.name}} {{thermos.ports[http]}}'\n"+templateJob), uint8(0))
	f.Add([]byte(`{"jobs": [{"cluster": "c", "role": "r", "environment": "e", "task": {"processes": [{"name": "p", "cmdline": "{{role}}"}], "resources": {"cpu": 1, "ram": "1MB", "disk": 1048576}}}]}`), uint8(2))
	f.Add([]byte("a: &a [*a, *a]\njobs: [*a]\n"), uint8(1))
	f.Add([]byte("def f(n):\n  return f(n+1)\njobs = [f(0)]\n"), uint8(0))
	f.Add([]byte("p = Process(name='p', cmdline='x').bind(a='{{b}}', b='{{a}}')\njobs=[Job(task=SequentialTask(processes=[p, p(name='q')]))]\n"), uint8(0))
	// The guarded operators, methods and values of Aurora files.
	f.Add([]byte("x = [1]\nx += [2]\nt = (1, x[1:])\ns = 'a' * 3 + '%d' % len(t)\ng = lambda *a, **k: (a, k)\nd = {}\nd['k'] = g(1, z=2)\n"+
		"jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[Process(name=s, cmdline=str(d) + ','.join([str(i) for i in x]))], resources=Resources(cpu=1, ram=MB, disk=MB)))]\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		fuzzLoad(t, "fuzz"+fuzzExts[int(format)%len(fuzzExts)], data)
	})
}

// fuzzLoad loads data as a file called name: it fails with a config error,
// or gives valid jobs whose accessors do not panic.
func fuzzLoad(t *testing.T, name string, data []byte) {
	jobs, err := LoadBytes(name, data, LoadOptions{MaxSteps: 100_000, Binds: map[string]string{"x": "1"}})
	if err != nil {
		if !IsConfigError(err) {
			t.Fatalf("not a config error: %T %v", err, err)
		}
		return
	}
	if verr := ValidateJobs(jobs); verr != nil {
		t.Fatalf("loaded invalid jobs: %v", verr)
	}
	for _, j := range jobs {
		_ = j.Key()
		_ = j.HealthChecker()
		_ = j.UpdateConfig.EffectiveStrategy()
	}
}
