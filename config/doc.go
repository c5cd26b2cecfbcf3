// Package config loads Borealis job configurations: Apache Aurora's job model
// (docs/semantics.md §1) written as Aurora files (*.aurora, Python-like code run with
// Starlark), YAML (*.yaml, *.yml) or JSON (*.json).
//
// [Load] and [LoadBytes] return typed [Job] values with Aurora's defaults
// applied (defaults.go), every {{...}} template resolved except the launch-time
// ones ({{mesos.instance}}, {{mesos.hostname}}, {{thermos.task_id}}, {{thermos.ports[NAME]}}), and
// every job validated. Every problem found is reported at once as an [*Errors]
// value whose entries carry the field path, for example
//
//	jobs[0].update_config.batch_size: must be > 0
//
// [IsConfigError] tells such errors apart so a command line can exit with
// code 3.
//
// The package knows nothing about Temporal or Docker; the rest of Borealis
// gets the typed model only.
package config
