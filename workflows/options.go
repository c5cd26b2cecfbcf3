package workflows

import (
	"time"

	"github.com/borealis-dev/borealis/taskapi"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Activity errors that retrying cannot fix (taskapi.ErrType*).
var nonRetryable = []string{taskapi.ErrTypeInvalidTask, taskapi.ErrTypeConflict}

// retryForever retries with back-off until the activity succeeds or fails
// for good: Docker being unreachable is waited out, never a reason to lose a task.
var retryForever = &temporal.RetryPolicy{
	InitialInterval:        time.Second,
	BackoffCoefficient:     2,
	MaximumInterval:        30 * time.Second,
	NonRetryableErrorTypes: nonRetryable,
}

var (
	// shortActivity is for quick Docker calls (reconcile, remove). They
	// heartbeat, so a dead worker's call is retried within HeartbeatTimeout.
	shortActivity = workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy:         retryForever,
	}
	// startActivity creates and starts a container; StartTask adopts what an
	// earlier attempt made, so retries are safe, and heartbeats, so a start
	// cut short by a worker crash is retried within seconds.
	startActivity = workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		RetryPolicy:         retryForever,
	}
	// longActivity waits (for an exit, or across many health checks) and
	// heartbeats; a dead worker is noticed within HeartbeatTimeout.
	longActivity = workflow.ActivityOptions{
		StartToCloseTimeout: 10 * 365 * 24 * time.Hour,
		HeartbeatTimeout:    15 * time.Second,
		RetryPolicy:         retryForever,
	}
	// stopActivity's StartToCloseTimeout is set per task from its lifecycle
	// waits and finalization_wait.
	stopActivity = workflow.ActivityOptions{
		HeartbeatTimeout: 15 * time.Second,
		RetryPolicy:      retryForever,
	}
)

// activityOptions are options for an activity that must finish within
// startToClose and heartbeats within heartbeat, retried until it succeeds.
func activityOptions(startToClose, heartbeat time.Duration) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: startToClose,
		HeartbeatTimeout:    heartbeat,
		RetryPolicy:         retryForever,
	}
}
