package dockerrun

import (
	"context"
	"errors"
	"fmt"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/client"
)

// Error kinds. Every error a runtime returns wraps at most one of them; test
// with errors.Is.
var (
	// ErrNotFound: the task, container or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the name is taken by a container that is not this task's
	// (a foreign container), or the container is in a state that forbids
	// the operation (exec in a stopped container).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request can never succeed as it is (bad spec, missing
	// image); retrying does not help.
	ErrInvalid = errors.New("invalid")
	// ErrUnavailable: the Docker daemon cannot be reached.
	ErrUnavailable = errors.New("docker unavailable")
)

// Error is the error type of this package: an operation on a task failed.
// It unwraps to its kind and to the underlying (Docker) error.
type Error struct {
	// Op is the operation, like "start" or "stop".
	Op string
	// TaskID is the task the operation was about, if any.
	TaskID string
	// Kind is one of ErrNotFound, ErrConflict, ErrInvalid, ErrUnavailable,
	// or nil when the error is unclassified.
	Kind error
	// Msg says what went wrong, for the user.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("dockerrun: ")
	b.WriteString(e.Op)
	if e.TaskID != "" {
		fmt.Fprintf(&b, " task %q", e.TaskID)
	}
	if e.Msg != "" {
		b.WriteString(": ")
		b.WriteString(e.Msg)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the kind and the underlying error, for errors.Is and
// errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// newError makes an *Error of the given kind without an underlying error.
func newError(op, taskID string, kind error, format string, args ...any) *Error {
	return &Error{Op: op, TaskID: taskID, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// wrap classifies err (usually from the Docker client) and wraps it with
// the operation, the task id and a message. It returns nil for nil.
func wrap(op, taskID string, err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) && format == "" {
		return err
	}
	msg := ""
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Op: op, TaskID: taskID, Kind: classify(err), Msg: msg, Err: err}
}

// classify maps a Docker client error to an error kind, or nil.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict),
		errors.Is(err, ErrInvalid), errors.Is(err, ErrUnavailable):
		return nil // already classified; the kind is in the chain
	case client.IsErrConnectionFailed(err), cerrdefs.IsUnavailable(err):
		return ErrUnavailable
	case cerrdefs.IsNotFound(err):
		return ErrNotFound
	case cerrdefs.IsConflict(err), cerrdefs.IsAlreadyExists(err):
		return ErrConflict
	case cerrdefs.IsInvalidArgument(err), cerrdefs.IsNotImplemented(err),
		cerrdefs.IsPermissionDenied(err), cerrdefs.IsUnauthorized(err):
		return ErrInvalid
	}
	return nil
}

// Retryable reports whether trying the failed operation again may succeed:
// true when the daemon was unavailable or failed in an unclassified way
// (an internal error, a timeout); false for nil, for ErrNotFound, ErrConflict
// and ErrInvalid, and when the context was canceled.
func Retryable(err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrUnavailable):
		return true
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrInvalid),
		errors.Is(err, context.Canceled):
		return false
	}
	return true
}

// IsNotFound reports whether err is of kind ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err is of kind ErrConflict.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }
