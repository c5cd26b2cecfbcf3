package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// The job workflow's current details are what the Temporal Web UI shows
// for it: its instances, the config each runs, the active update, the
// operation in progress. They are set with workflow.SetCurrentDetails,
// which adds no event to the history (the SDK answers the Web UI's
// __temporal_workflow_metadata query with them), so they may follow the
// record as closely as they like without changing what replays.

// watchDetails keeps the job's current details in step with its record:
// it sets them at once, then again each time what they would say changes.
// It runs for the rest of the run; it sends no command and takes no signal.
func (j *job) watchDetails(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			j.showDetails(ctx)
			if err := workflow.Await(ctx, func() bool { return j.details() != j.shown }); err != nil {
				return
			}
		}
	})
}

// showDetails sets the job's current details when they changed.
func (j *job) showDetails(ctx workflow.Context) {
	if d := j.details(); d != j.shown {
		workflow.SetCurrentDetails(ctx, d)
		j.shown = d
	}
}

// details is the job's current details, in markdown: a state line first,
// then one paragraph per fact the job's record holds.
func (j *job) details() string {
	v := j.view()
	var parts []string
	switch {
	case j.refused != "":
		return "**refused** by the worker: " + j.refused
	case !j.admitted:
		return fmt.Sprintf("**admitting** the config (%s) with the worker", countOf(len(v.Instances), "instance"))
	case v.Cron != nil:
		parts = append(parts, cronDetails(v.Cron, j.ended)...)
	case j.ended:
		parts = append(parts, "**ended**: every instance was killed")
	default:
		parts = append(parts, fmt.Sprintf("**%s**: %s", countOf(len(v.Instances), "instance"), idRanges(v.InstanceIDs())))
	}
	if c := configDetails(v.Instances); c != "" {
		parts = append(parts, c)
	}
	if v.Updating != "" {
		parts = append(parts, fmt.Sprintf("update `%s` in progress: its workflow `%s` shows how far it is",
			v.Updating, UpdateWorkflowID(j.key(), v.Updating)))
	}
	if v.Busy != "" {
		parts = append(parts, fmt.Sprintf("**%s** in progress", v.Busy))
	}
	if len(v.Killed) > 0 {
		parts = append(parts, "killed: "+idRanges(v.Killed))
	}
	if len(v.Warnings) > 0 {
		parts = append(parts, "warnings when admitted:\n- "+strings.Join(v.Warnings, "\n- "))
	}
	if len(v.Instances) > 0 {
		parts = append(parts, fmt.Sprintf("each instance's workflow (such as `%s`) shows its task's state and health",
			InstanceWorkflowID(j.key(), v.Instances[0].ID)))
	}
	return strings.Join(parts, "\n\n")
}

// configDetails says which config each instance runs, when they do not all
// run the same: "configs: first 0, update `u1` 1-2" ("" when they do).
func configDetails(refs []InstanceRef) string {
	var versions []string
	ids := map[string][]int{}
	for _, r := range refs {
		if _, ok := ids[r.ConfigVersion]; !ok {
			versions = append(versions, r.ConfigVersion)
		}
		ids[r.ConfigVersion] = append(ids[r.ConfigVersion], r.ID)
	}
	if len(versions) < 2 {
		return ""
	}
	out := make([]string, len(versions))
	for i, ver := range versions {
		name := "first"
		if ver != "" {
			name = fmt.Sprintf("update `%s`", ver)
		}
		out[i] = name + " " + idRanges(ids[ver])
	}
	return "configs: " + strings.Join(out, ", ")
}

// cronDetails is the state of a cron job: its schedule and its runs.
func cronDetails(c *CronView, ended bool) []string {
	state := "**cron job**"
	switch {
	case ended:
		state = "**ended**: descheduled"
	case c.Descheduled:
		state = "**descheduled**: the job ends once its active run has"
	}
	parts := []string{state, fmt.Sprintf("schedule `%s` (UTC), collision policy %s", c.Schedule, c.CollisionPolicy)}
	if a := c.Active; a != nil {
		parts = append(parts, fmt.Sprintf("run scheduled for %s **%s**: instances %s",
			a.Scheduled.UTC().Format(time.RFC3339), a.Outcome, idRanges(a.Instances)))
	} else {
		parts = append(parts, "no run active")
	}
	if n := len(c.Runs); n > 0 {
		last := c.Runs[n-1]
		line := fmt.Sprintf("last run, scheduled for %s: **%s**", last.Scheduled.UTC().Format(time.RFC3339), last.Outcome)
		if last.Message != "" {
			line += " (" + last.Message + ")"
		}
		parts = append(parts, line)
	}
	return parts
}

// countOf is "1 instance", "3 instances".
func countOf(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// idRanges prints ids compactly, as jobkey.FormatInstances does: [0 1 2 5]
// is "0-2,5" (without fmt's writers, which workflowcheck refuses).
func idRanges(ids []int) string {
	s := slices.Clone(ids)
	slices.Sort(s)
	var out []string
	for i := 0; i < len(s); {
		j := i
		for j+1 < len(s) && s[j+1] == s[j]+1 {
			j++
		}
		r := strconv.Itoa(s[i])
		if j > i {
			r += "-" + strconv.Itoa(s[j])
		}
		out = append(out, r)
		i = j + 1
	}
	return strings.Join(out, ",")
}
