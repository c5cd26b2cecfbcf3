package workflows

import (
	"time"

	"github.com/borealis-dev/borealis/config"
)

// AwaitSLAName is the registered name of the activity that tells whether a
// job keeps its SLA without one of its instances (package sla runs it).
const AwaitSLAName = "AwaitSLA"

// SLAInput asks whether instance Instance of job JobKey may stop now.
type SLAInput struct {
	JobKey   string `json:"job_key"`
	Instance int    `json:"instance"`
	// Policy is the job's sla_policy that applies (docs/concepts.md).
	Policy config.SlaPolicy `json:"policy"`
	// Production is true for a production job (production = True or tier
	// preferred); the count and percentage policies are checked only for
	// those, unless the worker says otherwise.
	Production bool `json:"production"`
	// Going lists the instances the update has already let go and not yet
	// seen back: they are not counted as up, whatever their status says.
	Going []int `json:"going,omitempty"`
	// Wait makes the activity ask again every sla.check_interval until the
	// instance may go; without it, it answers after one check.
	Wait bool `json:"wait,omitempty"`
}

// SLAVerdict is the answer to an SLAInput.
type SLAVerdict struct {
	Allowed bool `json:"allowed"`
	// Reason says why, in words for update info and the Web UI.
	Reason string `json:"reason"`
}

// Activity options of AwaitSLA: one check answers within a minute (a
// coordinator's answer included); a wait heartbeats until it may go.
var (
	slaCheckActivity = activityOptions(time.Minute, 0)
	slaWaitActivity  = activityOptions(10*365*24*time.Hour, 30*time.Second)
)

// slaGate is where an instance of an SLA-aware update stands.
type slaGate int

const (
	// gateNone: nothing to wait for (not SLA-aware, or its request went out).
	gateNone slaGate = iota
	// gateWaiting: waiting for the SLA to let its task stop.
	gateWaiting
	// gateCleared: the SLA lets it go; its request goes out next.
	gateCleared
)
