package workflows

import (
	"fmt"
	"strconv"
	"strings"
)

// Workflow type names as registered with the worker.
const (
	JobWorkflowName      = "JobWorkflow"
	InstanceWorkflowName = "InstanceWorkflow"
	UpdateWorkflowName   = "UpdateWorkflow"
	// CronRunWorkflowName is the workflow a cron job's schedule starts at
	// each scheduled time.
	CronRunWorkflowName = "CronRunWorkflow"
)

// Signal, query and update names.
const (
	// SignalInstanceRequest carries an InstanceRequest to an instance workflow.
	SignalInstanceRequest = "instance-request"
	// SignalInstanceReply carries an InstanceReply back to the requester.
	SignalInstanceReply = "instance-reply"

	// QueryInstanceStatus returns an InstanceStatus.
	QueryInstanceStatus = "status"
	// QueryJob returns a JobView.
	QueryJob = "job"

	// UpdateKill kills instances of a job (KillRequest).
	UpdateKill = "kill"
	// UpdateKillAll kills every instance and ends the job.
	UpdateKillAll = "killall"
	// UpdateRestart restarts instances batch by batch (RestartRequest).
	UpdateRestart = "restart"
	// UpdateAdd adds instances copied from one (AddRequest).
	UpdateAdd = "add"
	// UpdateStartUpdate starts a job update (StartUpdateRequest).
	UpdateStartUpdate = "start-update"
	// UpdateAdmission waits for a new job's admission: it answers the
	// worker's taskapi.AdmitJobResult, or fails with its
	// taskapi.ErrTypeRefused refusal.
	UpdateAdmission = "admission"

	// UpdateCronSchedule replaces a cron job's config (config.Job) and
	// answers the worker's taskapi.AdmitJobResult.
	UpdateCronSchedule = "cron-schedule"
	// UpdateCronDeschedule ends a cron job once no run is active; it
	// answers the job's CronView.
	UpdateCronDeschedule = "cron-deschedule"
	// SignalCronRun carries a CronRunRequest from a run workflow to its job.
	SignalCronRun = "cron-run"
	// SignalCronDone carries the CronRun a job ran back to the run workflow.
	SignalCronDone = "cron-done"
	// SignalCronInstanceEnded carries a CronInstanceEnded from an instance
	// of a cron run to its job.
	SignalCronInstanceEnded = "cron-instance-ended"

	// SignalRecord carries a RecordRequest from an update to its job.
	SignalRecord = "record"
	// SignalUpdateDone carries an UpdateDone from an update to its job.
	SignalUpdateDone = "update-done"

	// QueryUpdateInfo returns an update's UpdateInfo.
	QueryUpdateInfo = "info"
	// Operations on an update workflow (Temporal updates, no arguments).
	UpdatePause    = "pause"
	UpdateResume   = "resume"
	UpdateAbort    = "abort"
	UpdateRollback = "rollback"
	UpdatePulse    = "pulse"
)

// UpdateWorkflowID is the id of one update of a job: update/<key>/<update id>.
func UpdateWorkflowID(jobKey, updateID string) string {
	return "update/" + jobKey + "/" + updateID
}

// JobWorkflowID is the id of a job's workflow: job/<cluster/role/env/name>.
func JobWorkflowID(jobKey string) string { return "job/" + jobKey }

// CronScheduleID is the id of a cron job's Temporal Schedule: cron/<key>.
func CronScheduleID(jobKey string) string { return "cron/" + jobKey }

// CronRunWorkflowID is the id the schedule gives its run workflows; Temporal
// appends each run's scheduled time to it (cron/<key>/run-<time>).
func CronRunWorkflowID(jobKey string) string { return "cron/" + jobKey + "/run" }

// InstanceWorkflowID is the id of an instance's workflow: job/<key>/<instance>.
func InstanceWorkflowID(jobKey string, instance int) string {
	return "job/" + jobKey + "/" + strconv.Itoa(instance)
}

// ParseInstanceWorkflowID splits an instance workflow id into job key and instance.
func ParseInstanceWorkflowID(id string) (string, int, error) {
	rest, ok := strings.CutPrefix(id, "job/")
	i := strings.LastIndexByte(rest, '/')
	if !ok || i < 0 {
		return "", 0, fmt.Errorf("%q is not an instance workflow id", id)
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil {
		return "", 0, fmt.Errorf("%q is not an instance workflow id", id)
	}
	return rest[:i], n, nil
}
