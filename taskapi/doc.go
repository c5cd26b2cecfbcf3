// Package taskapi is the contract between the workflows, the CLI and the
// worker's task activities: the activities' registered names, their inputs
// and results, and the error types they fail with. It imports neither the
// activities nor the Docker SDK, so workflow code and the CLI can use it
// without becoming Docker clients.
package taskapi
