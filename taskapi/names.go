package taskapi

// Names of the task activities as the worker registers them (the methods of
// activities.Activities). Workflows call activities by these names.
const (
	// StartTask creates and starts a task's container: StartTaskInput → StartTaskResult.
	StartTask = "StartTask"
	// WaitTask waits for a task's container to end: WaitTaskInput → WaitTaskResult.
	WaitTask = "WaitTask"
	// StopTask stops a task: StopTaskInput → StopTaskResult.
	StopTask = "StopTask"
	// WatchHealth health-checks a task: WatchHealthInput → WatchHealthResult,
	// heartbeating a HealthProgress after every check.
	WatchHealth = "WatchHealth"
	// Reconcile removes an instance's containers no task owns: ReconcileInput → ReconcileResult.
	Reconcile = "Reconcile"
	// RemoveTask removes an ended task's container: task id → nothing.
	RemoveTask = "RemoveTask"
	// ExecInTask runs a shell command in a task's container: ExecInput → ExecResult.
	ExecInTask = "ExecInTask"
	// ReadTaskLogs reads a page of a task's log: LogsInput → LogsPage.
	ReadTaskLogs = "ReadTaskLogs"
	// LocateTask finds a task's container: LocateInput → TaskLocation.
	LocateTask = "LocateTask"
	// AdmitJob checks a job config against the model's rules and the
	// worker's policy (allowed Docker parameters and host paths, the
	// instance cap): AdmitJobInput → AdmitJobResult, or a non-retryable
	// ErrTypeRefused error naming every problem.
	AdmitJob = "AdmitJob"
)
