package taskapi

// Bounds of one ReadTaskLogs call.
const (
	// MaxLogPage bounds the bytes of one page (the runtime's bound,
	// dockerrun.MaxLogPage; a test checks they agree).
	MaxLogPage = 256 << 10
	// MaxLogWaitSecs bounds how long one call follows a log.
	MaxLogWaitSecs = 60
)

// LogCursor is where a read of a task's log resumes: after the first Skip
// entries stamped exactly Since (the engine's timestamp of an entry). The
// zero cursor is the log's start.
type LogCursor struct {
	Since string `json:"since,omitempty"`
	Skip  int    `json:"skip,omitempty"`
}

// LogsInput asks for one page of a task's log (`borealis task logs`).
type LogsInput struct {
	TaskID string    `json:"task_id"`
	Cursor LogCursor `json:"cursor"`
	// MaxBytes bounds the page (at most MaxLogPage).
	MaxBytes int `json:"max_bytes"`
	// WaitSecs > 0 follows a running task's log: the page returns once
	// full, once output paused, once the task ended, or after WaitSecs.
	WaitSecs float64 `json:"wait_secs,omitempty"`
}

// LogsPage is one page of a task's log, stdout and stderr in order.
type LogsPage struct {
	Data []byte    `json:"data,omitempty"`
	Next LogCursor `json:"next"`
	// Full says the page reached its bound: read the next one at once.
	Full bool `json:"full,omitempty"`
	// Ended says the task's container is not running and its whole log
	// has been read.
	Ended bool `json:"ended,omitempty"`
}

// LocateInput names the task whose container to locate.
type LocateInput struct {
	TaskID string `json:"task_id"`
}

// TaskLocation is where a task's container runs, as its worker found it
// after checking the container's labels: enough for an interactive
// `docker exec` from a machine that reaches the same Docker Engine.
type TaskLocation struct {
	ContainerID   string `json:"container_id"`
	ContainerName string `json:"container_name"`
	Running       bool   `json:"running"`
	// WorkDir is the task's sandbox inside the container.
	WorkDir string `json:"work_dir"`
	// Endpoint is the Docker Engine address the worker uses.
	Endpoint string `json:"endpoint"`
	// Hostname is the name of the machine the worker runs on.
	Hostname string `json:"hostname"`
	// TaskHost is the task's host as its cmdlines' {{mesos.hostname}} has
	// it: the worker's host.name, else Hostname.
	TaskHost string `json:"task_host,omitempty"`
}
