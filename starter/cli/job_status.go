package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/borealis-dev/borealis/taskapi"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/converter"
	"golang.org/x/sync/errgroup"

	"github.com/borealis-dev/borealis/workflows"
)

type jobStatusOptions struct {
	writeJSON bool
}

func newJobStatusCommand(a *app) *cobra.Command {
	var o jobStatusOptions
	cmd := &cobra.Command{
		Use:   "status CLUSTER[/ROLE[/ENV[/NAME]]]",
		Short: "Show the active and recent tasks of a job, or of every running job matching a pattern",
		Long: `Show the active and recent tasks of a job, or of every running job matching a pattern.

The argument is a job key, CLUSTER/ROLE/ENV/NAME, or a pattern as job list
takes it: each part a name or a glob (*, ?, [...]), missing parts matching
anything. A pattern shows the running jobs it matches, in key order; none
exits 6 (Found no jobs matching ...), or with --write-json prints [].`,
		Example: `  borealis job status devcluster/www-data/prod/hello
  borealis job status devcluster/www-data/prod/hello --write-json | jq '.[0].active[].status'
  borealis job status 'devcluster/*/prod/*' --write-json | jq -r '.[].job'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJobStatus(cmd.Context(), a, o, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print JSON (docs/semantics.md §6 shape)")
	return cmd
}

// statusJSON is one job of `job status --write-json` (docs/semantics.md §6).
type statusJSON struct {
	Job      string     `json:"job"`
	Active   []taskJSON `json:"active"`
	Inactive []taskJSON `json:"inactive"`
	// Refused is why the worker refused the job (optional).
	Refused string `json:"refused,omitempty"`
}

// taskJSON is a task as `job status --write-json` prints it: exactly the
// fields of docs/semantics.md §6.
type taskJSON struct {
	InstanceID    int             `json:"instanceId"`
	TaskID        string          `json:"taskId"`
	Status        string          `json:"status"`
	FailureCount  int             `json:"failureCount"`
	Host          string          `json:"host"`
	ContainerID   string          `json:"containerId"`
	AssignedPorts map[string]int  `json:"assignedPorts"`
	TaskEvents    []taskEventJSON `json:"taskEvents"`
}

type taskEventJSON struct {
	Timestamp int64  `json:"timestamp"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

func toTaskJSON(t workflows.TaskInfo) taskJSON {
	out := taskJSON{
		InstanceID:    t.InstanceID,
		TaskID:        t.TaskID,
		Status:        string(t.Status),
		FailureCount:  t.FailureCount,
		Host:          t.Host,
		ContainerID:   t.ContainerID,
		AssignedPorts: map[string]int{},
		TaskEvents:    make([]taskEventJSON, 0, len(t.TaskEvents)),
	}
	for name, port := range t.AssignedPorts {
		out.AssignedPorts[name] = port
	}
	for _, e := range t.TaskEvents {
		out.TaskEvents = append(out.TaskEvents, taskEventJSON{Timestamp: e.Timestamp, Status: string(e.Status), Message: e.Message})
	}
	return out
}

func runJobStatus(ctx context.Context, a *app, o jobStatusOptions, arg string) error {
	ja, err := parseJobArg(arg)
	if err != nil {
		return err
	}
	if ja.pattern != nil {
		return runJobStatusPattern(ctx, a, o, *ja.pattern)
	}
	tc, job, err := a.openJob(ctx, ja.key, openJobOptions{})
	if err != nil {
		return err
	}
	defer tc.Close()
	snap, err := tc.snapshot(ctx, job.Key.String(), snapshotOptions{ended: true})
	if err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.JobWorkflowID(snap.key), o.writeJSON)
	if o.writeJSON {
		return printJSON(a.out, []statusJSON{toStatusJSON(snap)})
	}
	live := tc.liveHealth(ctx, snap)
	return printStatus(a.out, snap, live, time.Now())
}

// runJobStatusPattern shows every running job that matches, in key order:
// one job after another, or with --write-json one array of them all. No
// match is Aurora's `Found no jobs matching PATTERN`: exit 6, or with
// --write-json an empty array (exit 0, the words on stderr).
func runJobStatusPattern(ctx context.Context, a *app, o jobStatusOptions, match keyPattern) error {
	tc, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	keys, err := tc.runningJobKeys(ctx)
	if err != nil {
		return err
	}
	keys = match.filter(keys)
	if len(keys) == 0 {
		msg := "Found no jobs matching " + match.String()
		if o.writeJSON {
			fmt.Fprintln(a.err, msg)
			return printJSON(a.out, []statusJSON{})
		}
		return errorf(ExitInvalidParameter, "%s", msg)
	}
	snaps := make([]*jobSnapshot, len(keys))
	lives := make([]map[int]*taskapi.HealthProgress, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobParallelism)
	for i, k := range keys {
		g.Go(func() error {
			snap, err := tc.snapshot(gctx, k, snapshotOptions{ended: true})
			if err != nil {
				return err
			}
			snaps[i] = snap
			if !o.writeJSON {
				lives[i] = tc.liveHealth(gctx, snap)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	a.printWebUIAddress(webUIQuery(tc.st, runningJobsQuery()), o.writeJSON)
	if o.writeJSON {
		out := make([]statusJSON, len(snaps))
		for i, snap := range snaps {
			out[i] = toStatusJSON(snap)
		}
		return printJSON(a.out, out)
	}
	now := time.Now()
	for i, snap := range snaps {
		if i > 0 {
			fmt.Fprintln(a.out)
		}
		if err := printStatus(a.out, snap, lives[i], now); err != nil {
			return err
		}
	}
	return nil
}

// jobParallelism bounds the jobs a pattern's `job status` reads at once
// (each reads its instances queryParallelism at a time).
const jobParallelism = 4

// toStatusJSON is the job's object of `job status --write-json`.
func toStatusJSON(snap *jobSnapshot) statusJSON {
	out := statusJSON{Job: snap.key, Active: []taskJSON{}, Inactive: []taskJSON{}, Refused: snap.view.Refused}
	for _, s := range snap.instances {
		if s.Replacing != nil {
			// start_first: the old task serves until its successor is RUNNING.
			out.Active = append(out.Active, toTaskJSON(*s.Replacing))
		}
		if s.Active != nil {
			out.Active = append(out.Active, toTaskJSON(*s.Active))
		}
		for _, t := range s.Inactive {
			out.Inactive = append(out.Inactive, toTaskJSON(t))
		}
	}
	return out
}

// liveHealth reads the health progress of each running task from its
// WatchHealth activity's last heartbeat, which is fresher than what the
// workflow recorded and adds nothing to any history. Failures are ignored:
// the workflow's record is the fallback.
func (tc *temporalConn) liveHealth(ctx context.Context, snap *jobSnapshot) map[int]*taskapi.HealthProgress {
	out := make([]*taskapi.HealthProgress, len(snap.instances))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(queryParallelism)
	dc := converter.GetDefaultDataConverter()
	for i, s := range snap.instances {
		if s.Active == nil {
			continue
		}
		g.Go(func() error {
			desc, err := tc.DescribeWorkflow(gctx, workflows.InstanceWorkflowID(snap.key, s.InstanceID), "")
			if err != nil {
				return nil
			}
			for _, pa := range desc.RawResponse.GetPendingActivities() {
				if pa.GetActivityType().GetName() != taskapi.WatchHealth || pa.GetHeartbeatDetails() == nil {
					continue
				}
				var p taskapi.HealthProgress
				if dc.FromPayloads(pa.GetHeartbeatDetails(), &p) == nil {
					out[i] = &p
				}
			}
			return nil
		})
	}
	_ = g.Wait()
	m := map[int]*taskapi.HealthProgress{}
	for i, p := range out {
		if p != nil {
			m[snap.instances[i].InstanceID] = p
		}
	}
	return m
}

// printStatus prints one row per instance: its active task, or its newest
// ended one when it has none.
func printStatus(w io.Writer, snap *jobSnapshot, live map[int]*taskapi.HealthProgress, now time.Time) error {
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
	fmt.Fprintln(tw, "INSTANCE\tTASK ID\tSTATUS\tSINCE\tPORTS\tRESTARTS\tFAILURES\tHEALTH\tSNOOZED")
	for _, s := range snap.instances {
		t := latestTask(s)
		if t == nil {
			fmt.Fprintf(tw, "%d\t-\t-\t-\t-\t%d\t%d\t-\t-\n", s.InstanceID, s.Restarts, s.FailureCount)
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
			healthText, on = describeHealth(progress)
			snoozed = yesNo(on || (progress != nil && progress.Snoozed))
		}
		if o := s.Replacing; o != nil {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.InstanceID, o.TaskID, string(o.Status)+" (being replaced)",
				since(o, now), hostPorts(o), s.Restarts, s.FailureCount, "-", "-")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.InstanceID, t.TaskID, status,
			since(t, now), hostPorts(t), s.Restarts, s.FailureCount, healthText, snoozed)
	}
	return tw.Flush()
}

// since is when the task's last event happened and how long ago.
func since(t *workflows.TaskInfo, now time.Time) string {
	if len(t.TaskEvents) == 0 {
		return "-"
	}
	at := time.UnixMilli(t.TaskEvents[len(t.TaskEvents)-1].Timestamp)
	return fmt.Sprintf("%s (%s ago)", at.Format(time.DateTime), now.Sub(at).Round(time.Second))
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

// describeHealth is the newest check's result, and whether it was snoozed.
func describeHealth(p *taskapi.HealthProgress) (string, bool) {
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
