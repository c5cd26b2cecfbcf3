package cli

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/borealis-dev/borealis/config"
	"github.com/borealis-dev/borealis/taskapi"
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
		Long: `Open a shell in the sandbox of an instance's container with docker exec.
The task's worker reports the container and the Docker Engine it runs on;
when this machine cannot reach that engine, the error names the host to run
the command on.`,
		Example: `  borealis task ssh devcluster/www-data/prod/hello/0
  borealis task ssh devcluster/www-data/prod/hello/0 --command 'cat .healthchecksnooze'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runTaskSSH(cmd.Context(), a, o, args[0]) },
	}
	cmd.Flags().StringVarP(&o.command, "command", "c", "", "run this command instead of an interactive shell")
	return cmd
}

func runTaskSSH(ctx context.Context, a *app, o taskSSHOptions, spec string) error {
	tc, key, id, err := a.openInstance(ctx, "task ssh", spec)
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
	tio, err := tc.taskIO(ctx)
	if err != nil {
		return err
	}
	loc, err := tio.Locate(ctx, t.TaskID)
	if err != nil {
		return taskIOError(err)
	}
	if !loc.Running {
		return errorf(ExitCommandFailure, "instance %d of %s has no running container", id, key)
	}
	if err := reachable(ctx, loc); err != nil {
		return errorf(ExitCommandFailure, "instance %d of %s runs on host %s, whose Docker Engine at %s this machine cannot reach (%v): run borealis task ssh %s on %s",
			id, key, loc.Hostname, loc.Endpoint, err, spec, loc.Hostname)
	}
	command := ""
	if o.command != "" {
		command = config.FillHostname(config.FillLaunchTemplates(o.command, t.InstanceID, t.TaskID, t.AssignedPorts), loc.TaskHost)
	}
	docker := exec.CommandContext(ctx, "docker", dockerExecArgs(loc, command, isTerminal(a.in))...)
	docker.Stdin, docker.Stdout, docker.Stderr = a.in, a.out, a.err
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

// reachable says why this machine cannot reach the Docker Engine at
// loc.Endpoint, or nil when it can: a Unix socket only on the worker's own
// host, a TCP address when it answers.
func reachable(ctx context.Context, loc taskapi.TaskLocation) error {
	u, err := url.Parse(loc.Endpoint)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "unix":
		if host, _ := os.Hostname(); host != loc.Hostname {
			return errors.New("a Unix socket of another host")
		}
		_, err := os.Stat(u.Path)
		return err
	case "tcp", "http", "https":
		dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		conn, err := (&net.Dialer{}).DialContext(dctx, "tcp", u.Host)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	return nil // ssh:// and the like: docker knows how to get there
}

// dockerExecArgs are the arguments of `docker exec` for a shell in the
// task's sandbox, on the worker's Docker Engine, as the task's user (the
// container's): interactive, with a terminal when stdin is one, or running
// command.
func dockerExecArgs(loc taskapi.TaskLocation, command string, tty bool) []string {
	args := []string{"--host", loc.Endpoint, "exec", "-i", "-w", loc.WorkDir}
	if tty && command == "" {
		args = append(args, "-t")
	}
	args = append(args, loc.ContainerID, "/bin/sh")
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
