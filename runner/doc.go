// Package runner is Borealis's in-container task runner, Apache Aurora's
// Thermos in miniature. The worker writes a [TaskSpec] to [SpecFile] in the
// task's sandbox; borealis-runner (cmd/borealis-runner), the container's
// entrypoint, reads it with [LoadSpec] and runs it with [Runner]. The package
// imports the standard library only, so the runner stays a small static
// binary.
//
// # Processes
//
// Each run of a process is `/bin/sh -c <cmdline>` in its own process group,
// in the sandbox, with the runner's environment and stdin from /dev/null. Its
// stdout and stderr are appended to <sandbox>/.logs/<name>.stdout and
// .stderr and copied, whole lines and unprefixed, to the runner's own stdout
// and stderr, so `docker logs` shows them.
//
// Processes without order constraints run in parallel, at most
// max_concurrency at a time (0 = unlimited). In an order [a, b], b starts
// only after a succeeded. A run that exits 0 makes the process SUCCESS, or
// WAITING to run again after min_duration seconds for a daemon. A run that
// fails (non-zero exit, a signal, or a command that could not start) counts a
// failure; the process is FAILED after max_failures of them (0 = retry
// forever) and otherwise runs again min_duration seconds after the failed run
// ended.
//
// # Task outcome
//
// The task is SUCCESS when every non-ephemeral regular process succeeded;
// ephemeral processes still running then are stopped. It is FAILED when
// max_failures non-ephemeral processes have failed (0 = unlimited), or when
// no remaining non-ephemeral process can succeed any more (each is failed or
// behind a failed one); running processes are then stopped. Final processes
// run after that, in their own order constraints, whatever the outcome; their
// own outcome does not change the task's. Stopping means SIGTERM to the
// process group, then SIGKILL after the grace ([Runner.KillGrace], 5 s,
// bounded by finalization_wait).
//
// SIGTERM or SIGINT (cancelling the context given to [Runner.Run]) before the
// outcome is known makes the task KILLED: regular processes are stopped,
// final processes run, and finalization_wait seconds after the signal
// whatever still runs is SIGKILLed. After a natural outcome the same budget
// counts from the outcome, and a later signal does not change it.
//
// # Exit codes
//
//   - 0 ([ExitSuccess]): the task succeeded.
//   - 1 ([ExitFailed]): the task failed.
//   - 2 ([ExitBadSpec]): the spec could not be read or is invalid, or the
//     sandbox is unusable; nothing ran. The reason is on stderr.
//   - 143 ([ExitTerminated]): SIGTERM or SIGINT arrived before the task
//     succeeded.
//
// # State file
//
// [StateFile] holds a JSON [State], rewritten atomically (temporary file and
// rename) on every change:
//
//	{
//	  "task_id": "...", "state": "ACTIVE|SUCCESS|FAILED|KILLED",
//	  "finalizing": true, "failed_processes": 0, "runner_pid": 1,
//	  "start_time_ms": 0, "terminate_time_ms": 0, "finish_time_ms": 0,
//	  "exit_code": 0,
//	  "processes": [{
//	    "name": "hello", "state": "WAITING|RUNNING|SUCCESS|FAILED|KILLED",
//	    "final": false, "ephemeral": false, "daemon": false,
//	    "runs": 1, "failures": 0, "exit_code": 0, "signal": 0,
//	    "start_time_ms": 0, "finish_time_ms": 0, "next_run_time_ms": 0,
//	    "pid": 7, "error": ""
//	  }]
//	}
//
// Times are Unix milliseconds; empty fields are omitted. The task state is
// written as soon as it is known, before final processes run; finish_time_ms
// and exit_code appear when the runner is done.
//
// # Zombies
//
// The runner is often PID 1 in its container. [Runner.ReapOrphans] (set by
// borealis-runner, which also makes itself a child subreaper when it is not
// PID 1) reaps every child, orphans included.
package runner
