package workflows

// SetHistoryLimit makes runs continue as new past n events, until restore.
func SetHistoryLimit(n int) (restore func()) {
	old := historyLimit.Swap(int64(n))
	return func() { historyLimit.Store(old) }
}
