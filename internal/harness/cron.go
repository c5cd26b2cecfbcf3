package harness

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// CronShow is `cron show --write-json` (docs/semantics.md §9).
type CronShow struct {
	Job             string      `json:"job"`
	CronSchedule    string      `json:"cron_schedule"`
	CollisionPolicy string      `json:"collision_policy"`
	Paused          bool        `json:"paused"`
	NextRuns        []time.Time `json:"next_runs"`
	Active          *CronRun    `json:"active"`
	Runs            []CronRun   `json:"runs"`
}

// CronRun is one run of a cron job as cron show prints it.
type CronRun struct {
	RunID     string            `json:"run_id"`
	Scheduled time.Time         `json:"scheduled"`
	Outcome   string            `json:"outcome"`
	Message   string            `json:"message"`
	Started   time.Time         `json:"started"`
	Ended     time.Time         `json:"ended"`
	Instances []int             `json:"instances"`
	Results   map[string]string `json:"results"`
	Kill      string            `json:"kill"`
}

func (s CronShow) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cron job %s (%s, %s)\n", s.Job, s.CronSchedule, s.CollisionPolicy)
	if s.Active != nil {
		fmt.Fprintf(&b, "  active: %s scheduled %s started %s\n", s.Active.RunID, s.Active.Scheduled.Format(time.RFC3339), s.Active.Started.Format(time.RFC3339Nano))
	}
	for _, r := range s.Runs {
		fmt.Fprintf(&b, "  run %s scheduled %s: %s %s (started %s, ended %s)\n", r.RunID, r.Scheduled.Format(time.RFC3339), r.Outcome, r.Message,
			r.Started.Format(time.RFC3339Nano), r.Ended.Format(time.RFC3339Nano))
	}
	return b.String()
}

// RunsScheduled are the runs (active or ended) scheduled for t.
func (s CronShow) RunsScheduled(t time.Time) []CronRun {
	var out []CronRun
	for _, r := range s.Runs {
		if r.Scheduled.Equal(t) {
			out = append(out, r)
		}
	}
	if s.Active != nil && s.Active.Scheduled.Equal(t) {
		out = append(out, *s.Active)
	}
	return out
}

// CronShow runs `cron show KEY --write-json` and decodes it strictly.
func (cl *Cluster) CronShow(key string) (CronShow, error) {
	r := cl.Run("cron", "show", key, "--write-json")
	if r.Code != ExitOK {
		return CronShow{}, fmt.Errorf("%s", r)
	}
	dec := json.NewDecoder(strings.NewReader(r.Stdout))
	dec.DisallowUnknownFields()
	var s CronShow
	if err := dec.Decode(&s); err != nil {
		return CronShow{}, fmt.Errorf("decode %s: %v", r, err)
	}
	return s, nil
}

// WaitCron polls cron show until cond holds.
func (cl *Cluster) WaitCron(key string, timeout time.Duration, what string, cond func(CronShow) bool) CronShow {
	cl.T.Helper()
	var got CronShow
	Eventually(cl.T, timeout, what, func() (bool, string) {
		s, err := cl.CronShow(key)
		if err != nil {
			return false, err.Error()
		}
		got = s
		return cond(s), s.String()
	})
	return got
}
