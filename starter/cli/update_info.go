package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

type updateInfoOptions struct {
	writeJSON bool
}

func newUpdateInfoCommand(a *app) *cobra.Command {
	var o updateInfoOptions
	cmd := &cobra.Command{
		Use:   "info KEY [ID]",
		Short: "Show an update's state and events: the job's active update, else its latest",
		Example: `  borealis update info devcluster/www-data/prod/hello
  borealis update info devcluster/www-data/prod/hello 3f1c2a9e-5b7d-4c1e-9a2b-6d8e0f1a2b3c --write-json`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := ""
			if len(args) == 2 {
				id = args[1]
			}
			return runUpdateInfo(cmd.Context(), a, o, args[0], id)
		},
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print JSON (docs/semantics.md §6 shape)")
	return cmd
}

// updateInfoJSON is `update info --write-json`: the keys of docs/semantics.md §6, plus
// an instance event's message and the instances waiting for the job's SLA
// when there are any (SLA-aware updates).
type updateInfoJSON struct {
	UpdateID       string              `json:"updateId"`
	Job            string              `json:"job"`
	Status         string              `json:"status"`
	Started        int64               `json:"started"`
	LastModified   int64               `json:"lastModified"`
	UpdateEvents   []updateEventJSON   `json:"updateEvents"`
	InstanceEvents []instanceEventJSON `json:"instanceEvents"`
	SLAWaits       []slaWaitJSON       `json:"slaWaits,omitempty"`
}

type slaWaitJSON struct {
	InstanceID int    `json:"instanceId"`
	Since      int64  `json:"since"`
	Reason     string `json:"reason"`
}

type updateEventJSON struct {
	Timestamp int64  `json:"timestamp"`
	Status    string `json:"status"`
	Message   string `json:"message"`
}

type instanceEventJSON struct {
	InstanceID int    `json:"instanceId"`
	Timestamp  int64  `json:"timestamp"`
	Action     string `json:"action"`
	Message    string `json:"message,omitempty"`
}

func toUpdateInfoJSON(info workflows.UpdateInfo) updateInfoJSON {
	out := updateInfoJSON{
		UpdateID: info.UpdateID, Job: info.Job, Status: string(info.Status),
		Started: info.Started, LastModified: info.LastModified,
		UpdateEvents:   make([]updateEventJSON, 0, len(info.UpdateEvents)),
		InstanceEvents: make([]instanceEventJSON, 0, len(info.InstanceEvents)),
	}
	for _, e := range info.UpdateEvents {
		out.UpdateEvents = append(out.UpdateEvents, updateEventJSON{Timestamp: e.Timestamp, Status: string(e.Status), Message: e.Message})
	}
	for _, e := range info.InstanceEvents {
		out.InstanceEvents = append(out.InstanceEvents, instanceEventJSON{InstanceID: e.InstanceID, Timestamp: e.Timestamp, Action: e.Action, Message: e.Message})
	}
	for _, w := range info.SLAWaits {
		out.SLAWaits = append(out.SLAWaits, slaWaitJSON{InstanceID: w.InstanceID, Since: w.Since, Reason: w.Reason})
	}
	return out
}

func runUpdateInfo(ctx context.Context, a *app, o updateInfoOptions, keyArg, id string) error {
	// Without an id, currentUpdate's query of the job is the check.
	check := checkExists
	if id == "" {
		check = checkNothing
	}
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{Check: check})
	if err != nil {
		return err
	}
	defer tc.Close()
	k := job.Key.String()
	if id == "" {
		if id, err = tc.currentUpdate(ctx, k); err != nil {
			return err
		}
	}
	info, err := tc.updateInfo(ctx, k, id)
	if err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.UpdateWorkflowID(k, id), o.writeJSON)
	if o.writeJSON {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(toUpdateInfoJSON(info))
	}
	return printUpdateInfo(a.out, info)
}

// currentUpdate is the id of the job's active update, else of its latest.
func (tc *temporalConn) currentUpdate(ctx context.Context, key string) (string, error) {
	view, err := tc.queryJob(ctx, key)
	if err != nil {
		return "", err
	}
	if view.Updating != "" {
		return view.Updating, nil
	}
	updates, err := tc.listUpdates(ctx, key, nil)
	if err != nil {
		return "", err
	}
	if len(updates) == 0 {
		return "", errorf(ExitInvalidParameter, "job %s has no updates", key)
	}
	return updates[0].ID, nil
}

// printUpdateInfo prints an update's state and progress, its state
// changes and the timeline of its instance events (each with the time
// since the update started), then where each instance ended up.
func printUpdateInfo(w io.Writer, info workflows.UpdateInfo) error {
	fmt.Fprintf(w, "Update %s of %s\n", info.UpdateID, info.Job)
	fmt.Fprintf(w, "  status:        %s\n", info.Status)
	fmt.Fprintf(w, "  started:       %s\n", formatMillis(info.Started))
	fmt.Fprintf(w, "  last modified: %s\n", formatMillis(info.LastModified))
	if info.Started > 0 && info.LastModified >= info.Started {
		took := "so far"
		if !info.Status.Active() {
			took = "in all"
		}
		fmt.Fprintf(w, "  duration:      %s %s\n", formatDuration(time.Duration(info.LastModified-info.Started)*time.Millisecond), took)
	}
	fmt.Fprintf(w, "  progress:      %s\n", progressLine(info))
	fmt.Fprintln(w, "Update events:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range info.UpdateEvents {
		fmt.Fprintf(tw, "  %s\t%s\t%s", formatMillis(e.Timestamp), offset(info.Started, e.Timestamp), e.Status)
		if e.Message != "" {
			fmt.Fprintf(tw, "\t%s", e.Message)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(info.InstanceEvents) == 0 {
		fmt.Fprintln(w, "Instance events: none yet")
		return nil
	}
	fmt.Fprintln(w, "Instance events:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, e := range info.InstanceEvents {
		fmt.Fprintf(tw, "  %s\t%s\tinstance %d\t%s", formatMillis(e.Timestamp), offset(info.Started, e.Timestamp), e.InstanceID, e.Action)
		if e.Message != "" {
			fmt.Fprintf(tw, "\t%s", e.Message)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printInstanceOutcomes(w, info.InstanceEvents); err != nil {
		return err
	}
	return printSLAWaits(w, info)
}

// printSLAWaits lists the instances an SLA-aware update holds back, and why.
func printSLAWaits(w io.Writer, info workflows.UpdateInfo) error {
	if len(info.SLAWaits) == 0 {
		return nil
	}
	fmt.Fprintln(w, "Waiting for the job's SLA:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range info.SLAWaits {
		fmt.Fprintf(tw, "  instance %d\tsince %s\t%s\n", s.InstanceID, offset(info.Started, s.Since), s.Reason)
	}
	return tw.Flush()
}

// printInstanceOutcomes prints each instance's latest action in the update
// and how long it took since the instance's first event.
func printInstanceOutcomes(w io.Writer, events []workflows.InstanceEvent) error {
	type outcome struct {
		first, last int64
		action      string
	}
	byID := map[int]*outcome{}
	var ids []int
	for _, e := range events {
		o, ok := byID[e.InstanceID]
		if !ok {
			o = &outcome{first: e.Timestamp}
			byID[e.InstanceID] = o
			ids = append(ids, e.InstanceID)
		}
		o.last, o.action = e.Timestamp, e.Action
	}
	slices.Sort(ids)
	fmt.Fprintln(w, "Instances:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, id := range ids {
		o := byID[id]
		fmt.Fprintf(tw, "  %d\t%s\t%s\n", id, o.action, formatDuration(time.Duration(o.last-o.first)*time.Millisecond))
	}
	return tw.Flush()
}

// offset is the time from start to ms as "+1m02.5s".
func offset(start, ms int64) string {
	if start == 0 || ms == 0 {
		return "-"
	}
	return "+" + formatDuration(time.Duration(ms-start)*time.Millisecond)
}

// formatDuration rounds d to a tenth of a second ("12.3s", "1m2.5s").
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(100 * time.Millisecond).String()
}

// formatMillis shows an epoch-millisecond time in local time, to the millisecond.
func formatMillis(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05.000")
}
