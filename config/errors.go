package config

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one configuration problem: Path names the field
// (jobs[0].task.processes[1].cmdline) or, for errors in an Aurora file's
// code, the position (hello.aurora:3:9).
type FieldError struct {
	Path string
	Msg  string
}

func (e FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors is every problem found in a configuration. It is the error type of
// Load, LoadBytes, Validate and SelectJob; use errors.As to get at it.
type Errors struct {
	List []FieldError
}

// Add records a problem at path.
func (e *Errors) Add(path, format string, args ...any) {
	e.List = append(e.List, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Len is the number of problems recorded.
func (e *Errors) Len() int {
	if e == nil {
		return 0
	}
	return len(e.List)
}

// Err returns e when it holds a problem, else nil.
func (e *Errors) Err() error {
	if e.Len() == 0 {
		return nil
	}
	return e
}

// Error is one problem per line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.List))
	for i, fe := range e.List {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns each problem as a FieldError, for errors.As and errors.Is.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.List))
	for i, fe := range e.List {
		errs[i] = fe
	}
	return errs
}

// IsConfigError reports whether err is (or wraps) an invalid configuration,
// which the command line reports with exit code 3.
func IsConfigError(err error) bool {
	var ce *Errors
	return errors.As(err, &ce)
}
