package generator

import (
	"cmp"
	"slices"
	"testing"
)

// lastWeek is what the CDC files said about the previous week's league, per user_id.
type lastWeek struct {
	group, xp map[int]int
	outcome   map[int]string
}

func (l *lastWeek) set(uid, group, xp int, outcome string) {
	if l.group == nil {
		l.group, l.xp, l.outcome = map[int]int{}, map[int]int{}, map[int]string{}
	}
	l.group[uid], l.xp[uid], l.outcome[uid] = group, xp, outcome
}

// formed is one group of a week: its tier and its members' user_ids.
type formed struct {
	tier  int
	users []int
}

// checkGrouping checks rule 2 of docs/generator.md from the files alone: last week's stayers who
// play again stay together, one continuing group per last-week group; this week's signups fill
// groups of their own, GroupSizes of them; the rest fill continuing groups before any group of
// their own is opened, and those groups are GroupSizes of the rest left over.
func checkGrouping(t *testing.T, k int, groups map[int]formed, newcomers map[int]bool, last lastWeek) {
	t.Helper()
	type tierCount struct{ fresh, rest int }
	counts := map[int]*tierCount{}
	freshSizes, restSizes := map[int][]int{}, map[int][]int{}
	continuing := map[int][]int{} // tier -> sizes of groups holding stayers
	coreOf := map[int]int{}       // last week's group -> this week's group of its stayers
	for id, g := range groups {
		if counts[g.tier] == nil {
			counts[g.tier] = &tierCount{}
		}
		var fresh, stayers int
		for _, uid := range g.users {
			switch {
			case newcomers[uid]:
				fresh++
			case last.outcome[uid] == OutcomeStayed:
				stayers++
				prev := last.group[uid]
				if got, seen := coreOf[prev]; seen && got != id {
					t.Fatalf("week %d: stayers of last week's group %d split into groups %d and %d", k, prev, got, id)
				}
				coreOf[prev] = id
			}
		}
		switch {
		case fresh > 0 && fresh != len(g.users):
			t.Fatalf("week %d: group %d mixes %d signups with %d other users", k, id, fresh, len(g.users)-fresh)
		case fresh > 0:
			counts[g.tier].fresh += fresh
			freshSizes[g.tier] = append(freshSizes[g.tier], fresh)
		case stayers > 0:
			continuing[g.tier] = append(continuing[g.tier], len(g.users))
		default:
			counts[g.tier].rest += len(g.users)
			restSizes[g.tier] = append(restSizes[g.tier], len(g.users))
		}
	}
	seenGroup := map[int]int{}
	for prev, id := range coreOf {
		if other, dup := seenGroup[id]; dup {
			t.Fatalf("week %d: group %d holds the stayers of last week's groups %d and %d", k, id, other, prev)
		}
		seenGroup[id] = prev
	}
	for tr, c := range counts {
		if !sameSizes(freshSizes[tr], GroupSizes(c.fresh)) || !sameSizes(restSizes[tr], GroupSizes(c.rest)) {
			t.Fatalf("week %d tier %d: signup groups %v, groups of the rest %v: not GroupSizes", k, tr, freshSizes[tr], restSizes[tr])
		}
		if c.rest > 0 && len(continuing[tr]) > 0 && slices.Min(continuing[tr]) < MaxGroupSize {
			t.Fatalf("week %d tier %d: new groups opened while a continuing group has room %v", k, tr, continuing[tr])
		}
	}
}

func sameSizes(a, b []int) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkStartingRanks checks rule 3's starting rank on both rows of every assignment: 1..n in each
// group by last week's XP descending, users who did not play last week last, ties by user_id.
func checkStartingRanks(t *testing.T, k int, as table, last lastWeek) {
	t.Helper()
	byGroup := map[int][][]string{}
	for _, r := range as.rows {
		if as.get(r, "starting_rank") == "" {
			t.Fatalf("week %d: starting_rank empty in %v", k, r)
		}
		if as.get(r, "op") == OpInsert {
			g := as.int(t, r, "instance_id")
			byGroup[g] = append(byGroup[g], r)
		}
	}
	start := map[int]int{}
	for _, rows := range byGroup {
		slices.SortFunc(rows, func(a, b []string) int {
			ua, ub := as.int(t, a, "user_id"), as.int(t, b, "user_id")
			_, pa := last.group[ua]
			_, pb := last.group[ub]
			if pa != pb {
				if pa {
					return -1
				}
				return 1
			}
			if c := cmp.Compare(last.xp[ub], last.xp[ua]); c != 0 {
				return c
			}
			return cmp.Compare(ua, ub)
		})
		for i, r := range rows {
			if as.int(t, r, "starting_rank") != i+1 {
				t.Fatalf("week %d: user %s starts at rank %s, want %d", k, as.get(r, "user_id"), as.get(r, "starting_rank"), i+1)
			}
			start[as.int(t, r, "user_id")] = i + 1
		}
	}
	for _, r := range as.rows {
		if as.get(r, "op") == OpUpdate && as.int(t, r, "starting_rank") != start[as.int(t, r, "user_id")] {
			t.Fatalf("week %d: the UPDATE changes starting_rank: %v", k, r)
		}
	}
}
