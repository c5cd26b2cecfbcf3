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
// stdout and stderr are appended, by the runner, to
// <sandbox>/.logs/<name>.stdout and .stderr and copied, whole lines and
// unprefixed, to the runner's own stdout and stderr, so `docker logs` shows
// them. When the sandbox holds a [ProfileFile] (.thermos_profile) as a run
// starts, the shell sources it before the cmdline, as Thermos does.
//
// With a log_rotate ([LogRotation], Aurora's RotatePolicy) a log file never
// grows past max_bytes: the write that would take it past is cut there, the
// file becomes <name>.stdout.1, the older backups shift to .2, .3, ... up to
// .<backups> (the oldest is dropped), and a new file takes the rest. Without
// one the files grow for the task's life.
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
// A sandbox that outgrows the disk limit (below) also makes the task FAILED.
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
// `borealis-runner check` exits with the command's code, or 124 (timed
// out), 125 (called wrongly), 126 (could not start), 127 (no such
// command), 143 (SIGTERM or SIGINT): see [Check].
//
// # State file
//
// [StateFile] holds a JSON [State], rewritten atomically (temporary file and
// rename) on every change:
//
//	{
//	  "task_id": "...", "state": "ACTIVE|SUCCESS|FAILED|KILLED",
//	  "reason": "Disk limit exceeded.  Reserved 1024 bytes vs used 2048 bytes.",
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
// and exit_code appear when the runner is done. reason is set when the runner
// failed the task itself (the disk limit), not when its processes did.
//
// # Zombies
//
// The runner is often PID 1 in its container. [Runner.ReapOrphans] (set by
// borealis-runner, which also makes itself a child subreaper when it is not
// PID 1) reaps every child, orphans included.
//
// # Files and modes
//
// borealis-runner sets its umask to 007 ([Umask]) before anything else, so
// the task's processes make group-writable files that "other" cannot read.
// The runner makes its directories (.logs, .borealis when missing) 0770
// ([DirMode], keeping a setgid bit they inherit) and its state and log files
// 0640 ([FileMode]). It never changes what exists already: it works in a
// sandbox it can write to only through its group (a non-root worker owns the
// sandbox and shares it with the task's user through the worker's group).
//
// # Disk limit
//
// With disk_bytes > 0 the runner measures the sandbox (the sum of the sizes
// of its regular files, symbolic links not followed) every second
// ([Runner.DiskCheckInterval]) while the regular processes run. Once it holds
// more than disk_bytes the task is FAILED with the reason "Disk limit
// exceeded.  Reserved N bytes vs used M bytes." (Aurora's ResourceManager;
// [ReasonDiskLimit] begins it) in the state file: regular processes are
// stopped as for any failure, final processes run, and the exit code is 1.
//
// # Health checks
//
// `borealis-runner check [--timeout SECS] -- ARGV...` ([Check]) runs one
// shell health check inside the container: ARGV in its own process group,
// SIGKILLed as a whole at the timeout (exit code 124, [ExitCheckTimedOut]),
// so that a timed-out check leaves no process behind; `docker exec` cannot
// kill what it started. The worker runs every shell health check through it.
package runner
