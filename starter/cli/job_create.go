package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/starter/progress"
	"github.com/borealis-dev/borealis/workflows"
)

// pollInterval is how often --wait-until asks the instances for their status.
const pollInterval = 500 * time.Millisecond

type jobCreateOptions struct {
	jobConfigFlags
	waitUntil string
	timeout   time.Duration
	writeJSON bool
}

// jobCreateJSON is `job create --write-json` (docs/semantics.md §6.4): the
// job created, its number of instances, the worker's warnings about its
// config, and whether a worker admitted it (false: none was polling yet).
type jobCreateJSON struct {
	Job       string   `json:"job"`
	Instances int      `json:"instances"`
	Warnings  []string `json:"warnings"`
	Admitted  bool     `json:"admitted"`
}

func newJobCreateCommand(a *app) *cobra.Command {
	var o jobCreateOptions
	cmd := &cobra.Command{
		Use:   "create KEY CONFIG",
		Short: "Create a job from a config file and start its instances",
		Example: `  borealis job create devcluster/www-data/prod/hello examples/jobs/hello_world.aurora
  borealis job create devcluster/www-data/prod/hello examples/jobs/hello_world.yaml --wait-until RUNNING --timeout 2m
  borealis job create devcluster/www-data/prod/hello examples/jobs/hello_world.yaml --write-json | jq .warnings`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runJobCreate(cmd.Context(), a, o, args[0], args[1])
		},
	}
	o.add(cmd)
	cmd.Flags().StringVar(&o.waitUntil, "wait-until", "", "wait until every instance is PENDING, RUNNING or FINISHED")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 0, "give up waiting after this long (exit 9); 0 waits forever")
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print the job created as one JSON object (with --wait-until, once the wait ends); the rest goes to stderr")
	return cmd
}

func runJobCreate(ctx context.Context, a *app, o jobCreateOptions, keyArg, path string) error {
	state := strings.ToUpper(o.waitUntil)
	switch workflows.TaskStatus(state) {
	case "", workflows.StatusPending, workflows.StatusRunning, workflows.StatusFinished:
	default:
		return errorf(ExitInvalidParameter, "--wait-until %q: want PENDING, RUNNING or FINISHED", o.waitUntil)
	}
	// The job must not exist yet: creating it is the check.
	var job *config.Job
	tc, _, err := a.openJob(ctx, keyArg, openJobOptions{Before: func(jobkey.Key, []int) error {
		var err error
		if job, err = o.loadJob(keyArg, path); err == nil && job.IsCron() {
			err = errorf(ExitCommandFailure, `Cron jobs may only be scheduled with "borealis cron schedule" command.`)
		}
		return err
	}})
	if err != nil {
		return err
	}
	defer tc.Close()

	key := job.Key()
	st := tc.st
	id := workflows.JobWorkflowID(key)
	run, err := tc.startJob(ctx, *job, "job "+key)
	if err != nil {
		return err
	}
	// The worker checks the job before any instance starts; a refusal is
	// this command's failure (exit 3).
	notes := a.notesOut(o.writeJSON)
	printWarnings(a.err, o.warnings)
	out := jobCreateJSON{Job: key, Instances: job.Instances, Warnings: append([]string{}, o.warnings...)}
	verdict, err := tc.awaitAdmission(ctx, key, run.GetRunID(), o.timeout)
	switch {
	case errors.Is(err, errNoWorkerToAdmit):
		fmt.Fprintf(notes, "Job create succeeded: %s (%d instances)\n", key, job.Instances)
		a.printWebUI(st, id, o.writeJSON)
		a.warnNoWorker(ctx, tc, a.err)
		fmt.Fprintf(a.err, "Warning: the job starts once a worker has admitted it; borealis job status %s shows a refusal\n", key)
		err = nil
	case err != nil:
		a.printWebUI(st, id, o.writeJSON)
		return err
	default:
		printWarnings(a.err, verdict.Warnings)
		fmt.Fprintf(notes, "Job create succeeded: %s (%d instances)\n", key, job.Instances)
		a.printWebUI(st, id, o.writeJSON)
		out.Admitted = true
		out.Warnings = append(out.Warnings, verdict.Warnings...)
	}
	if state != "" {
		rep := progress.New(notes)
		err = waitForJob(ctx, tc, key, workflows.TaskStatus(state), o.timeout, rep)
		rep.Done()
		if err == nil {
			fmt.Fprintf(notes, "Every instance of %s reached %s\n", key, state)
		}
	}
	if o.writeJSON {
		// The job exists whatever the wait gave: scripts get the object, and
		// the exit code says whether the wait succeeded.
		if jerr := printJSON(a.out, out); jerr != nil && err == nil {
			err = jerr
		}
	}
	return err
}

// startJob starts the workflow of a new job; one that exists exits 4.
func (tc *temporalConn) startJob(ctx context.Context, job config.Job, summary string) (client.WorkflowRun, error) {
	key := job.Key()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       workflows.JobWorkflowID(key),
		TaskQueue:                                tc.st.Temporal.TaskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(workflows.JobKeyAttribute.ValueSet(key)),
		StaticSummary:                            summary,
	}, workflows.JobWorkflowName, workflows.JobInput{Job: job})
	var exists *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &exists) {
		return nil, errorf(ExitCommandFailure, "job %s already exists", key)
	}
	if err != nil {
		return nil, tc.temporalError(err, "create job "+key)
	}
	return run, nil
}

// waitForJob polls the job's instances until every one reached state
// (docs/semantics.md §6 --wait-until), the timeout passed (exit 9) or state can no
// longer be reached (exit 4). Like Aurora, RUNNING is also reached by an
// instance that has finished for good.
func waitForJob(ctx context.Context, tc *temporalConn, key string, state workflows.TaskStatus, timeout time.Duration, rep progress.Reporter) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	var last error
	for {
		snap, err := tc.snapshot(ctx, key, snapshotOptions{})
		if err == nil {
			rep.Update(waitProgress(snap, state))
			done, err := reached(snap, state)
			if err != nil || done {
				return err
			}
			last = fmt.Errorf("%s", describeWait(snap, state))
		} else {
			// The workflows may not answer yet; try again until the timeout.
			last = err
		}
		select {
		case <-ctx.Done():
			return errorf(ExitTimeout, "timed out after %s waiting for %s to reach %s: %v", timeout, key, state, last)
		case <-ticker.C:
		}
	}
}

// reached reports whether every instance reached state, and an error when
// one never will.
func reached(snap *jobSnapshot, state workflows.TaskStatus) (bool, error) {
	all := true
	for _, s := range snap.instances {
		ok, err := instanceReached(s, state)
		if err != nil {
			return false, errorf(ExitCommandFailure, "instance %d of %s %v", s.InstanceID, snap.key, err)
		}
		all = all && ok
	}
	return all, nil
}

// instanceReached reports whether an instance reached state, and an error
// when it never will.
func instanceReached(s workflows.InstanceStatus, state workflows.TaskStatus) (bool, error) {
	switch state {
	case workflows.StatusPending:
		return s.Active != nil || s.Done, nil
	case workflows.StatusRunning:
		return s.Done || (s.Active != nil && s.Active.Status == workflows.StatusRunning), nil
	case workflows.StatusFinished:
		if !s.Done {
			return false, nil
		}
		if last := latestTask(s); last != nil && last.Status != workflows.StatusFinished {
			return false, fmt.Errorf("ended %s, not FINISHED", last.Status)
		}
	}
	return true, nil
}

// describeWait says which instances are not there yet.
func describeWait(snap *jobSnapshot, state workflows.TaskStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "not %s yet:", state)
	for _, s := range snap.instances {
		status := workflows.TaskStatus("none")
		if t := latestTask(s); t != nil {
			status = t.Status
		}
		fmt.Fprintf(&b, " %d=%s", s.InstanceID, status)
	}
	return b.String()
}
