// Package taskio runs a task's input and output on the worker that owns the
// task: `borealis task run` (a command in the container), `task logs` (the
// container's output, in pages) and the container's location for
// `task ssh`. Each request is a short workflow the CLI starts on the
// worker's task queue; its one activity runs where the task's Docker Engine
// is, so the CLI needs neither the engine nor the task's sandbox.
package taskio
