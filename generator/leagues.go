package generator

import (
	"cmp"
	"slices"
)

// Outcomes of one league week, as written to ligue_assignment.outcome.
const (
	OutcomeStayed    = "stayed"
	OutcomePromoted  = "promoted"
	OutcomeRelegated = "relegated"
)

const (
	outcomeStayed uint8 = iota
	outcomePromoted
	outcomeRelegated
)

var outcomeNames = [...]string{OutcomeStayed, OutcomePromoted, OutcomeRelegated}

// fullGroup is the group size from which a tier's slots apply in full; smaller groups scale them.
const fullGroup = 15

// GroupSizes splits k users of one tier into ceil(k/30) groups whose sizes differ by at most one,
// larger groups first.
func GroupSizes(k int) []int {
	if k <= 0 {
		return nil
	}
	g := (k + MaxGroupSize - 1) / MaxGroupSize
	sizes := make([]int, g)
	for i := range sizes {
		sizes[i] = k / g
		if i < k%g {
			sizes[i]++
		}
	}
	return sizes
}

// OutcomeSlots returns how many of a group of n users in tier t are promoted and relegated:
// p = min(P, floor(n*P/15)) and r = min(R, floor(n*R/15)), so groups of 15 or more use the tier's full
// slots and smaller groups a proportional share (p + r never exceeds n).
func OutcomeSlots(n int, t Tier) (promoted, relegated int) {
	return min(t.PromotionSlots, n*t.PromotionSlots/fullGroup), min(t.RelegationSlots, n*t.RelegationSlots/fullGroup)
}

// member is one user's standing in a group at week end.
type member struct {
	pos int32  // position in the week's participants, which are sorted by user_id
	xp  uint32 // total_xp_earned this week
}

// rankGroup orders a group's members as its final leaderboard: total_xp_earned descending, then
// user_id ascending so ties break deterministically.
func rankGroup(ms []member) {
	slices.SortFunc(ms, func(a, b member) int {
		if c := cmp.Compare(b.xp, a.xp); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos) // same order as user_id
	})
}

// outcomeForRank returns the outcome of the member at 1-based rank in a group of n with p promotion and
// r relegation places.
func outcomeForRank(rank, n, p, r int) uint8 {
	switch {
	case rank <= p:
		return outcomePromoted
	case rank > n-r:
		return outcomeRelegated
	default:
		return outcomeStayed
	}
}
