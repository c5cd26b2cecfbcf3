package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hangBound is how long bounded waits before it calls a load hung. The
// limits under test are counts (steps, bytes, depth), not times, and a
// loaded machine running -race can take seconds over them: the bound only
// catches a load that none of its limits ends.
const hangBound = 2 * time.Minute

// noTimeout keeps the wall-clock limit of an Aurora file (5 s by default)
// from ending a run before the count limit a test checks does, on a slow
// machine.
var noTimeout = LoadOptions{Timeout: hangBound}

// bounded runs load and checks that it fails with a config error, having
// allocated less than maxAlloc bytes; it returns the error's text.
func bounded(t *testing.T, maxAlloc uint64, load func() error) string {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	done := make(chan error, 1)
	go func() { done <- load() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(hangBound):
		t.Fatalf("loading did not end within %v: no limit ended it", hangBound)
	}
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	assert.True(t, IsConfigError(err), "want a config error (exit 3), got %T %v", err, err)
	if maxAlloc > 0 {
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, maxAlloc, "allocated while loading")
	}
	return err.Error()
}

func TestConfigFileLimits(t *testing.T) {
	dir := t.TempDir()

	// The extension is checked first: /dev/zero is not read at all.
	msg := bounded(t, 1<<20, func() error { _, err := Load("/dev/zero", LoadOptions{}); return err })
	assert.Contains(t, msg, `/dev/zero: unknown config format ""`)

	// A device, directory or FIFO behind a good name is refused before it
	// is read (a FIFO would block the open).
	if _, err := os.Stat("/dev/zero"); err == nil {
		zero := filepath.Join(dir, "zero.aurora")
		require.NoError(t, os.Symlink("/dev/zero", zero))
		msg = bounded(t, 1<<20, func() error { _, err := Load(zero, LoadOptions{}); return err })
		assert.Contains(t, msg, zero+": cannot read config: not a regular file (a character device)")
	}
	sub := filepath.Join(dir, "dir.yaml")
	require.NoError(t, os.Mkdir(sub, 0o700))
	msg = bounded(t, 1<<20, func() error { _, err := Load(sub, LoadOptions{}); return err })
	assert.Contains(t, msg, sub+": cannot read config: not a regular file (a directory)")

	// An oversized file is refused from its size, unread.
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte(validYAML+"#"+strings.Repeat("x", MaxConfigBytes)), 0o600))
	msg = bounded(t, 1<<20, func() error { _, err := Load(big, LoadOptions{}); return err })
	assert.Contains(t, msg, fmt.Sprintf("%s: config is %d bytes, over the limit of 4194304 bytes (4 MiB)", big, len(validYAML)+1+MaxConfigBytes))

	// A file at the limit loads.
	exact := filepath.Join(dir, "exact.yaml")
	pad := MaxConfigBytes - len(validYAML) - 2
	require.NoError(t, os.WriteFile(exact, []byte(validYAML+"#"+strings.Repeat("x", pad)+"\n"), 0o600))
	_, err := Load(exact, LoadOptions{})
	require.NoError(t, err)

	// So do bytes handed to LoadBytes.
	_, err = LoadBytes("big.aurora", make([]byte, MaxConfigBytes+1), LoadOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "big.aurora: config is 4194305 bytes, over the limit of 4194304 bytes (4 MiB)")
}

// Each of these once ran out of memory, ran for minutes, or ran forever.
func TestAuroraRunIsBounded(t *testing.T) {
	tests := []struct {
		name, src string
		want      string
		maxAlloc  uint64 // 0: not measured (the case is about the budget itself)
	}{
		{"string repetition", "x = 'a' * (1 << 29)\njobs = []",
			"r.aurora:1:9: string * int makes a string of 536870912 bytes, over the limit of 16777216 bytes (16 MiB) per value", 1 << 20},
		{"int repetition of a string", "x = (1 << 29) * 'ab'\njobs = []",
			"r.aurora:1:15: int * string makes a string of 1073741824 bytes", 1 << 20},
		{"list repetition", "x = [0] * (1 << 29)\njobs = []",
			"r.aurora:1:9: list * int makes a list of 536870912 elements, over the limit of 1048576 elements per value", 1 << 20},
		{"list of a huge range", "x = list(range(200000000))\njobs = []",
			"r.aurora:1:9: list: argument has 200000000 elements, over the limit of 1048576 elements per value", 1 << 20},
		{"comprehension over a huge range", "x = [i for i in range(200000000)]\njobs = []",
			"r.aurora:1:17: range of 200000000 elements is over the limit of 1048576 elements per value", 1 << 20},
		{"*args of a huge range", "def f(*a):\n  return a\nx = f(*range(200000000))\njobs = []",
			"r.aurora:3:8: range of 200000000 elements is over the limit", 1 << 20},
		{"extend by a huge range", "x = []\nx += range(200000000)\njobs = []",
			"r.aurora:2:3: list += range makes a list of 200000000 elements", 1 << 20},
		{"max of a huge range", "x = max(range(1 << 30))\njobs = []",
			"max: argument has 1073741824 elements", 1 << 20},
		{"join of a huge list", "x = ','.join(['abcdefgh'] * 1000000) + ''\ny = (x + ',').join([x, x, x])\njobs = []",
			"r.aurora:2:19: join makes a string of 27000000 bytes", 128 << 20},
		{"replace", "x = 'ab' * 4000000\ny = x.replace('a', 'aaaaa')\njobs = []",
			"r.aurora:2:14: replace makes a string of 24000000 bytes", 32 << 20},
		{"split", "x = ',' * 8000000\ny = x.split(',')\njobs = []",
			"r.aurora:2:12: split makes a list of 8000001 elements", 32 << 20},
		{"format", "x = 'a' * 1000000\ny = ('{0}' * 100).format(x)\njobs = []",
			"format makes a string of over 16777216 bytes", 8 << 20},
		{"% formatting", "x = '%s' * 100 % tuple(['a' * 1000000] * 100)\njobs = []",
			"r.aurora:1:16: string % tuple makes a string of over 16777216 bytes", 8 << 20},
		{"str of a shared list", "t = 1\nfor i in range(80):\n  t = [t, t]\nx = str(t)\njobs = []",
			"r.aurora:4:8: str makes a string of over 16777216 bytes", 1 << 20},
		{"hash of a shared tuple", "t = (1,)\nfor i in range(80):\n  t = (t, t)\nd = {t: 1}\njobs = []",
			"r.aurora:3:8: tuple makes a tuple of over 4194304 elements", 1 << 20},
		{"tuple doubled by *args", "def f(*a):\n  return a\nt = (1,)\nfor i in range(80):\n  t = f(t, t)\njobs = []",
			"*a makes a tuple of over 4194304 elements", 1 << 20},
		{"tuple doubled by zip", "t = (1,)\nfor i in range(80):\n  t = list(zip([t], [t]))[0]\njobs = []",
			"zip makes a tuple of over 4194304 elements", 1 << 20},
		{"compare shared lists", "a = [1] * 1000\nb = [a] * 1000\nc = [b] * 1000\nx = c == [b] * 1000\njobs = []",
			"r.aurora:4:7: list == list: arguments too large to compare or hash", 1 << 20},
		{"set of shared tuples", "t = tuple(range(1000000))\nx = set([t] * 1000)\njobs = []",
			"set: arguments too large to compare or hash", 32 << 20},
		{"sorted by huge keys", "big = list(range(1000000))\nx = sorted(range(100), key=lambda i: big)\njobs = []",
			"sorted: arguments too large to compare or hash", 64 << 20},
		{"print separator", "l = ['a'] * 1000000\nprint(sep='x' * 1000, *l)\njobs = []",
			"r.aurora:2:6: print makes a string of 1000000000 bytes, over the limit", 128 << 20},
		{"object holding itself", "l = []\no = Process(name='p', cmdline=l)\nl.append(o)\nprint(o)\nfail(str(o))",
			`r.aurora:5:5: fail: Process(name="p", cmdline=[Process(...)])`, 1 << 20},
		{"deeply nested objects", "o = Process(name='p')\nfor i in range(100000):\n  o = Process(name=[o])\nx = str(o)\njobs = []",
			"r.aurora:4:8: str: value nests more than 100 levels deep", 0},
		{"integer squaring", "x = 3\nfor i in range(40):\n  x = x * x\njobs = []",
			"r.aurora:3:9: int * int makes an integer of", 1 << 20},
		{"huge integer literal text", "x = int('9' * 1000000)\njobs = []",
			"int: string of 1000000 bytes is too long", 4 << 20},
		{"list growth", "l = list(range(1048576))\nl.append(0)\njobs = []",
			"append makes a list of 1048577 elements", 0},
		{"many large strings", "s = 'a' * 1000000\nl = [s + str(i) for i in range(1000)]\njobs = []",
			"r.aurora:2:8: the file allocates over 128 MiB in all, the limit for an Aurora file", 0},
		{"many slices", "l = [0] * 1000000\nm = [l[1:] for i in range(1000)]\njobs = []",
			"the file allocates over 16 MiB in all", 0},
		{"many objects", "p = Process(name='p', cmdline='x').bind(**{'k%d' % i: i for i in range(2000)})\nl = [p(name='q') for i in range(1000)]\njobs = []",
			"the file allocates over 16 MiB in all", 0},
		{"many tuples", "t = tuple(range(1000))\nl = [t + t for i in range(10000)]\njobs = []",
			"the file allocates over 16 MiB in all", 0},
		{"recursion", "def f(n):\n  return f(n + 1)\njobs = [f(0)]",
			"r.aurora:2:12: Starlark computation cancelled: calls nest more than 1000 deep", 16 << 20},
		{"endless loop", "for i in range(1 << 30):\n  pass\njobs = []",
			"r.aurora:1:1: Starlark computation cancelled: too many steps (the limit is 10000000)", 0},
		{"while True", "while True:\n  pass\njobs = []",
			"Starlark computation cancelled: too many steps (the limit is 10000000)", 0},
		{"nested loops", "n = 0\nfor i in range(100000):\n  for j in range(100000):\n    n += 1\njobs = []",
			"too many steps", 0},
		{"long chain of operators", "x = 1" + strings.Repeat(" * 1", 100000) + "\njobs = []",
			"r.aurora:1:5: code nests more than 1000 levels deep", 0},
		{"a list expanded many times", "l = [1] * 1000\nm = [l] * 1000\nn = [m] * 1000\njobs = [n]",
			"jobs: value too large: over 1000000 values", 256 << 20},
		{"constraints expanded many times", "c = []\nfor i in range(60):\n  c = [c, c]\njobs = [Job(task=Task(constraints=c))]",
			"jobs: Job.task: Task.constraints: value too large: over 1000000 values", 256 << 20},
		{"guard names are reserved", "__borealis_binop = 1\njobs = []",
			"r.aurora:1:1: names starting with __borealis_ are reserved", 1 << 20},
		{"update through a call", "d = {}\ndef k():\n  return 'x'\nd[k()] += 1\njobs = []",
			"r.aurora:4:8: += to an expression with a call in it is not supported in Aurora files", 1 << 20},
		{"huge fail message", "fail('x' * 10000000)",
			"bytes more)", 64 << 20},
	}
	// A lower allocation budget keeps these short.
	lowBudget := map[string]int64{"many slices": 16 << 20, "many objects": 16 << 20, "many tuples": 16 << 20}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if b, ok := lowBudget[tt.name]; ok {
				defer func(b int64) { allocBudget = b }(allocBudget)
				allocBudget = b
			}
			msg := bounded(t, tt.maxAlloc, func() error {
				_, err := LoadBytes("r.aurora", []byte(tt.src), noTimeout)
				return err
			})
			assert.Contains(t, msg, tt.want)
		})
	}
}

func TestAuroraTimeLimit(t *testing.T) {
	src := "n = 0\nfor i in range(1 << 30):\n  n += 1\njobs = []"
	msg := bounded(t, 0, func() error {
		_, err := LoadBytes("slow.aurora", []byte(src), LoadOptions{MaxSteps: 1 << 62, Timeout: 200 * time.Millisecond})
		return err
	})
	assert.Regexp(t, `^slow\.aurora:\d+:\d+: Starlark computation cancelled: took longer than 200ms, the time limit for an Aurora file$`, msg)
}

// The guards keep the language as it was: operators, methods, aliasing,
// tuples, slices, comprehensions, *args and errors at their positions.
func TestGuardedAuroraSemantics(t *testing.T) {
	jobs := mustLoad(t, "sem.aurora", `
x = [1, 2]
y = x
x += [3]
d = {'a': 1}
d['b'] = 2
d['a'] += 10
s = 'a'
s += 'b' * 3
t = (1, 2) + (3,)
a, b = t[0], t[1:]
f = lambda *args, **kw: len(args) + len(kw)
def g(*args, **kw):
    return [args, kw]
m = getattr([], 'append')
l = []
m2 = l.append
m2(5)
parts = [
    str(len(y)), str(d['a']), s, str(t), str(b), str(f(1, 2, k=3)),
    '%s-%d' % ('x', 5), '{}/{}'.format(1, 2), ','.join(sorted(d.keys())),
    str(max([3, 1, 2])), str([i * 2 for i in range(4) if i % 2]), str({k: v for k, v in d.items()}),
    str(g(1, k=2)), str(1 in [1]), str('a' in {'a': 1}), str(7 // 2), str(-t[0]), str(not True),
    str(l), str((1, 2) < (1, 3)), str(set([1, 2]) | set([3])), 'x' if 1 > 2 else 'y', str(x[::2]), 'abc'[1:],
    str(dict(zip(['p', 'q'], [1, 2]))), str(list(enumerate('ab'.elems()))), str(tuple([1])),
]
p = Process(name='p', cmdline=' '.join(parts))
jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[p], resources=Resources(cpu=1, ram=MB, disk=MB)))]
`)
	assert.Equal(t, "3 11 abbb (1, 2, 3) (2, 3) 3 x-5 1/2 a,b 3 [2, 6] "+`{"a": 11, "b": 2} [(1,), {"k": 2}] True True 3 -1 False `+
		`[5] True set([1, 2, 3]) y [1, 3] bc {"p": 1, "q": 2} [(0, "a"), (1, "b")] (1,)`,
		jobs[0].Task.Processes[0].Cmdline)

	for _, tc := range []struct{ src, want string }{
		{"x = 1\ny = x + 'a'\njobs = []", "a.aurora:2:7: unknown binary op: int + string"},
		{"p = Process(name='p')\nx = p.nmae\njobs = []", "a.aurora:2:6: Process has no .nmae field or method"},
		{"p = Process(name='p')\nx = p.cmd_line\njobs = []", "a.aurora:2:6: Process has no .cmd_line field or method (did you mean .cmdline?)"},
		{"x = 'a'.nope()\njobs = []", "a.aurora:1:8: string has no .nope field or method"},
		{"x = (1, 2)\nx[0] = 3\njobs = []", "a.aurora:2:2: tuple value does not support item assignment"},
		{"x = [1]\nx[0] += 'a'\njobs = []", "a.aurora:2:6: unknown binary op: int + string"},
		{"x = [].append(1, 2)\njobs = []", "a.aurora:1:14: append: got 2 arguments, want 1"},
		{"x = 1 < 'a'\njobs = []", "a.aurora:1:7: int < string not implemented"},
	} {
		_, err := load(t, "a.aurora", tc.src, nil)
		require.Error(t, err, tc.src)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestTemplateExpansionSizeIsBounded(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	src := strings.Replace(validYAML, "cmdline: run", "cmdline: '"+strings.Repeat("{{v}}", 20)+"'", 1)
	msg := bounded(t, 128<<20, func() error {
		_, err := LoadBytes("t.yaml", []byte(src), LoadOptions{Binds: map[string]string{"v": big}})
		return err
	})
	assert.Contains(t, msg, "jobs[0].task.processes[0].cmdline: templates expand to over 16777216 bytes (16 MiB), the limit per value")

	// Through .bind() values in a non-string field too.
	src = strings.Replace(validYAML, "cpu: 1", "cpu: '"+strings.Repeat("{{v}}", 20)+"'", 1)
	msg = bounded(t, 128<<20, func() error {
		_, err := LoadBytes("t.yaml", []byte(src), LoadOptions{Binds: map[string]string{"v": big}})
		return err
	})
	assert.Contains(t, msg, "jobs[0].task.resources.cpu: templates expand to over 16777216 bytes")
}

// A config with a mistake in each of many jobs is reported in time linear
// in its size (matching load and validation problems was quadratic: 10,000
// such jobs took 80 s) and with a bounded message. Time is compared with
// that of a tenth of the jobs, not with a wall-clock limit: under -race on
// a loaded machine 10,000 jobs take 3-5 s even when linear.
func TestManyProblemsAreBounded(t *testing.T) {
	many := func(n int) []byte {
		return []byte("jobs:\n" + strings.Repeat("- {cluster: c, role: r, environment: e, a: 1, b: 2, task: {processes: [{name: p, cmdline: x, c: 3}]}}\n", n))
	}
	timed := func(src []byte) (time.Duration, error) {
		start := time.Now()
		done := make(chan error, 1)
		go func() { _, err := LoadBytes("many.yaml", src, LoadOptions{}); done <- err }()
		select {
		case err := <-done:
			return time.Since(start), err
		case <-time.After(time.Minute):
			t.Fatalf("loading %d bytes did not end within a minute", len(src))
			return 0, nil
		}
	}
	// The fastest of three runs of each: a run slowed by the machine's
	// other work (GC, other tests) would skew a single one.
	fastest := func(src []byte) (time.Duration, error) {
		best, err := time.Duration(1<<63-1), error(nil)
		for range 3 {
			var d time.Duration
			d, err = timed(src)
			best = min(best, d)
		}
		return best, err
	}
	small, err := fastest(many(1000))
	require.Error(t, err)
	big, err := fastest(many(10000))
	require.Error(t, err)
	t.Logf("1,000 jobs: %s; 10,000 jobs: %s", small, big)
	// Linear is about 10 times as long; quadratic was about 100.
	assert.Less(t, big, 40*small, "10,000 jobs took %s, 1,000 took %s", big, small)

	lines := strings.Split(err.Error(), "\n")
	assert.True(t, IsConfigError(err))
	assert.Len(t, lines, MaxProblems+1)
	assert.Equal(t, "jobs[0].a: unknown field", lines[0])
	assert.Regexp(t, `^\.\.\. and \d+ more problems$`, lines[len(lines)-1])
}

// In-place updates are charged for what they add, not for the whole value
// each time, and a dict's existing keys for nothing.
func TestGuardsChargeWhatIsMade(t *testing.T) {
	defer func(b int64) { allocBudget = b }(allocBudget)
	allocBudget = 4 << 20
	jobs := mustLoad(t, "grow.aurora", `
d = {}
l = []
for i in range(20000):
    d |= {i: i}
    d['same'] = i
    l += [i]
p = Process(name='p', cmdline='echo %d %d' % (len(d), len(l)))
jobs = [Job(cluster='c', role='r', environment='e', task=Task(processes=[p], resources=Resources(cpu=1, ram=MB, disk=MB)))]
`)
	assert.Equal(t, "echo 20001 20000", jobs[0].Task.Processes[0].Cmdline)
}
