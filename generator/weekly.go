package generator

import (
	"cmp"
	"math"
	"slices"
)

// Kinds of mid-week account changes that reach CDC as users UPDATE rows.
const (
	changeSubscription uint8 = iota + 1
	changeProfile
)

// userChange is one mid-week account change, at a second offset from the week's Monday 00:00:00.
type userChange struct {
	atSec int32
	idx   int32
	kind  uint8
}

// weekPlan is what the backend decides about accounts at the start of a week.
type weekPlan struct {
	participants []int32      // non-deleted users active this week, ascending user_id
	changes      []userChange // subscription/profile changes, ordered by time then user_id
	deletes      []int32      // accounts deleted (GDPR) at week end, ascending user_id
}

const secondsPerWeek = 7 * 86400

// planWeek draws each account's week: whether it is active, churns or returns, changes its
// subscription or profile, or is deleted. It mutates only the churn flag; the changes themselves are
// applied by applyChange when their row is written, so each CDC image shows the state at its time.
func planWeek(seed uint64, week int, users []user, r streamRNG) weekPlan {
	var p weekPlan
	for i := range users {
		u := &users[i]
		if u.deleted {
			continue
		}
		uid := userID(i)
		r.reseed(hashKey(seed, tagWeekly, uint64(week), uid))
		newcomer := int(u.signupWeek) == week
		if !newcomer {
			pDel := 0.001
			if u.churned {
				pDel = 0.004
			}
			if r.Float64() < pDel {
				p.deletes = append(p.deletes, int32(i))
			}
			// Changes happen between Monday 00:01 and Sunday 23:00, after the week-start rows.
			at := int32(60 + r.IntN(secondsPerWeek-3600-60))
			switch x := r.Float64(); {
			case x < 0.012:
				p.changes = append(p.changes, userChange{atSec: at, idx: int32(i), kind: changeSubscription})
			case x < 0.022:
				p.changes = append(p.changes, userChange{atSec: at, idx: int32(i), kind: changeProfile})
			}
		}
		if userActive(u, newcomer, r) {
			p.participants = append(p.participants, int32(i))
		}
	}
	slices.SortFunc(p.changes, func(a, b userChange) int {
		if c := cmp.Compare(a.atSec, b.atSec); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	})
	return p
}

// userActive decides whether u plays this week. Churned users come back rarely; engaged users churn
// less and play more often. Newcomers almost always try the app in their first week.
func userActive(u *user, newcomer bool, r streamRNG) bool {
	e := float64(u.engagement)
	switch {
	case newcomer:
		return r.Float64() < 0.9
	case u.churned:
		if r.Float64() < 0.06 {
			u.churned = false
			return true
		}
		return false
	case r.Float64() < math.Min(0.35, 0.1/(0.5+e)):
		u.churned = true
		return false
	default:
		return r.Float64() < e/(e+0.35)
	}
}

// applyChange mutates the user as the change describes, drawing from the change's own stream.
func applyChange(seed uint64, week int, c userChange, u *user, r streamRNG) {
	r.reseed(hashKey(seed, tagWeekly, uint64(week), userID(int(c.idx)), uint64(c.kind)))
	switch c.kind {
	case changeSubscription:
		// free upgrades mostly to super; paying users downgrade or move between plans.
		next := [3][2]uint8{{1, 2}, {0, 2}, {1, 0}}[u.sub]
		if r.Float64() < 0.7 {
			u.sub = next[0]
		} else {
			u.sub = next[1]
		}
	case changeProfile:
		regions := len(countries[u.country].regions)
		if r.Float64() < 0.5 && regions > 1 {
			u.region = uint8((int(u.region) + 1 + r.IntN(regions-1)) % regions)
		} else {
			u.nameVer++
		}
	}
}
