package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"

	"go.temporal.io/api/serviceerror"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/jobkey"
	"github.com/borealis-dev/borealis/workflows"
)

// taskRuntime is what the task commands need of the container runtime.
type taskRuntime interface {
	Exec(ctx context.Context, taskID string, cmd []string) (int, string, error)
	Logs(ctx context.Context, taskID string, follow bool, w io.Writer) error
	Close() error
}

// openRuntime connects to the local Docker Engine the worker runs tasks on
// (SPEC §7: the CLI runs on the same machine).
func (a *app) openRuntime(ctx context.Context) (taskRuntime, error) {
	st, err := a.loadSettings()
	if err != nil {
		return nil, err
	}
	if st.DockerHost != "" {
		os.Setenv("DOCKER_HOST", st.DockerHost)
	}
	// The CLI starts no containers, so the runner binary is never mounted;
	// dockerrun only insists that it exists. Without one installed beside
	// the CLI, any executable (the CLI itself) does.
	runner := st.RunnerPath
	if _, err := os.Stat(runner); err != nil {
		if exe, err := os.Executable(); err == nil {
			runner = exe
		}
	}
	d, err := dockerrun.New(ctx, dockerrun.Options{
		Host:       st.Ports.HostAddress,
		PortRange:  dockerrun.PortRange{Min: st.Ports.Min, Max: st.Ports.Max},
		DataDir:    st.DataDir,
		RunnerPath: runner,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if errors.Is(err, dockerrun.ErrUnavailable) {
		return nil, errorf(ExitNetworkError, "no Docker Engine at %s: %v", st.DockerHost, err)
	}
	if err != nil {
		return nil, errorf(ExitCommandFailure, "docker at %s: %v", st.DockerHost, err)
	}
	return d, nil
}

// runtimeError gives a dockerrun failure its exit code.
func runtimeError(err error) error {
	if errors.Is(err, dockerrun.ErrUnavailable) {
		return withCode(ExitNetworkError, err)
	}
	return withCode(ExitCommandFailure, err)
}

// singleInstance parses KEY/INSTANCE naming exactly one instance.
func singleInstance(verb, spec string) (jobkey.Key, int, error) {
	key, ids, err := jobkey.ParseInstanceSpec(spec)
	if err != nil {
		return key, 0, withCode(ExitInvalidParameter, err)
	}
	if len(ids) != 1 {
		return key, 0, errorf(ExitInvalidParameter, "%s %s: name exactly one instance (KEY/INSTANCE)", verb, spec)
	}
	return key, ids[0], nil
}

// instanceStatus returns the status of one instance of a job, a killed
// one included (its workflow answers until the retention period ends).
func (tc *temporalConn) instanceStatus(ctx context.Context, key string, id int) (workflows.InstanceStatus, error) {
	if _, err := tc.queryJob(ctx, key); err != nil {
		return workflows.InstanceStatus{}, err
	}
	statuses, err := tc.queryInstances(ctx, key, []int{id}, false)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return workflows.InstanceStatus{}, errorf(ExitInvalidParameter, "job %s has no instance %d", key, id)
	}
	if err != nil {
		return workflows.InstanceStatus{}, err
	}
	return statuses[0], nil
}
