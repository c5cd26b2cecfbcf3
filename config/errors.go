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

// maxShown is how much of a value (a job key, a file's text) a message shows.
const maxShown = 200

// shorten cuts s for a message.
func shorten(s string) string {
	if len(s) <= maxShown {
		return s
	}
	return s[:maxShown] + "..."
}

// MaxProblems is how many problems an Errors keeps; past it they are only
// counted, so that a generated config with a mistake in each of its
// thousands of jobs gives a readable message and bounded work.
const MaxProblems = 1000

// maxMessage bounds a message made from a value (fail(x), an error quoting
// a huge string).
const maxMessage = 2000

// shortenMsg cuts a long message.
func shortenMsg(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return s[:maxMessage] + fmt.Sprintf("... (%d bytes more)", len(s)-maxMessage)
}

// Errors is every problem found in a configuration. It is the error type of
// Load, LoadBytes, Validate and SelectJob; use errors.As to get at it.
type Errors struct {
	List []FieldError
	// omitted counts the problems past MaxProblems, not kept in List.
	omitted int
}

// Add records a problem at path.
func (e *Errors) Add(path, format string, args ...any) {
	if len(e.List) >= MaxProblems {
		e.omitted++
		return
	}
	e.List = append(e.List, FieldError{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// add records a problem already made.
func (e *Errors) add(fe FieldError) {
	if len(e.List) >= MaxProblems {
		e.omitted++
		return
	}
	e.List = append(e.List, fe)
}

// Len is the number of problems recorded, the omitted ones included.
func (e *Errors) Len() int {
	if e == nil {
		return 0
	}
	return len(e.List) + e.omitted
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
	lines := make([]string, len(e.List), len(e.List)+1)
	for i, fe := range e.List {
		lines[i] = fe.Error()
	}
	if e.omitted > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more problems", e.omitted))
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
