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
// container carries the labels [LabelJob], [LabelInstance] and [LabelTask]
// (docs/semantics.md §7); a container without them is foreign and is never stopped,
// removed, listed or adopted, whatever its name.
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
// Errors are classified: test them with errors.Is against [ErrNotFound],
// [ErrConflict], [ErrInvalid] and [ErrUnavailable], and ask [Retryable]
// whether trying again may help.
package dockerrun
