package workflows

import (
	"github.com/borealis-dev/borealis/config"
)

// Strategy paces one direction of an update the way Aurora's update
// strategies do (docs/concepts.md, "Update strategies"):
//   - Queue keeps up to its batch size of instances in flight at any time;
//   - Batch starts a group of its batch size only when none is in flight;
//   - VariableBatch does the same with its sizes in turn, repeating the
//     last; rolling back, its groups mirror the groups that went forward
//     (sizes [1,2,3] over 6 instances: forward (0)(1,2)(3,4,5), back
//     (5,4,3)(2,1)(0)).
//
// It is pure: the update workflow asks it, and so do its tests.
type Strategy struct {
	pace    pace
	forward bool
	// total is how many instances this direction acts on, as Aurora counts
	// them: the idle set when the direction began.
	total int
	// legacyBack makes a VariableBatch rollback use the sizes in forward
	// order, as runs from before mirrorGroupsVersionID did.
	legacyBack bool
}

// NewStrategy is the strategy of update config u for one direction over
// total instances.
func NewStrategy(u config.UpdateConfig, forward bool, total int) Strategy {
	return Strategy{pace: paceOf(u), forward: forward, total: total}
}

// Queue reports whether the strategy keeps a window of instances in flight
// rather than going group by group.
func (s Strategy) Queue() bool { return s.pace.Queue }

// Autopause reports whether the update pauses before each group after the
// first (Batch and VariableBatch only, and only while rolling forward).
func (s Strategy) Autopause() bool { return s.pace.Autopause && !s.pace.Queue && s.forward }

// NextGroup returns the instances of idle (those not yet started, in the
// order the update goes) that may start now, with active instances in flight.
func (s Strategy) NextGroup(idle []int, active int) []int {
	n := s.Next(len(idle), active)
	return idle[:n]
}

// Next returns how many of idle instances may start now, with active in flight.
func (s Strategy) Next(idle, active int) int {
	if idle <= 0 {
		return 0
	}
	if s.pace.Queue {
		return max(0, min(s.pace.size(0)-active, idle))
	}
	if active > 0 {
		return 0
	}
	return min(s.groupSize(idle), idle)
}

// groupSize is the size of the group that starts when remaining instances
// are still idle.
func (s Strategy) groupSize(remaining int) int {
	sizes := s.pace.Sizes
	if !s.pace.Variable || len(sizes) == 0 {
		return s.pace.size(0)
	}
	last := max(sizes[len(sizes)-1], 1)
	if s.forward || s.legacyBack {
		if s.legacyBack {
			// Runs from before the mirror: the k-th group back had the k-th size.
			return s.pace.size(s.groupsStarted(remaining))
		}
		done, sum := s.total-remaining, 0
		for _, size := range sizes {
			sum += max(size, 1)
			if sum > done {
				return max(size, 1)
			}
		}
		return last
	}
	// Rolling back, remaining is how many went forward and are not yet
	// undone: peel the forward groups off from the first, and what is left
	// over is the size of the last group that went forward.
	left := remaining
	for _, size := range sizes {
		size = max(size, 1)
		if left <= size {
			return left
		}
		left -= size
	}
	if left%last == 0 {
		return last
	}
	return left % last
}

// groupsStarted counts the groups started so far when remaining of total
// are idle, going with the sizes in forward order.
func (s Strategy) groupsStarted(remaining int) int {
	done, k := s.total-remaining, 0
	for done > 0 {
		done -= s.pace.size(k)
		k++
	}
	return k
}
