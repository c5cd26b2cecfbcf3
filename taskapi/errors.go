package taskapi

// Error types of the non-retryable (and some retryable) errors the
// activities return, for temporal.ApplicationError.Type().
const (
	// ErrTypeInvalidTask: the task can never start as configured (bad
	// spec, missing image). Not retryable.
	ErrTypeInvalidTask = "InvalidTask"
	// ErrTypeConflict: the task's container name is taken by a container
	// that is not Borealis's, or the container's state forbids the
	// operation. Not retryable.
	ErrTypeConflict = "Conflict"
	// ErrTypeNotFound: the task has no container where one is needed
	// (exec). Not retryable.
	ErrTypeNotFound = "NotFound"
	// ErrTypeInvalidHealthCheck: a health check spec that cannot run. Not
	// retryable.
	ErrTypeInvalidHealthCheck = "InvalidHealthCheck"
	// ErrTypeDockerUnavailable: the Docker daemon cannot be reached.
	// Retryable.
	ErrTypeDockerUnavailable = "DockerUnavailable"
	// ErrTypeDocker: another Docker failure. Retryable.
	ErrTypeDocker = "DockerError"
	// ErrTypeRefused: a job or update config the worker refuses (an
	// invalid model, a Docker parameter or host path its policy does not
	// allow, too many instances). Not retryable; the message names every
	// problem and the setting that decides it.
	ErrTypeRefused = "Refused"
)
