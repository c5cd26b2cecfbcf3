// Package boundary holds the project's import rules and their test: which
// package may depend on which, read from `go list`, so that a forbidden
// import fails `make test` instead of slipping in.
package boundary
