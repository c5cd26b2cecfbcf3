package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/dockerrun"
	"github.com/borealis-dev/borealis/workflows"
)

type taskSSHOptions struct {
	command string
}

func newTaskSSHCommand(a *app) *cobra.Command {
	var o taskSSHOptions
	cmd := &cobra.Command{
		Use:   "ssh KEY/INSTANCE",
		Short: "Open a shell in the sandbox of an instance's container",
		Example: `  borealis task ssh devcluster/www-data/prod/hello/0
  borealis task ssh devcluster/www-data/prod/hello/0 --command 'cat .healthchecksnooze'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runTaskSSH(cmd.Context(), a, o, args[0]) },
	}
	cmd.Flags().StringVarP(&o.command, "command", "c", "", "run this command instead of an interactive shell")
	return cmd
}

func runTaskSSH(ctx context.Context, a *app, o taskSSHOptions, spec string) error {
	key, id, err := singleInstance("task ssh", spec)
	if err != nil {
		return err
	}
	tc, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	s, err := tc.instanceStatus(ctx, key.String(), id)
	if err != nil {
		return err
	}
	t := s.Active
	if t == nil || t.ContainerID == "" || (t.Status != workflows.StatusRunning && t.Status != workflows.StatusStarting) {
		return errorf(ExitCommandFailure, "instance %d of %s has no running task", id, key)
	}
	command := ""
	if o.command != "" {
		command = dockerrun.FillTemplates(o.command, t.InstanceID, t.TaskID, t.AssignedPorts)
	}
	args := dockerExecArgs(dockerrun.ContainerName(t.TaskID), command, isTerminal(a.in))
	docker := exec.CommandContext(ctx, "docker", args...)
	docker.Stdin, docker.Stdout, docker.Stderr = a.in, a.out, a.err
	if st := tc.st; st.DockerHost != "" {
		docker.Env = append(os.Environ(), "DOCKER_HOST="+st.DockerHost)
	}
	err = docker.Run()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return errorf(ExitCommandFailure, "shell in instance %d of %s exited with status %d", id, key, exitErr.ExitCode())
	}
	if err != nil {
		return errorf(ExitCommandFailure, "docker exec: %v", err)
	}
	return nil
}

// dockerExecArgs are the arguments of `docker exec` for a shell in the
// task's sandbox, as the task's user (the container's): interactive, with a
// terminal when stdin is one, or running command.
func dockerExecArgs(container, command string, tty bool) []string {
	args := []string{"exec", "-i", "-w", dockerrun.SandboxMountPath}
	if tty && command == "" {
		args = append(args, "-t")
	}
	args = append(args, container, "/bin/sh")
	if command != "" {
		args = append(args, "-c", command)
	}
	return args
}

// isTerminal reports whether r is a terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
