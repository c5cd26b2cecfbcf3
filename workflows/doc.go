// Package workflows holds Borealis's durable workflows: a job workflow per
// job (job*.go), an instance workflow per instance, the only owner of its
// task containers (instance*.go), and an update workflow per job update
// (update*.go, with plan.go and strategy.go).
//
// Workflow code here is deterministic: no clock, I/O, randomness or
// goroutines outside the SDK's own. Side effects live in activities (their
// names and types in package taskapi), keyed by ids the workflows make.
// Workflows talk to each other by signals carrying a request key, sent with
// send (messages.go); each side drops keys it has seen and carries the seen
// keys across continue-as-new. The CLI uses Temporal updates and queries.
package workflows
