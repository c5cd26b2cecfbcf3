package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCronAccepts(t *testing.T) {
	tests := []struct{ expr, canonical string }{
		{"* * * * *", "* * * * *"},
		{"*/15 * * * *", "*/15 * * * *"},
		{"*/1 */1 * * *", "* * * * *"},
		{"*,5 * * * *", "* * * * *"},
		{"0 0 1 1 *", "0 0 1 1 *"},
		{"5,10-20/5,30 * * * *", "5,10-20/5,30 * * * *"},
		{"0-10/20 * * * *", "0 * * * *"},
		{"0 9-17 * * MON-FRI", "0 9-17 * * 1-5"},
		{"0 0 * jan,Jul sun", "0 0 * 1,7 0"},
		{"0 0 * Jan-Mar/2 *", "0 0 * 1-3/2 *"},
		{"0 0 * * 7", "0 0 * * 0"},
		{"0 0 * * 5-7", "0 0 * * 5-6,0"},
		{"0 0 * * 0-7", "0 0 * * 0-6"},
		{"0 0 * * 1-7/2", "0 0 * * 1-6/2,0"},
		{"0 0 * * 1-7/4", "0 0 * * 1-6/4"},
		{"0 0 * * sat-7", "0 0 * * 6,0"},
		{"0 0 * * */2", "0 0 * * */2"},
		{"0 0 */10 * *", "0 0 */10 * *"},
		{"  0\t0   * * *  ", "0 0 * * *"},
		{"0 12 29 2 *", "0 12 29 2 *"},
		{"0 0 31 * *", "0 0 31 * *"},
		{"0 0 30 2 MON", "0 0 30 2 1"}, // February Mondays: the day-of-week matches
		{"59 23 31 12 6", "59 23 31 12 6"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := ParseCron(tt.expr)
			require.NoError(t, err)
			assert.Equal(t, tt.canonical, c.String())
			again, err := ParseCron(c.String())
			require.NoError(t, err, "the canonical form parses")
			assert.Equal(t, c, again, "the canonical form is the same schedule")
		})
	}
}

func TestParseCronRefuses(t *testing.T) {
	anything := "write *, a number, a range a-b, a step */n or a-b/n, or a comma list of these"
	tests := []struct{ expr, msg string }{
		{"61 * * * *", `"61 * * * *": minute 61 is out of range 0-59`},
		{"* 24 * * *", `"* 24 * * *": hour 24 is out of range 0-23`},
		{"* * 0 * *", `"* * 0 * *": day-of-month 0 is out of range 1-31`},
		{"* * 32 * *", `"* * 32 * *": day-of-month 32 is out of range 1-31`},
		{"* * * 0 *", `"* * * 0 *": month 0 is out of range 1-12`},
		{"* * * 13 *", `"* * * 13 *": month 13 is out of range 1-12`},
		{"* * * * 8", `"* * * * 8": day-of-week 8 is out of range 0-7`},
		{"0 0-60 * * *", `"0 0-60 * * *": hour 60 is out of range 0-23`},
		{"0 0 * * * *", `"0 0 * * * *": must have 5 fields (minute hour day-of-month month day-of-week), got 6`},
		{"0 0 0 * * * 2024", `"0 0 0 * * * 2024": must have 5 fields (minute hour day-of-month month day-of-week), got 7`},
		{"0 0 *", `"0 0 *": must have 5 fields (minute hour day-of-month month day-of-week), got 3`},
		{"", `"": must have 5 fields (minute hour day-of-month month day-of-week), got 0`},
		{"@hourly", `"@hourly": macros such as @hourly are not supported: write the five fields (0 * * * *)`},
		{"@Daily", `"@Daily": macros such as @Daily are not supported: write the five fields (0 0 * * *)`},
		{"@reboot", `"@reboot": macros such as @hourly are not supported: write the five fields minute hour day-of-month month day-of-week`},
		{"0 0 ? * MON", `"0 0 ? * MON": day-of-month "?" is not supported (? is Quartz's): write *`},
		{"0 0 L * *", `"0 0 L * *": day-of-month "L" is not valid: ` + anything},
		{"0 0 15W * *", `"0 0 15W * *": day-of-month "15W" is not valid: ` + anything},
		{"0 0 * * MON#2", `"0 0 * * MON#2": day-of-week "MON#2" is not valid: write *, a number, a name SUN-SAT, a range a-b, a step */n or a-b/n, or a comma list of these`},
		{"0 0 * * 5L", `"0 0 * * 5L": day-of-week "5L" is not valid: write *, a number, a name SUN-SAT, a range a-b, a step */n or a-b/n, or a comma list of these`},
		{"0 0 * * MONDAY", `"0 0 * * MONDAY": day-of-week "MONDAY" is not valid: write *, a number, a name SUN-SAT, a range a-b, a step */n or a-b/n, or a comma list of these`},
		{"0 0 * JANUARY *", `"0 0 * JANUARY *": month "JANUARY" is not valid: write *, a number, a name JAN-DEC, a range a-b, a step */n or a-b/n, or a comma list of these`},
		{"0 0 * * JAN", `"0 0 * * JAN": day-of-week "JAN" is not valid: write *, a number, a name SUN-SAT, a range a-b, a step */n or a-b/n, or a comma list of these`},
		{"MON * * * *", `"MON * * * *": minute "MON" is not valid: ` + anything},
		{"-1 * * * *", `"-1 * * * *": minute "-1" is not valid: ` + anything},
		{"1-2-3 * * * *", `"1-2-3 * * * *": minute "1-2-3" is not valid: ` + anything},
		{"99999 * * * *", `"99999 * * * *": minute "99999" is not valid: ` + anything},
		{"*/0 * * * *", `"*/0 * * * *": minute step 0 must be at least 1`},
		{"0 1-5/0 * * *", `"0 1-5/0 * * *": hour step 0 must be at least 1`},
		{"*/60 * * * *", `"*/60 * * * *": minute step 60 is out of range 1-59`},
		{"*/x * * * *", `"*/x * * * *": minute step "x" is not a number`},
		{"1/2/3 * * * *", `"1/2/3 * * * *": minute step "2/3" is not a number`},
		{"5/15 * * * *", `"5/15 * * * *": minute "5/15": a step needs * or a range before it (*/15 or a-b/15)`},
		{"30-10 * * * *", `"30-10 * * * *": minute range "30-10" is backwards (30 > 10); ranges do not wrap around`},
		{"0 0 * * FRI-MON", `"0 0 * * FRI-MON": day-of-week range "FRI-MON" is backwards (5 > 1); ranges do not wrap around`},
		{"0 0 * * SAT-SUN", `"0 0 * * SAT-SUN": day-of-week range "SAT-SUN" is backwards (6 > 0); ranges do not wrap around (write Sunday as 7 to end a range: 6-7)`},
		{"1,,2 * * * *", `"1,,2 * * * *": minute "1,,2" has an empty list element`},
		{"0 0 30 2 *", `"0 0 30 2 *": never runs: there is no day 30 in month 2`},
		{"0 0 31 4,6,9,11 *", `"0 0 31 4,6,9,11 *": never runs: there is no day 31 in month 4,6,9,11`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := ParseCron(tt.expr)
			assert.EqualError(t, err, tt.msg)
		})
	}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestCronNext(t *testing.T) {
	tests := []struct {
		name, expr, after string
		want              []string // the next times, each after the one before
	}{
		{"every minute, strictly after", "* * * * *", "2024-01-01T00:00:00Z",
			[]string{"2024-01-01T00:01:00Z", "2024-01-01T00:02:00Z"}},
		{"every minute, within a minute", "* * * * *", "2024-01-01T00:00:30.5Z",
			[]string{"2024-01-01T00:01:00Z"}},
		{"*/15", "*/15 * * * *", "2024-01-01T10:07:00Z",
			[]string{"2024-01-01T10:15:00Z", "2024-01-01T10:30:00Z", "2024-01-01T10:45:00Z", "2024-01-01T11:00:00Z"}},
		{"*/15 just before", "*/15 * * * *", "2024-01-01T10:14:59.999Z", []string{"2024-01-01T10:15:00Z"}},
		{"*/15 across midnight and the year", "*/15 * * * *", "2024-12-31T23:50:00Z", []string{"2025-01-01T00:00:00Z"}},
		{"year boundary", "0 0 1 1 *", "2024-06-01T00:00:00Z",
			[]string{"2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"}},
		{"last minute of the year", "59 23 31 12 *", "2024-12-31T23:59:00Z", []string{"2025-12-31T23:59:00Z"}},
		{"month boundary", "0 0 1 * *", "2024-01-31T12:00:00Z",
			[]string{"2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"}},
		{"day 31 skips short months", "0 0 31 * *", "2024-04-01T00:00:00Z",
			[]string{"2024-05-31T00:00:00Z", "2024-07-31T00:00:00Z", "2024-08-31T00:00:00Z"}},
		{"into Feb 29", "59 23 * * *", "2024-02-28T23:59:00Z", []string{"2024-02-29T23:59:00Z", "2024-03-01T23:59:00Z"}},
		{"Feb 29 waits for a leap year", "0 12 29 2 *", "2024-03-01T00:00:00Z",
			[]string{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"}},
		{"Feb 29 skips 2100", "0 12 29 2 *", "2096-03-01T00:00:00Z", []string{"2104-02-29T12:00:00Z"}},
		{"hours and minutes", "30 9,17 * * *", "2024-05-05T09:30:00Z",
			[]string{"2024-05-05T17:30:00Z", "2024-05-06T09:30:00Z"}},
		{"weekdays only", "0 9 * * MON-FRI", "2024-09-06T10:00:00Z", // a Friday
			[]string{"2024-09-09T09:00:00Z", "2024-09-10T09:00:00Z"}},
		{"day-of-week 7 is Sunday", "0 0 * * 7", "2024-09-02T00:00:00Z", []string{"2024-09-08T00:00:00Z", "2024-09-15T00:00:00Z"}},
		// Both day fields restricted: a day matching either runs (2024-09-01 is a Sunday).
		{"OR: the 1st or a Monday", "0 0 1 * MON", "2024-08-27T00:00:00Z",
			[]string{"2024-09-01T00:00:00Z", "2024-09-02T00:00:00Z", "2024-09-09T00:00:00Z", "2024-09-16T00:00:00Z",
				"2024-09-23T00:00:00Z", "2024-09-30T00:00:00Z", "2024-10-01T00:00:00Z"}},
		{"OR: Friday or the 13th", "0 0 13 * FRI", "2024-09-01T00:00:00Z",
			[]string{"2024-09-06T00:00:00Z", "2024-09-13T00:00:00Z", "2024-09-20T00:00:00Z"}},
		{"OR: a step restricts the day of month", "0 0 */10 * SUN", "2024-09-01T00:00:00Z",
			[]string{"2024-09-08T00:00:00Z", "2024-09-11T00:00:00Z", "2024-09-15T00:00:00Z"}},
		{"OR: Mondays of February, or its 30th that never comes", "0 0 30 2 MON", "2024-01-01T00:00:00Z",
			[]string{"2024-02-05T00:00:00Z", "2024-02-12T00:00:00Z"}},
		{"AND: the month restricts the Mondays", "0 0 * 3 MON", "2024-01-01T00:00:00Z",
			[]string{"2024-03-04T00:00:00Z", "2024-03-11T00:00:00Z"}},
		{"AND: day of month with * day of week", "0 0 13 * *", "2024-09-01T00:00:00Z",
			[]string{"2024-09-13T00:00:00Z", "2024-10-13T00:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCron(tt.expr)
			require.NoError(t, err)
			at := utc(tt.after)
			for _, w := range tt.want {
				got := c.Next(at)
				require.Equal(t, utc(w), got, "Next(%s)", at.Format(time.RFC3339Nano))
				assert.Equal(t, time.UTC, got.Location())
				at = got
			}
		})
	}
}

func TestCronNextIsUTC(t *testing.T) {
	c, err := ParseCron("0 0 * * *")
	require.NoError(t, err)
	berlin := time.FixedZone("UTC+2", 2*60*60)
	after := time.Date(2024, 1, 1, 0, 30, 0, 0, berlin) // 2023-12-31T22:30Z
	got := c.Next(after)
	assert.Equal(t, utc("2024-01-01T00:00:00Z"), got)
	assert.Equal(t, time.UTC, got.Location())
	assert.True(t, (Cron{}).Next(after).IsZero(), "the zero Cron matches nothing")
}

// TestCronNextAgreesWithScan checks Next against a minute-by-minute scan.
func TestCronNextAgreesWithScan(t *testing.T) {
	matches := func(c Cron, t time.Time) bool {
		return c.matchesDay(t) && c.hour.has(t.Hour()) && c.minute.has(t.Minute())
	}
	start := utc("2024-02-26T21:00:00Z")
	for _, expr := range []string{
		"*/7 * * * *", "0,30 */5 * * *", "15 3 1 * MON", "0 0 29 2,3 *", "5-10 22-23 * * SUN,WED",
		"0 12 */3 * *", "45 23 28-31 * *", "0 0 1,15 * 5-7", "*/20 * * 2,3 *",
	} {
		c, err := ParseCron(expr)
		require.NoError(t, err, expr)
		at := start
		for range 20 {
			want := at.Truncate(time.Minute).Add(time.Minute)
			for !matches(c, want) && want.Sub(at) < 400*24*time.Hour {
				want = want.Add(time.Minute)
			}
			got := c.Next(at)
			require.Equal(t, want, got, "%s: Next(%s)", expr, at)
			at = got.Add(17 * time.Second)
		}
	}
}

func TestCronScheduleCronStrings(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{"* * * * *", []string{"* * * * *"}},
		{"0 0 * * MON", []string{"0 0 * * 1"}},
		{"0 0 13 * *", []string{"0 0 13 * *"}},
		{"30 6 1 JAN-JUN MON", []string{"30 6 1 1-6 *", "30 6 * 1-6 1"}},
		{"0 0 */10 * 7", []string{"0 0 */10 * *", "0 0 * * 0"}},
	}
	for _, tt := range tests {
		c, err := ParseCron(tt.expr)
		require.NoError(t, err, tt.expr)
		assert.Equal(t, tt.want, c.ScheduleCronStrings(), tt.expr)
	}
}
