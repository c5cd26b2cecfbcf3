// Package dockerrun runs Borealis tasks as Docker containers and is the only
// package of Borealis that talks to the Docker Engine.
//
// A task is one run of a job instance (docs/semantics.md §4) and lives in exactly one
// container. Callers describe it with a [TaskSpec] and drive it through the
// small [Runtime] interface, which two types implement:
//
//   - [Docker], a thin wrapper over the Docker Engine API client
//     (github.com/docker/docker/client) with API version negotiation, so
//     engines from 20.10 to 28 work;
//   - [Fake], an in-memory runtime for unit tests of other packages.
//
// The container of a task is named after its task id ([ContainerName]), which
// the caller makes once per run, so every operation is idempotent: starting a
// task whose container exists adopts it and never creates a second one. Each
// container carries the labels [LabelJob], [LabelInstance], [LabelTask] and
// [LabelPorts] (docs/semantics.md §7.3); a container without them is foreign
// and is never stopped, removed, listed or adopted, whatever its name.
//
// The runner (package runner) is bind-mounted read-only at [RunnerMountPath]
// and is the container's entrypoint; its task spec is written into the task's
// sandbox, a host directory bind-mounted at [SandboxMountPath] and used as
// the working directory. Ports follow docs/semantics.md §2: every named port gets a free
// host port from a range and is published to the same container port number,
// which the processes learn through {{thermos.ports[NAME]}}
// ([github.com/borealis-dev/borealis/config.FillLaunchTemplates]) and the
// environment variable BOREALIS_PORT_<NAME> ([PortEnvName]).
//
// A task's log is read in pages ([Runtime.ReadLogs]), each resuming at the
// [LogCursor] the previous one returned, so that every page can be one
// short call from anywhere; [Runtime.Locate] tells where a task's container
// runs, for an interactive `docker exec` from elsewhere.
//
// # Task user and sandbox ownership
//
// A task's processes run as an unprivileged user (docs/semantics.md §7.5):
// [Options.TaskUID]:[Options.TaskGID] (0 means [DefaultTaskID], 65534,
// unless [Options.RootTasks]), or [TaskSpec.User] when set, with every
// capability dropped and no-new-privileges. The container's user is that
// "uid:gid", and Exec (`task run`, shell health checks) runs as the
// container's user with the container's supplementary groups, so as the
// same user and groups. The sandbox must stay usable by the task and
// readable and removable by the worker; how depends on who the worker is:
//
//   - Worker running as root (effective uid 0): the sandbox directory, its
//     .borealis directory and the spec file are chowned to the task's
//     uid:gid; the directories get mode 0750, the spec 0640. The task owns
//     its sandbox; the worker, root, reads and removes anything.
//   - Any other worker: the sandbox stays the worker's, with the worker's
//     effective gid as its group (set explicitly, whatever the data dir's
//     group); the directories get mode 02770 (setgid: whatever the task
//     makes inside keeps the worker's group), the spec 0640; the container
//     gets the worker's gid as a supplementary group (HostConfig.GroupAdd),
//     and the task writes through the group. The runner sets umask 007
//     (files 0640, dirs 0770), so the worker reads and removes what the
//     task made. A task that makes a file or directory without group
//     permissions defeats this, and the sweep then fails on it (it is
//     logged and retried). This assumes the engine does not remap users
//     (no userns-remap, no rootless Docker).
//
// # Docker parameters, labels and deployments
//
// [TaskSpec.Labels] are added to Borealis's labels (a "borealis." key is
// ErrInvalid), [TaskSpec.Mounts] become bind mounts (a relative path, or a
// container path of /, /sandbox or under /.borealis, is ErrInvalid), and
// [TaskSpec.WorkDir] is the container's working directory (the runner runs
// in /sandbox; its processes run in the runner spec's WorkDir, which the
// caller sets to the same). Checking them against policy is
// the caller's job. The container's Docker log is a json-file capped at
// [Options.LogMaxFiles] files of [Options.LogMaxBytes] (3 of 10 MiB).
//
// Every container also carries [LabelHost] ([Options.HostName]) and
// [LabelDeployment] ([Options.Deployment]) when they are set. With a
// deployment set, a runtime acts only on its own containers: List, Events,
// SweepSandboxes and SweepContainers skip another deployment's, and every
// operation by task id refuses one as ErrConflict, as a foreign container.
// A container without a [LabelDeployment] label (made before the label
// existed) counts as every deployment's, so that a worker upgraded in place
// keeps its running tasks. Host ports are picked away from the ports of
// every container on the engine, whatever its deployment.
//
// # Removing containers, keeping logs
//
// A task's container stays after the task ends, for Inspect and its log.
// Removing it (Remove, or [Docker.SweepContainers] for the containers that
// ended before a cutoff, which [Docker.SweepSandboxesEvery] runs with the
// sandbox retention) first saves its Docker log into the sandbox as
// [ContainerLogFile] (JSON lines with timestamp, stream and text, bounded
// by the log cap); ReadLogs reads that file once the container is gone,
// with the same cursors and paging. The sandbox, written to by the save,
// goes after another retention ([Docker.SweepSandboxes]).
//
// Errors are classified: test them with errors.Is against [ErrNotFound],
// [ErrConflict], [ErrInvalid] and [ErrUnavailable], and ask [Retryable]
// whether trying again may help.
package dockerrun
