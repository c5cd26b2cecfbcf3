package cli

import (
	"context"

	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/workflows"
)

// jobCheck is what openJob asks Temporal about the job once connected.
type jobCheck int

const (
	// checkNothing asks nothing: the command's own first request to the
	// job (a snapshot, an update, ...) reports an unknown job.
	checkNothing jobCheck = iota
	// checkExists fails with exit 4 when the job has no workflow
	// (tc.jobExists); it needs no worker.
	checkExists
	// checkQuery reads the job's record (tc.queryJob): an unknown job exits
	// 4, and no worker polling fails at once; the record is openedJob.View.
	checkQuery
)

// openJobOptions says how openJob reads a command's job argument and what it
// checks before handing the connection over.
type openJobOptions struct {
	// Instances reads the argument as KEY[/INSTANCES]
	// (jobkey.ParseInstanceSpec) instead of KEY (jobkey.Parse).
	Instances bool
	// Check is what to ask Temporal about the job once connected.
	Check jobCheck
	// Before, when set, runs after the argument is parsed and before
	// Temporal is dialed: the checks of the command's other arguments and
	// flags, so that they fail with their own exit code (and without a
	// Temporal server) after a bad job key but before anything else. Its
	// error is returned as it is.
	Before func(key jobkey.Key, ids []int) error
}

// openedJob is the job a command works on, as openJob found it.
type openedJob struct {
	Key jobkey.Key
	// IDs are the instances the argument names (Instances only); nil when
	// it names the whole job.
	IDs []int
	// View is the job's record (checkQuery only).
	View workflows.JobView
}

// openJob is the preamble of the commands that act on one job: it parses
// arg (a bad key or instance list exits 6), runs o.Before, connects to
// Temporal (a.dial: no server exits 7) and runs o.Check on the job. On
// success the caller owns the connection and closes it:
//
//	tc, job, err := a.openJob(ctx, arg, openJobOptions{Check: checkExists})
//	if err != nil {
//		return err
//	}
//	defer tc.Close()
//
// On failure the connection, if one was made, is already closed.
func (a *app) openJob(ctx context.Context, arg string, o openJobOptions) (*temporalConn, openedJob, error) {
	var job openedJob
	var err error
	if o.Instances {
		job.Key, job.IDs, err = jobkey.ParseInstanceSpec(arg)
	} else {
		job.Key, err = jobkey.Parse(arg)
	}
	if err != nil {
		return nil, openedJob{}, withCode(ExitInvalidParameter, err)
	}
	if o.Before != nil {
		if err := o.Before(job.Key, job.IDs); err != nil {
			return nil, openedJob{}, err
		}
	}
	tc, err := a.dial(ctx)
	if err != nil {
		return nil, openedJob{}, err
	}
	k := job.Key.String()
	switch o.Check {
	case checkExists:
		err = tc.jobExists(ctx, k)
	case checkQuery:
		job.View, err = tc.queryJob(ctx, k)
		if err == nil && job.View.Refused != "" {
			err = errorf(ExitCommandFailure, "job %s was refused by the worker and has no instances: %s", k, job.View.Refused)
		}
	}
	if err != nil {
		tc.Close()
		return nil, openedJob{}, err
	}
	return tc, job, nil
}
