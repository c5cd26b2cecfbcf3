// Package faults is Borealis's fault-injection suite. Like e2e/ it drives
// the real programs (internal/harness): a Temporal dev server, the worker as
// a process, real Docker and bin/borealis. Each test breaks something and
// checks that nothing is lost or duplicated:
//
//   - the worker killed with SIGKILL at random moments of a rolling update
//     (TestWorkerKills; math/rand, the seed is logged and FAULTS_SEED repeats it);
//   - the Temporal dev server restarted mid-update on the same database
//     (TestTemporalRestart);
//   - `docker kill` of a service's container over and over: every kill a
//     FAILED task and a restart, the flapping back-off growing to its cap,
//     the instance workflow's history bounded per run (TestDockerKills);
//   - Docker unreachable: a worker started with a dead endpoint exits
//     naming it (TestDockerUnreachableAtStart); a running worker whose
//     Docker socket (a proxy the test cuts and restores) goes away loses
//     and doubles nothing and recovers by itself (TestDockerCut);
//   - malformed configs (testdata/configs) and command lines, each refused
//     with a clear error and the right exit code (TestBadConfigs,
//     TestBadArguments);
//   - the security settings of every container Borealis made during the
//     suite (docker inspect), and foreign containers left untouched
//     (TestForeignContainers).
//
// The short version runs in `make test` (go test ./...); the long one
// (FAULTS_LONG=1 or -long, `make faults`) does more rounds and prints a
// summary table. The package has no code besides its tests.
package faults
