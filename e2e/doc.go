// Package e2e holds Borealis's end-to-end tests. They drive the real built
// programs as a user does: a Temporal dev server, bin/borealis-worker as a
// separate process (killed with SIGKILL to test crash recovery), real Docker,
// and bin/borealis run as a process whose exit codes and --write-json output
// are checked.
//
// The binaries come from $BOREALIS_BIN (make test sets it); without it,
// TestMain builds them into a temporary directory the way `make build` does.
// Either way TestMain runs images/build.sh, which is idempotent, so
// borealis/base:latest and borealis/demo:latest exist.
//
// The update tests (update_*_test.go) run services of borealis/demo:latest
// with real HTTP (or shell) health checks, drive updates through the CLI
// only, and check what really runs: each active task's container answers
// GET / on its http host port with its version, and Docker runs exactly
// the active tasks' containers. Some kill the worker (SIGKILL) or restart
// a Temporal dev server of their own mid-update. TestExamples runs every
// job file of examples/jobs.
//
// Tests run side by side (TestMain raises -parallel unless it is given);
// each has its own worker, task queue and host port range. Set
// E2E_WORKER_LOGS=DIR to keep every test's whole worker log in DIR.
//
// The package has no code besides its tests; the helpers they share with
// faults/ (clusters, workers, CLI runs, Docker/status consistency checks,
// cleanup) are in internal/harness.
package e2e
