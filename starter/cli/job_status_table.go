package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/borealis-dev/borealis/taskapi"
	"github.com/borealis-dev/borealis/workflows"
)

// The table `job status` prints: a line about the job, then one row per
// instance.

// statusLook says how the status table shows what changes by itself.
type statusLook struct {
	// now is the time SINCE counts back from.
	now time.Time
	// steady leaves out what changes while the job does not: how long ago
	// each task's last event was, and how many health checks have run
	// (failures are kept). `job status --watch` off a terminal prints a new
	// block only when this rendering changes.
	steady bool
}

// initialConfig is how the CONFIG column names the job's first config
// (config version "").
const initialConfig = "initial"

// printStatus prints the status table of snap, SINCE counting back from now.
func printStatus(w io.Writer, snap *jobSnapshot, live map[int]*taskapi.HealthProgress, now time.Time) error {
	return writeStatus(w, snap, live, statusLook{now: now})
}

// writeStatus prints one row per instance: its active task, or its newest
// ended one when it has none.
func writeStatus(w io.Writer, snap *jobSnapshot, live map[int]*taskapi.HealthProgress, look statusLook) error {
	if snap.view.Refused != "" {
		_, err := fmt.Fprintf(w, "Job %s: refused: %s\n", snap.key, escapeRefusal(snap.view.Refused))
		return err
	}
	active := 0
	for _, s := range snap.instances {
		if s.Active != nil {
			active++
		}
	}
	fmt.Fprintf(w, "Job %s: %d active of %d instances", snap.key, active, len(snap.view.Instances))
	switch {
	case snap.view.Ended && snap.view.Cron != nil:
		fmt.Fprint(w, " (descheduled)")
	case snap.view.Ended:
		fmt.Fprint(w, " (killed)")
	}
	if snap.view.Busy != "" {
		fmt.Fprintf(w, " (%s in progress)", snap.view.Busy)
	}
	fmt.Fprintln(w)
	if snap.view.Cron != nil {
		cronStatus(w, snap.view.Cron)
	}
	if len(snap.instances) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCE\tTASK ID\tSTATUS\tSINCE\tPORTS\tCONFIG\tRESTARTS\tFAILURES\tHEALTH\tSNOOZED")
	for _, s := range snap.instances {
		t := latestTask(s)
		if t == nil {
			fmt.Fprintf(tw, "%d\t-\t-\t-\t-\t-\t%d\t%d\t-\t-\n", s.InstanceID, s.Restarts, s.FailureCount)
			continue
		}
		status, healthText, snoozed := string(t.Status)+" (ended)", "-", "-"
		if s.Active != nil {
			progress := t.Health
			if p, ok := live[s.InstanceID]; ok {
				progress = p
			}
			var on bool
			status = string(t.Status)
			healthText, on = describeHealth(progress, look.steady)
			snoozed = yesNo(on || (progress != nil && progress.Snoozed))
		}
		if o := s.Replacing; o != nil {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.InstanceID, o.TaskID, string(o.Status)+" (being replaced)",
				since(o, look), hostPorts(o), configName(o.ConfigVersion), s.Restarts, s.FailureCount, "-", "-")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.InstanceID, t.TaskID, status,
			since(t, look), hostPorts(t), configName(t.ConfigVersion), s.Restarts, s.FailureCount, healthText, snoozed)
	}
	return tw.Flush()
}

// configName is how the CONFIG column shows a task's config version: the
// id of the update that made it, or initialConfig for the job's first.
func configName(version string) string {
	if version == "" {
		return initialConfig
	}
	return escapeText(version)
}

// since is when the task's last event happened and, unless look is
// steady, how long ago.
func since(t *workflows.TaskInfo, look statusLook) string {
	if len(t.TaskEvents) == 0 {
		return "-"
	}
	at := time.UnixMilli(t.TaskEvents[len(t.TaskEvents)-1].Timestamp)
	if look.steady {
		return at.Format(time.DateTime)
	}
	return fmt.Sprintf("%s (%s ago)", at.Format(time.DateTime), look.now.Sub(at).Round(time.Second))
}

// hostPorts lists host:port for every named port, by name.
func hostPorts(t *workflows.TaskInfo) string {
	if len(t.AssignedPorts) == 0 {
		return "-"
	}
	names := make([]string, 0, len(t.AssignedPorts))
	for n := range t.AssignedPorts {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%s:%d", n, t.Host, t.AssignedPorts[n])
	}
	return strings.Join(parts, ",")
}

// describeHealth is the newest check's result, and whether it was snoozed:
// with the failed and total checks, or when steady the failed ones only.
func describeHealth(p *taskapi.HealthProgress, steady bool) (string, bool) {
	if p == nil {
		return "-", false
	}
	last, ok := p.History.Last()
	if !ok {
		if p.Counter.Status != "" {
			return escapeText(string(p.Counter.Status)), false
		}
		return "-", false
	}
	text := "ok"
	switch {
	case last.Snoozed:
		text = "snoozed"
	case !last.Healthy:
		// A shell check's reason holds the command's output.
		text = "failed: " + escapeText(last.Reason)
	}
	if steady {
		return fmt.Sprintf("%s (%d failed)", text, p.History.TotalFailures), last.Snoozed
	}
	return fmt.Sprintf("%s (%d/%d failed)", text, p.History.TotalFailures, p.History.Total), last.Snoozed
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// escapeText makes text that came from a task safe for a terminal and for
// one table cell: control characters (C0, DEL, C1, tabs and newlines
// included), other unprintable runes and invalid UTF-8 are written as Go
// escapes (\n, \x1b, \u202e), as strconv.Quote writes them but without the
// quotes; everything else, quotes and backslashes included, is kept.
func escapeText(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case strconv.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
	}
	return b.String()
}

// escapeRefusal makes a refusal's message safe for a terminal, line by
// line: it names every problem, one a line.
func escapeRefusal(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = escapeText(l)
	}
	return strings.Join(lines, "\n  ")
}
