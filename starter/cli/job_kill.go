package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

// jobOpJSON is `job kill|killall|add|restart --write-json` (docs/semantics.md
// §6.4): what the job workflow did. Instances are those it killed, added or
// restarted (ascending; a restart's leaves out those it never got to),
// Failed those of them that failed, by id, with why. Skipped and Aborted
// come with a restart its failure budget stopped: the instances left
// untouched, and why it stopped.
type jobOpJSON struct {
	Job       string            `json:"job"`
	Instances []int             `json:"instances"`
	Failed    map[string]string `json:"failed"`
	Skipped   []int             `json:"skipped,omitempty"`
	Aborted   string            `json:"aborted,omitempty"`
}

// newJobOpJSON is the object of an operation's result.
func newJobOpJSON(key string, res workflows.OpResult) jobOpJSON {
	out := jobOpJSON{Job: key, Instances: slices.Sorted(slices.Values(res.Instances)), Failed: map[string]string{},
		Aborted: res.Aborted}
	if out.Instances == nil {
		out.Instances = []int{}
	}
	for id, msg := range res.Failed {
		out.Failed[strconv.Itoa(id)] = msg
	}
	if len(res.Skipped) > 0 {
		out.Skipped = slices.Sorted(slices.Values(res.Skipped))
	}
	return out
}

// writeJSONFlag adds --write-json, saying what the object holds.
func writeJSONFlag(cmd *cobra.Command, p *bool, what string) {
	cmd.Flags().BoolVar(p, "write-json", false, "print "+what+" as one JSON object; the rest goes to stderr")
}

// opReporter shows an operation's progress: on stdout as newReporter does,
// or on stderr when stdout carries JSON.
func (a *app) opReporter(writeJSON bool) progress.Reporter {
	if writeJSON {
		return progress.New(a.err)
	}
	return a.newReporter()
}

// printOp ends a kill, killall, add or restart: the report of res on
// notes and, with --write-json, its object on stdout. The object is
// printed whenever the job workflow answered, also when instances failed
// (exit 4): the exit code tells.
func (a *app) printOp(writeJSON bool, did, key string, res workflows.OpResult) error {
	err := reportOp(a.notesOut(writeJSON), did, key, res)
	if writeJSON {
		if jerr := printJSON(a.out, newJobOpJSON(key, res)); jerr != nil && err == nil {
			err = jerr
		}
	}
	return err
}

func newJobKillCommand(a *app) *cobra.Command {
	var writeJSON bool
	cmd := &cobra.Command{
		Use:   "kill KEY/INSTANCES",
		Short: "Kill instances of a job; they are not restarted",
		Example: `  borealis job kill devcluster/www-data/prod/hello/1
  borealis job kill devcluster/www-data/prod/hello/0-2,5
  borealis job kill devcluster/www-data/prod/hello/0-2 --write-json | jq .failed`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runJobKill(cmd.Context(), a, args[0], writeJSON) },
	}
	writeJSONFlag(cmd, &writeJSON, "the instances killed")
	return cmd
}

func runJobKill(ctx context.Context, a *app, spec string, writeJSON bool) error {
	tc, job, err := a.openJob(ctx, spec, openJobOptions{Instances: true, Before: func(_ jobkey.Key, ids []int) error {
		if ids == nil {
			return errorf(ExitInvalidParameter, "job kill %s: name the instances (KEY/INSTANCES), or use job killall", spec)
		}
		return nil
	}})
	if err != nil {
		return err
	}
	defer tc.Close()
	key, ids := job.Key, job.IDs
	var res workflows.OpResult
	if err := tc.updateJob(ctx, key.String(), workflows.UpdateKill, &res, workflows.KillRequest{Instances: ids}); err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.JobWorkflowID(key.String()), writeJSON)
	return a.printOp(writeJSON, "Killed", key.String(), res)
}

// reportOp prints what a kill, restart or add did; any failed instance exits 4.
func reportOp(w io.Writer, did, key string, res workflows.OpResult) error {
	var ok, failed []int
	for _, id := range res.Instances {
		if _, bad := res.Failed[id]; bad {
			failed = append(failed, id)
		} else {
			ok = append(ok, id)
		}
	}
	if len(ok) > 0 {
		fmt.Fprintf(w, "%s instances %s of %s\n", did, jobkey.FormatInstances(ok), key)
	}
	if len(failed) == 0 {
		return nil
	}
	slices.Sort(failed)
	for _, id := range failed {
		fmt.Fprintf(w, "Instance %d failed: %s\n", id, res.Failed[id])
	}
	return errorf(ExitCommandFailure, "instances %s of %s failed", jobkey.FormatInstances(failed), key)
}
