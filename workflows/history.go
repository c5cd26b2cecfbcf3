package workflows

import "sync/atomic"

// Bounds on how long a workflow's history grows and what it remembers.
const (
	// defaultHistoryLimit is the history length (events) past which a run
	// continues as new (an instance's at the next task or while a task
	// runs, a job's once no operation is under way).
	defaultHistoryLimit = 1000
	// keepSeen is how many request (or record) keys a workflow remembers
	// handling, to drop duplicates.
	keepSeen = 200
)

// historyLimit is defaultHistoryLimit; tests lower it to make a run
// continue as new at a moment they choose.
var historyLimit atomic.Int64

func init() { historyLimit.Store(defaultHistoryLimit) }

// historyFullAt reports whether a run whose history has n events is long
// enough to continue as new.
func historyFullAt(n int) bool { return int64(n) > historyLimit.Load() }
