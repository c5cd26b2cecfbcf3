package config

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/borealis-dev/borealis/jobkey"
)

// Cron schedules (docs/semantics.md §9): a job's cron_schedule is a
// five-field cron expression, minute hour day-of-month month day-of-week,
// read in UTC. The syntax is Aurora's (its CrontabEntry, FreeBSD's crontab(5)
// without the @ macros) with day-of-week 7 also meaning Sunday: in each
// field `*`, numbers, ranges a-b, steps */n and a-b/n, and comma lists of
// these; month names JAN-DEC and day names SUN-SAT in their fields, in any
// case. When both day-of-month and day-of-week are restricted (neither is
// `*`), a day matching either one matches, as in Vixie cron and Temporal's
// workflow cron schedules.

// Cron is a parsed cron expression; make one with ParseCron. The zero Cron
// matches no time.
type Cron struct {
	minute, hour, dom, month, dow cronField
}

// cronField is one field of a Cron.
type cronField struct {
	// bits has bit v set when value v matches (day-of-week 7 is folded into 0).
	bits uint64
	// star tells that the field was written `*` (or `*/1`): it restricts
	// nothing. It matters for the day-of-month/day-of-week rule.
	star bool
	// text is the field in canonical form: numbers only, names and
	// day-of-week 7 mapped to numbers, `*` when star.
	text string
}

func (f cronField) has(v int) bool { return v >= 0 && v < 64 && f.bits&(1<<uint(v)) != 0 }

// cronFieldSpec describes one of the five fields.
type cronFieldSpec struct {
	name     string
	min, max int
	// names maps upper-case 3-letter names to values (months, days), or nil.
	names map[string]int
	// namesHint says which names the field takes, for messages.
	namesHint string
	// sunday7: day-of-week, where 7 is Sunday as 0 is.
	sunday7 bool
}

var (
	cronMonthNames = map[string]int{
		"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
		"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	}
	cronDayNames = map[string]int{
		"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6,
	}
	cronSpecs = [5]cronFieldSpec{
		{name: "minute", min: 0, max: 59},
		{name: "hour", min: 0, max: 23},
		{name: "day-of-month", min: 1, max: 31},
		{name: "month", min: 1, max: 12, names: cronMonthNames, namesHint: ", a name JAN-DEC"},
		// 7 is Sunday too (Aurora's CrontabEntry takes 0-6 only).
		{name: "day-of-week", min: 0, max: 7, names: cronDayNames, namesHint: ", a name SUN-SAT", sunday7: true},
	}
	// cronMacros are the @ shorthands of other crons, with what to write instead.
	cronMacros = map[string]string{
		"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
		"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
	}
)

// ParseCron reads a five-field cron expression (minute hour day-of-month
// month day-of-week, in UTC). The error names the field and the part that is
// wrong, after the quoted expression:
// `"61 * * * *": minute 61 is out of range 0-59`.
func ParseCron(expr string) (Cron, error) {
	fail := func(format string, args ...any) (Cron, error) {
		return Cron{}, fmt.Errorf("%s: %s", jobkey.Quote(expr), fmt.Sprintf(format, args...))
	}
	fields := strings.Fields(expr)
	if len(fields) == 1 && strings.HasPrefix(fields[0], "@") {
		if instead, ok := cronMacros[strings.ToLower(fields[0])]; ok {
			return fail("macros such as %s are not supported: write the five fields (%s)", fields[0], instead)
		}
		return fail("macros such as @hourly are not supported: write the five fields minute hour day-of-month month day-of-week")
	}
	if len(fields) != 5 {
		return fail("must have 5 fields (minute hour day-of-month month day-of-week), got %d", len(fields))
	}
	var parsed [5]cronField
	for i, spec := range cronSpecs {
		f, msg := parseCronField(spec, fields[i])
		if msg != "" {
			return fail("%s", msg)
		}
		parsed[i] = f
	}
	c := Cron{minute: parsed[0], hour: parsed[1], dom: parsed[2], month: parsed[3], dow: parsed[4]}
	if msg := c.neverRuns(); msg != "" {
		return fail("%s", msg)
	}
	return c, nil
}

// parseCronField reads one field: a comma list of *, */n, v, a-b and a-b/n.
// It returns a message when the field is wrong.
func parseCronField(spec cronFieldSpec, s string) (cronField, string) {
	var f cronField
	var texts []string
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			return f, fmt.Sprintf("%s %s has an empty list element", spec.name, jobkey.Quote(s))
		}
		base, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := cronNumber(stepText)
			switch {
			case err != nil:
				return f, fmt.Sprintf("%s step %s is not a number", spec.name, jobkey.Quote(stepText))
			case n == 0:
				return f, fmt.Sprintf("%s step 0 must be at least 1", spec.name)
			case n > spec.max:
				return f, fmt.Sprintf("%s step %d is out of range 1-%d", spec.name, n, spec.max)
			}
			step = n
		}
		var lo, hi int
		switch {
		case base == "*":
			lo, hi = spec.min, spec.max
			if spec.sunday7 {
				hi = 6 // 7 is 0 again
			}
			if step == 1 {
				f.star = true
			}
		case strings.Contains(base, "-"):
			a, b, _ := strings.Cut(base, "-")
			var msg string
			if lo, msg = cronValue(spec, a, part); msg != "" {
				return f, msg
			}
			if hi, msg = cronValue(spec, b, part); msg != "" {
				return f, msg
			}
			if lo > hi {
				msg := fmt.Sprintf("%s range %s is backwards (%d > %d); ranges do not wrap around", spec.name, jobkey.Quote(base), lo, hi)
				if spec.sunday7 && hi == 0 {
					msg += fmt.Sprintf(" (write Sunday as 7 to end a range: %d-7)", lo)
				}
				return f, msg
			}
		default:
			if hasStep {
				return f, fmt.Sprintf("%s %s: a step needs * or a range before it (*/%d or a-b/%d)", spec.name, jobkey.Quote(part), step, step)
			}
			var msg string
			if lo, msg = cronValue(spec, base, part); msg != "" {
				return f, msg
			}
			hi = lo
		}
		for v := lo; v <= hi; v += step {
			bit := v
			if bit == 7 && spec.sunday7 {
				bit = 0
			}
			f.bits |= 1 << uint(bit)
		}
		texts = append(texts, cronPartText(spec, base == "*", lo, hi, step))
	}
	if f.star {
		f.text = "*"
	} else {
		f.text = strings.Join(texts, ",")
	}
	return f, ""
}

// cronPartText writes one list element in canonical form.
func cronPartText(spec cronFieldSpec, star bool, lo, hi, step int) string {
	switch {
	case star:
		return "*/" + strconv.Itoa(step)
	case spec.sunday7 && hi == 7:
		// Temporal's workflow cron parser takes day-of-week 0-6 only: 7 is
		// written as 0.
		if lo == 7 {
			return "0"
		}
		text := cronRangeText(lo, 6, step)
		if (7-lo)%step == 0 && lo != 0 {
			text += ",0"
		}
		return text
	}
	return cronRangeText(lo, hi, step)
}

// cronRangeText writes lo-hi/step, leaving out what is not needed.
func cronRangeText(lo, hi, step int) string {
	switch {
	case lo == hi || lo+step > hi:
		return strconv.Itoa(lo)
	case step == 1:
		return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
	}
	return strconv.Itoa(lo) + "-" + strconv.Itoa(hi) + "/" + strconv.Itoa(step)
}

// cronValue reads a number or, in the month and day-of-week fields, a name.
func cronValue(spec cronFieldSpec, s, part string) (int, string) {
	if spec.names != nil && len(s) == 3 {
		if v, ok := spec.names[strings.ToUpper(s)]; ok {
			return v, ""
		}
	}
	n, err := cronNumber(s)
	if err != nil {
		if strings.Contains(part, "?") {
			return 0, fmt.Sprintf("%s %s is not supported (? is Quartz's): write *", spec.name, jobkey.Quote(part))
		}
		return 0, fmt.Sprintf("%s %s is not valid: write *, a number%s, a range a-b, a step */n or a-b/n, or a comma list of these",
			spec.name, jobkey.Quote(part), spec.namesHint)
	}
	if n < spec.min || n > spec.max {
		return 0, fmt.Sprintf("%s %d is out of range %d-%d", spec.name, n, spec.min, spec.max)
	}
	return n, ""
}

// cronNumber reads a decimal number of at most 4 digits (so that it cannot
// overflow; every field's values are below 100).
func cronNumber(s string) (int, error) {
	if s == "" || len(s) > 4 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a number")
	}
	return strconv.Atoi(s)
}

// cronDaysIn is the most days each month has (February in a leap year).
var cronDaysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// neverRuns tells why a Cron matches no day at all, or returns "". Only a
// restricted day-of-month under a `*` day-of-week can: its days may not
// fall in its months (30 in February).
func (c Cron) neverRuns() string {
	if c.dom.star || !c.dow.star {
		return ""
	}
	for m := 1; m <= 12; m++ {
		if !c.month.has(m) {
			continue
		}
		for d := 1; d <= cronDaysIn[m]; d++ {
			if c.dom.has(d) {
				return ""
			}
		}
	}
	return fmt.Sprintf("never runs: there is no day %s in month %s", c.dom.text, c.month.text)
}

// String is the expression in canonical form: five fields of numbers,
// ranges, steps and lists only (names mapped to numbers, day-of-week 7 to 0,
// `*` kept), which Temporal's cron parsers read as the same schedule. The
// zero Cron has no String.
func (c Cron) String() string {
	return strings.Join([]string{c.minute.text, c.hour.text, c.dom.text, c.month.text, c.dow.text}, " ")
}

// ScheduleCronStrings is the expression as cron strings for a Temporal
// Schedule (ScheduleSpec.CronString), which match when any of them does.
// Temporal Schedules match day-of-month AND day-of-week, unlike this
// package and Temporal's workflow cron schedules, which match either when
// both are restricted: such an expression is split in two, one with each
// day field, so that the Schedule runs at the times Next gives.
func (c Cron) ScheduleCronStrings() []string {
	if c.dom.star || c.dow.star {
		return []string{c.String()}
	}
	head := c.minute.text + " " + c.hour.text + " "
	return []string{
		head + c.dom.text + " " + c.month.text + " *",
		head + "* " + c.month.text + " " + c.dow.text,
	}
}

// cronMaxDays bounds the search of Next: a day that matches a valid Cron
// comes within 8 years (February 29 skips 2100), plus a month.
const cronMaxDays = 9 * 366

// Next is the first minute strictly after after, in UTC, that c matches,
// or the zero time when there is none (only for the zero Cron).
func (c Cron) Next(after time.Time) time.Time {
	t := after.UTC().Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	h, m := t.Hour(), t.Minute()
	for range cronMaxDays {
		if c.matchesDay(day) {
			if hh, mm, ok := c.firstTime(h, m); ok {
				return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
			}
		}
		day = day.AddDate(0, 0, 1)
		h, m = 0, 0
	}
	return time.Time{}
}

// matchesDay applies the month and the day-of-month/day-of-week rule.
func (c Cron) matchesDay(day time.Time) bool {
	if !c.month.has(int(day.Month())) {
		return false
	}
	dom, dow := c.dom.has(day.Day()), c.dow.has(int(day.Weekday()))
	if c.dom.star || c.dow.star {
		return dom && dow
	}
	return dom || dow
}

// firstTime is the first hour and minute at or after h:m that c matches.
func (c Cron) firstTime(h, m int) (int, int, bool) {
	for ; h < 24; h, m = h+1, 0 {
		if !c.hour.has(h) {
			continue
		}
		if rest := c.minute.bits >> uint(m) << uint(m); rest != 0 {
			return h, bits.TrailingZeros64(rest), true
		}
	}
	return 0, 0, false
}
