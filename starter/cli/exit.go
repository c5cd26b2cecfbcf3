package cli

import (
	"errors"
	"fmt"
)

// Exit codes of docs/semantics.md §6, as Aurora's client uses them.
const (
	ExitOK               = 0
	ExitInvalidConfig    = 3
	ExitCommandFailure   = 4
	ExitInvalidCommand   = 5
	ExitInvalidParameter = 6
	ExitNetworkError     = 7
	ExitTimeout          = 9
	ExitUnknown          = 20
)

// ExitError carries the exit code a failed command ends with.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// withCode wraps err so the command exits with code.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: code, Err: err}
}

// errorf makes an error that exits with code.
func errorf(code int, format string, args ...any) error {
	return withCode(code, fmt.Errorf(format, args...))
}

// exitCode maps an error to its exit code; errors without one are
// invalid commands when cobra rejected the arguments, else unknown.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitUnknown
}
