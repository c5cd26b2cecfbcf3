package workflows

import "go.temporal.io/sdk/temporal"

// Search attributes Borealis sets (docs/semantics.md §7).
var (
	JobKeyAttribute       = temporal.NewSearchAttributeKeyKeyword("BorealisJobKey")
	UpdateStatusAttribute = temporal.NewSearchAttributeKeyKeyword("BorealisUpdateStatus")
)
