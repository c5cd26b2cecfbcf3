package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/workflows"
)

// unchangedMessage is Aurora's word for an update that changes nothing.
const unchangedMessage = "Job is unchanged by proposed update."

// diffContext is how many unchanged lines a diff shows around a change.
const diffContext = 2

type jobDiffOptions struct {
	jobConfigFlags
	writeJSON bool
}

// jobDiffJSON is `job diff --write-json` (docs/semantics.md §6.4): the plan
// of an update to the config, the instances it adds, updates and removes
// (ascending ids, empty lists when none), and for the updated ones, grouped
// by the config they run now, the fields of their task that differ.
type jobDiffJSON struct {
	Job       string           `json:"job"`
	Unchanged bool             `json:"unchanged"`
	Add       []int            `json:"add"`
	Update    []int            `json:"update"`
	Remove    []int            `json:"remove"`
	Changes   []diffChangeJSON `json:"changes"`
}

// diffChangeJSON is one group of updated instances: FromUpdate is the id
// of the update whose config they run now, "" for the job's first config;
// Fields are dotted paths into the task (changedFields).
type diffChangeJSON struct {
	Instances  []int    `json:"instances"`
	FromUpdate string   `json:"fromUpdate"`
	Fields     []string `json:"fields"`
}

func newJobDiffCommand(a *app) *cobra.Command {
	var o jobDiffOptions
	cmd := &cobra.Command{
		Use:   "diff KEY CONFIG",
		Short: "Show what updating a job to a config file would add, change and remove",
		Example: `  borealis job diff devcluster/www-data/prod/hello examples/jobs/hello_world.aurora
  borealis job diff devcluster/www-data/prod/hello new.yaml --bind version=2
  borealis job diff devcluster/www-data/prod/hello new.yaml --write-json | jq .update`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJobDiff(cmd.Context(), a, o, args[0], args[1])
		},
	}
	o.add(cmd)
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print the plan as one JSON object: instances to add, update and remove, and the fields that differ")
	return cmd
}

func runJobDiff(ctx context.Context, a *app, o jobDiffOptions, keyArg, path string) error {
	var next *config.Job
	tc, job, err := a.openJob(ctx, keyArg, openJobOptions{Check: checkQuery, Before: func(jobkey.Key, []int) error {
		var err error
		next, err = o.loadJob(keyArg, path)
		return err
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	printWarnings(a.err, o.warnings)
	view := job.View
	steps := workflows.PlanUpdate(view, *next, nil)
	if o.writeJSON {
		return printJSON(a.out, planJSON(job.Key.String(), view, *next, steps))
	}
	if len(steps) == 0 {
		fmt.Fprintln(a.out, unchangedMessage)
		return nil
	}
	printPlan(a.out, view, *next, steps)
	return nil
}

// printPlan prints, like Aurora's `job diff`, the instances an update adds,
// changes and removes, and for the changed ones how their task differs.
func printPlan(w io.Writer, view workflows.JobView, next config.Job, steps []workflows.Step) {
	byAction := map[workflows.Action][]int{}
	// Changed instances grouped by the config version they run now.
	from := map[string][]int{}
	var versions []string
	for _, s := range steps {
		byAction[s.Action] = append(byAction[s.Action], s.Instance)
		if s.Action == workflows.ActionChange {
			if _, ok := from[s.From]; !ok {
				versions = append(versions, s.From)
			}
			from[s.From] = append(from[s.From], s.Instance)
		}
	}
	for _, g := range []struct {
		action workflows.Action
		label  string
	}{
		{workflows.ActionAdd, "add"},
		{workflows.ActionChange, "update"},
		{workflows.ActionRemove, "remove"},
	} {
		if ids := byAction[g.action]; len(ids) > 0 {
			fmt.Fprintf(w, "Instances to %s: %s\n", g.label, jobkey.FormatInstances(ids))
		}
	}
	for _, v := range versions {
		old := view.Configs[v]
		name := "the job's first config"
		if v != "" {
			name = "update " + v
		}
		fmt.Fprintf(w, "\nTask changes of instances %s (now running %s):\n", jobkey.FormatInstances(from[v]), name)
		oldTask, newTask := taskValue(old), taskValue(next)
		fmt.Fprintf(w, "  fields that differ: %s\n", strings.Join(changedFields(oldTask, newTask), ", "))
		for _, line := range unifiedDiff(jsonLines(oldTask), jsonLines(newTask), diffContext) {
			fmt.Fprintln(w, "  "+line)
		}
	}
}

// planJSON is the plan steps of an update of the job to next, as
// `job diff --write-json` prints it.
func planJSON(key string, view workflows.JobView, next config.Job, steps []workflows.Step) jobDiffJSON {
	out := jobDiffJSON{Job: key, Unchanged: len(steps) == 0,
		Add: []int{}, Update: []int{}, Remove: []int{}, Changes: []diffChangeJSON{}}
	group := map[string]int{} // a config version's index in Changes
	for _, s := range steps {
		switch s.Action {
		case workflows.ActionAdd:
			out.Add = append(out.Add, s.Instance)
		case workflows.ActionRemove:
			out.Remove = append(out.Remove, s.Instance)
		case workflows.ActionChange:
			out.Update = append(out.Update, s.Instance)
			i, ok := group[s.From]
			if !ok {
				i = len(out.Changes)
				group[s.From] = i
				fields := changedFields(taskValue(view.Configs[s.From]), taskValue(next))
				if fields == nil {
					fields = []string{}
				}
				out.Changes = append(out.Changes, diffChangeJSON{FromUpdate: s.From, Fields: fields})
			}
			out.Changes[i].Instances = append(out.Changes[i].Instances, s.Instance)
		}
	}
	return out
}

// taskValue is a job as an update compares it (workflows.TaskFields).
func taskValue(j config.Job) map[string]any {
	if m := workflows.TaskFields(j); m != nil {
		return m
	}
	return map[string]any{}
}

// changedFields lists the fields whose values differ, sorted, as dotted
// paths into nested objects ("task.processes"); lists count as one value.
func changedFields(a, b map[string]any) []string {
	var out []string
	for k, v := range a {
		w, ok := b[k]
		switch {
		case !ok:
			out = append(out, k)
		case jsonEqual(v, w):
		default:
			vm, vok := v.(map[string]any)
			wm, wok := w.(map[string]any)
			if !vok || !wok {
				out = append(out, k)
				continue
			}
			for _, sub := range changedFields(vm, wm) {
				out = append(out, k+"."+sub)
			}
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// jsonLines is v as indented JSON (keys sorted), one line per element.
func jsonLines(v any) []string {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return []string{err.Error()}
	}
	return strings.Split(string(data), "\n")
}

// maxDiffCells bounds the longest-common-subsequence table of a diff; larger
// inputs are shown as all removed and all added.
const maxDiffCells = 4_000_000

// unifiedDiff is a line diff of a and b in the unified format, with n
// unchanged lines of context around each change and a header per hunk.
func unifiedDiff(a, b []string, n int) []string {
	type op struct {
		kind byte // ' ', '-' or '+'
		line string
		ai   int // line of a (or of b for '+'), from 0
		bi   int
	}
	var ops []op
	if len(a)*len(b) > maxDiffCells {
		for i, l := range a {
			ops = append(ops, op{'-', l, i, 0})
		}
		for j, l := range b {
			ops = append(ops, op{'+', l, len(a), j})
		}
	} else {
		// lcs[i][j] is the longest common subsequence of a[i:] and b[j:].
		lcs := make([][]int, len(a)+1)
		for i := range lcs {
			lcs[i] = make([]int, len(b)+1)
		}
		for i := len(a) - 1; i >= 0; i-- {
			for j := len(b) - 1; j >= 0; j-- {
				if a[i] == b[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(a) || j < len(b) {
			switch {
			case i < len(a) && j < len(b) && a[i] == b[j]:
				ops = append(ops, op{' ', a[i], i, j})
				i, j = i+1, j+1
			case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, op{'-', a[i], i, j})
				i++
			default:
				ops = append(ops, op{'+', b[j], i, j})
				j++
			}
		}
	}
	// Keep the changes and n lines around each; cut the rest into hunks.
	keep := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind == ' ' {
			continue
		}
		for d := max(0, k-n); d <= min(len(ops)-1, k+n); d++ {
			keep[d] = true
		}
	}
	out := []string{"--- current", "+++ proposed"}
	for k := 0; k < len(ops); {
		if !keep[k] {
			k++
			continue
		}
		end := k
		for end < len(ops) && keep[end] {
			end++
		}
		hunk := ops[k:end]
		var na, nb int
		for _, o := range hunk {
			if o.kind != '+' {
				na++
			}
			if o.kind != '-' {
				nb++
			}
		}
		out = append(out, fmt.Sprintf("@@ -%d,%d +%d,%d @@", hunk[0].ai+1, na, hunk[0].bi+1, nb))
		for _, o := range hunk {
			out = append(out, string(o.kind)+o.line)
		}
		k = end
	}
	return out
}
