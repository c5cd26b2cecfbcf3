// Package workflows holds Borealis's durable workflows: a job workflow per
// job, an instance workflow per instance (the only owner of its task
// containers) and, later, an update workflow per job update.
//
// Workflow code here is deterministic: no clock, I/O, randomness or
// goroutines outside the SDK's own. Side effects live in package activities,
// keyed by ids the workflows make. Workflows talk to each other by signals
// carrying a request key; each side drops keys it has seen and carries the
// seen keys across continue-as-new. The CLI uses Temporal updates and queries.
package workflows
