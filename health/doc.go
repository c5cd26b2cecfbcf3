// Package health implements Borealis's health checking: Aurora's counting
// rules (docs/semantics.md §3) and the checkers that produce the outcomes they count.
//
// The package sits at the bottom of the import graph: it knows nothing of
// Temporal, Docker or the config package. Callers translate their own
// configuration into [Params], [HTTPChecker] and [ShellChecker], and give a
// [ShellChecker] an [Execer] that runs its command inside the task's
// container.
//
// A [Counter] is a pure, deterministic state machine. It is fed one
// [Outcome] per check through [Counter.Record] and reports the task's
// health [Status]: [StatusStarting] until enough consecutive checks pass,
// then [StatusRunning], or [StatusFailed], which is final. It never reads
// the clock: attempts are counted, not seconds, so the same outcomes always
// give the same statuses. Its [State] is a small JSON value that an activity
// can heartbeat and hand to [Restore] after a retry to resume the count.
//
// Checkers implement [Checker]:
//
//   - [HTTPChecker] GETs an endpoint on the task's health port and compares
//     the body and status code with what is expected.
//   - [ShellChecker] runs `/bin/sh -c <command>` through an [Execer].
//   - [None] is always healthy, for tasks with neither a health port nor a
//     shell checker.
//   - [SnoozeChecker] skips the wrapped checker while the file [SnoozeFile]
//     exists in the task's sandbox and reports a snoozed success instead.
//
// [Measure] times one check into a [CheckResult], and [History] keeps the
// last few results and the raw consecutive counts for status displays.
package health
