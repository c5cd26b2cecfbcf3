package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/workflows"
)

// jobStatusOptions are the flags of `job status`.
type jobStatusOptions struct {
	writeJSON bool
	// watch redraws the status every watchInterval until the job ends.
	watch         bool
	watchInterval time.Duration
	// intervalSet is true when --watch-interval was given.
	intervalSet bool
}

// Bounds of `job status --watch`.
const (
	defaultWatchInterval = 2 * time.Second
	minWatchInterval     = 100 * time.Millisecond
)

func newJobStatusCommand(a *app) *cobra.Command {
	var o jobStatusOptions
	cmd := &cobra.Command{
		Use:   "status CLUSTER[/ROLE[/ENV[/NAME]]]",
		Short: "Show the active and recent tasks of a job, or of every running job matching a pattern",
		Long: `Show the active and recent tasks of a job, or of every running job matching a pattern.

The argument is a job key, CLUSTER/ROLE/ENV/NAME, or a pattern as job list
takes it: each part a name or a glob (*, ?, [...]), missing parts matching
anything. A pattern shows the running jobs it matches, in key order; none
exits 6 (Found no jobs matching ...), or with --write-json prints [].

The CONFIG column names the config each task runs: the id of the update
that made it, or "initial" for the job's first config.

--watch shows the status again every --watch-interval until the job has
ended (a pattern: until no running job matches), or until Ctrl-C; both exit
0. On a terminal the status is redrawn in place; elsewhere a new block, after
a line with the time, is printed only when the status changed (how long ago
each task changed and how many health checks ran are left out, so that a
block is printed for a real change only). --watch does not go with
--write-json.`,
		Example: `  borealis job status devcluster/www-data/prod/hello
  borealis job status devcluster/www-data/prod/hello --watch
  borealis job status devcluster/www-data/prod/hello --write-json | jq '.[0].active[].status'
  borealis job status 'devcluster/*/prod/*' --write-json | jq -r '.[].job'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.intervalSet = cmd.Flags().Changed("watch-interval")
			return runJobStatus(cmd.Context(), a, o, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.writeJSON, "write-json", false, "print JSON (docs/semantics.md §6 shape)")
	cmd.Flags().BoolVar(&o.watch, "watch", false, "show the status again every --watch-interval until the job ends or Ctrl-C")
	cmd.Flags().DurationVar(&o.watchInterval, "watch-interval", defaultWatchInterval, "how often --watch reads the status again")
	return cmd
}

// check refuses flags that do not go together (exit 5, as an unknown flag)
// and a watch interval too short to be sensible (exit 6, a bad flag value).
func (o jobStatusOptions) check() error {
	switch {
	case o.watch && o.writeJSON:
		return errorf(ExitInvalidCommand, "--watch and --write-json do not go together: --watch redraws a table for people, --write-json prints one answer for scripts")
	case o.intervalSet && !o.watch:
		return errorf(ExitInvalidCommand, "--watch-interval goes with --watch")
	case o.watchInterval < minWatchInterval:
		return errorf(ExitInvalidParameter, "--watch-interval %s: want at least %s", o.watchInterval, minWatchInterval)
	}
	return nil
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
	// ConfigVersion is the config the task runs: the id of the update that
	// made it, "" for the job's first config.
	ConfigVersion string `json:"configVersion"`
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
		ConfigVersion: t.ConfigVersion,
	}
	for name, port := range t.AssignedPorts {
		out.AssignedPorts[name] = port
	}
	for _, e := range t.TaskEvents {
		out.TaskEvents = append(out.TaskEvents, taskEventJSON{Timestamp: e.Timestamp, Status: string(e.Status), Message: e.Message})
	}
	return out
}

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

func runJobStatus(ctx context.Context, a *app, o jobStatusOptions, arg string) error {
	ja, err := parseJobArg(arg)
	if err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.watch {
		return runJobStatusWatch(ctx, a, o, arg, ja)
	}
	if ja.pattern != nil {
		return runJobStatusPattern(ctx, a, o, *ja.pattern)
	}
	tc, job, err := a.openJob(ctx, ja.key, openJobOptions{})
	if err != nil {
		return err
	}
	defer tc.Close()
	statuses, err := tc.jobStatuses(ctx, []string{job.Key.String()}, !o.writeJSON)
	if err != nil {
		return err
	}
	a.printWebUI(tc.st, workflows.JobWorkflowID(job.Key.String()), o.writeJSON)
	if o.writeJSON {
		return printJSON(a.out, []statusJSON{toStatusJSON(statuses[0].snap)})
	}
	return printStatuses(a.out, statuses, statusLook{now: time.Now()})
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
	keys, err := tc.matchingJobKeys(ctx, match)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		msg := noJobsMatching(match)
		if o.writeJSON {
			fmt.Fprintln(a.err, msg)
			return printJSON(a.out, []statusJSON{})
		}
		return errorf(ExitInvalidParameter, "%s", msg)
	}
	statuses, err := tc.jobStatuses(ctx, keys, !o.writeJSON)
	if err != nil {
		return err
	}
	a.printWebUIAddress(webUIQuery(tc.st, runningJobsQuery()), o.writeJSON)
	if o.writeJSON {
		out := make([]statusJSON, len(statuses))
		for i, s := range statuses {
			out[i] = toStatusJSON(s.snap)
		}
		return printJSON(a.out, out)
	}
	return printStatuses(a.out, statuses, statusLook{now: time.Now()})
}

// noJobsMatching is Aurora's words for a pattern that matches no running job.
func noJobsMatching(match keyPattern) string {
	return "Found no jobs matching " + match.String()
}
