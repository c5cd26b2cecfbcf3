// Package harness drives Borealis as a user does, for the end-to-end (e2e/)
// and fault-injection (faults/) suites: the real built programs, a Temporal
// dev server, bin/borealis-worker as a separate process (which a test may
// kill with SIGKILL and start again), real Docker, and bin/borealis run as a
// process whose exit codes and --write-json output are decoded strictly.
//
// Setup makes an Env a suite shares; Env.NewCluster gives each test its own
// worker, task queue, data directory and host port range, and cleans up
// every container of the jobs it named. Mismatch and Cluster.Consistent
// check that Docker runs exactly the active tasks' containers; the update
// helpers (Demo, Cluster.Info, Cluster.Settled, ...) drive and check rolling
// updates of the demo image. It is for tests only.
package harness
