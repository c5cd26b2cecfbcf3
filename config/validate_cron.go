package config

import "github.com/borealis-dev/borealis/jobkey"

// errServiceCron is Aurora's scheduler's answer to a service job with a cron
// schedule (its ConfigurationManager).
const errServiceCron = "A service task may not be run on a cron schedule."

// validateCron checks a job's cron_schedule and cron_collision_policy
// (docs/semantics.md §9); c is at the job.
func validateCron(c checker, j *Job) {
	sc, pc := c.at("cron_schedule"), c.at("cron_collision_policy")
	switch p := j.CronCollisionPolicy; p {
	case "", CronKillExisting, CronCancelNew:
	case "RUN_OVERLAP":
		pc.add("RUN_OVERLAP is no longer supported (Aurora removed it); use %s or %s", CronKillExisting, CronCancelNew)
	default:
		pc.add("must be %s or %s, got %s", CronKillExisting, CronCancelNew, jobkey.Quote(p))
	}
	if !j.IsCron() {
		if j.CronCollisionPolicy != "" {
			pc.add("is set but cron_schedule is not: only a cron job has a collision policy")
		}
		return
	}
	if _, err := ParseCron(j.CronSchedule); err != nil {
		sc.add("%v", err)
	}
	if j.Service {
		sc.add("%s", errServiceCron)
	}
}
