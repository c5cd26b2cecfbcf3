package health

// DefaultHistoryLimit is how many results a [History] made with a limit
// below 1 keeps.
const DefaultHistoryLimit = 10

// History keeps the last few check results of a task and raw counts over
// all of them, for status displays. It is small and JSON-serializable so
// that it can ride in an activity's heartbeat details.
//
// Its counts are what was observed: unlike a [Counter]'s, they ignore the
// grace period, so a failure inside the grace period still counts here. A
// snoozed check counts as a success, as in the counter.
type History struct {
	// Limit is how many results are kept.
	Limit int `json:"limit"`
	// Results are the last Limit results, oldest first.
	Results []CheckResult `json:"results"`
	// Total is how many results were ever added.
	Total int `json:"total"`
	// TotalFailures is how many of them failed.
	TotalFailures int `json:"total_failures"`
	// ConsecutiveSuccesses counts passing (or snoozed) checks since the last
	// failure.
	ConsecutiveSuccesses int `json:"consecutive_successes"`
	// ConsecutiveFailures counts failed checks since the last success.
	ConsecutiveFailures int `json:"consecutive_failures"`
}

// NewHistory returns an empty history that keeps limit results
// ([DefaultHistoryLimit] when limit < 1).
func NewHistory(limit int) *History {
	if limit < 1 {
		limit = DefaultHistoryLimit
	}
	return &History{Limit: limit}
}

// Add appends r, dropping the oldest result when the history is full, and
// updates the counts.
func (h *History) Add(r CheckResult) {
	limit := h.Limit
	if limit < 1 {
		limit = DefaultHistoryLimit
	}
	if len(h.Results) >= limit {
		drop := len(h.Results) - limit + 1
		h.Results = append(h.Results[:0], h.Results[drop:]...)
	}
	h.Results = append(h.Results, r)
	h.Total++
	if r.Outcome().passed() {
		h.ConsecutiveSuccesses++
		h.ConsecutiveFailures = 0
	} else {
		h.TotalFailures++
		h.ConsecutiveFailures++
		h.ConsecutiveSuccesses = 0
	}
}

// Last returns the newest result, and false when there is none.
func (h *History) Last() (CheckResult, bool) {
	if len(h.Results) == 0 {
		return CheckResult{}, false
	}
	return h.Results[len(h.Results)-1], true
}

// Snoozed reports whether the newest check was skipped because of the
// snooze file.
func (h *History) Snoozed() bool {
	last, ok := h.Last()
	return ok && last.Snoozed
}
