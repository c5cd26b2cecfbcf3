package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// row is one line of the table.
type row struct {
	figure, borealis, peer, ratio, target, verdict string
}

func (b *bench) addRow(figure, borealis, peer, ratio, target string, ok bool) {
	v := "yes"
	if !ok {
		v = "**no**"
	}
	if target == "plot" {
		v = ""
	}
	b.rows = append(b.rows, row{figure, borealis, peer, ratio, target, v})
}

func (b *bench) addError(figure string, err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(msg) > 300 {
		msg = msg[:300] + "..."
	}
	b.rows = append(b.rows, row{figure, "error", "", "", "", "**no**"})
	b.note("%s failed: %s", figure, msg)
}

func (b *bench) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDur(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

// medianOfRuns is the median of the medians of consecutive groups of per.
func medianOfRuns(ds []time.Duration, per int) time.Duration {
	var ms []time.Duration
	for i := 0; i < len(ds); i += per {
		ms = append(ms, medianDur(ds[i:min(i+per, len(ds))]))
	}
	return medianDur(ms)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a.Seconds()/b.Seconds())
}

func durs(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = secs(d)
	}
	return strings.Join(s, ", ") + " s"
}

func floats(xs []float64, format string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf(format, x)
	}
	return strings.Join(s, ", ")
}

// machine is what the figures were measured on.
type machine struct {
	cpus      int
	cpuModel  string
	memGiB    float64
	docker    string
	storage   string
	goVersion string
	kernel    string
	date      time.Time
	loadStart string
	loadEnd   string
}

func describeMachine() machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version(), date: time.Now(), loadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		for _, line := range strings.Split(string(b), "\n") {
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				m.memGiB = float64(kb) / (1 << 20)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.cpuModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("docker", "info", "--format", "{{.Driver}}").Output(); err == nil {
		m.storage = strings.TrimSpace(string(out))
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func (m machine) oneLine() string {
	return fmt.Sprintf("%d CPUs (%s), %.1f GiB, Docker %s (%s), %s, %s, load %s", m.cpus, m.cpuModel, m.memGiB, m.docker, m.storage, m.goVersion, m.kernel, m.loadStart)
}

// report is the Markdown of the table, the machine and the notes.
func (b *bench) report() string {
	var sb strings.Builder
	m := b.machine
	fmt.Fprintf(&sb, "# Borealis benchmark (%s)\n\n", m.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&sb, "Machine: %d CPUs (%s), %.1f GiB memory, Docker Engine %s (%s storage), %s, %s. Load average at start %s, at end %s.\n\n",
		m.cpus, m.cpuModel, m.memGiB, m.docker, m.storage, m.goVersion, m.kernel, m.loadStart, m.loadEnd)
	quick := ""
	if b.opt.quick {
		quick = " Quick mode: smaller sizes; not a measurement."
	}
	fmt.Fprintf(&sb, "Each figure is the median of %d run(s).%s Ratio = Borealis / peer, measured in the same bench run.\n\n", b.opt.runs, quick)
	sb.WriteString("| figure | Borealis | peer | ratio | target | met |\n|---|---|---|---|---|---|\n")
	for _, r := range b.rows {
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s |\n", r.figure, r.borealis, r.peer, r.ratio, r.target, r.verdict)
	}
	if len(b.notes) > 0 {
		sb.WriteString("\nHow each figure was measured:\n\n")
		for _, n := range b.notes {
			fmt.Fprintf(&sb, "- %s\n", n)
		}
	}
	if len(b.retries) > 0 {
		sb.WriteString("\nRuns repeated because an update failed (a health check timed out on a busy machine, most likely; the failed attempt is not counted):\n\n")
		for _, r := range b.retries {
			fmt.Fprintf(&sb, "- %s\n", r)
		}
	}
	if len(b.scaling) > 0 {
		sb.WriteString("\nScaling plot: `bench/results/scaling.png` (update time in seconds against instances; blue Borealis, orange Swarm, grey the lower bound).\n")
	}
	return sb.String()
}
