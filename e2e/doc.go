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
// The package has no code besides its tests.
package e2e
