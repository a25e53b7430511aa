package generator

import (
	"cmp"
	"slices"
)

// lastLeague is the previous week's league as the backend remembers it at the next week's start:
// who played, in which group, with what XP and outcome. It decides who stays together and the
// starting ranks.
type lastLeague struct {
	parts  []int32    // the week's participants, ascending user index
	stands []standing // aligned with parts
}

// of returns a user's standing of the previous week, if they played.
func (l lastLeague) of(idx int32) (standing, bool) {
	i, ok := slices.BinarySearch(l.parts, idx)
	if !ok {
		return standing{}, false
	}
	return l.stands[i], true
}

// formGroups places the week's participants into league groups of their tier, as the plan says
// (docs/generator.md, "League rules", rule 2):
//   - the members of a last-week group who stayed (neither promoted nor relegated) and play again
//     stay together: their group continues (a new instance, since an instance is one week);
//   - this week's signups get groups of their own, GroupSizes(signups) of them;
//   - everyone else of the tier (promoted or relegated into it, back after a week off, or, in week
//     1, every account that existed before the feed started) fills the continuing groups up to 30,
//     smallest first, and what does not fit makes GroupSizes(rest) new groups.
//
// The users who fill groups are taken in an order shuffled by a hash of (seed, week, user), so groups
// mix cohorts. Group ids are assigned tier by tier, bottom first; within a tier continuing groups (in
// last week's id order), then the groups of the rest, then the signups' groups. stands is aligned
// with parts and carries each member's starting rank.
func (s *Simulator) formGroups(k int, parts []int32) (groups []instance, stands []standing) {
	type tierParts struct {
		cores       map[uint64][]int32 // last week's instance -> its stayers playing again
		rest, fresh []keyed
	}
	byTier := make([]tierParts, NumTiers)
	for p, idx := range parts {
		u := &s.users[idx]
		tp := &byTier[u.tier-1]
		prev, played := s.last.of(idx)
		switch {
		case int(u.signupWeek) == k:
			tp.fresh = append(tp.fresh, s.groupKey(k, p, idx))
		case played && prev.outcome == outcomeStayed:
			if tp.cores == nil {
				tp.cores = map[uint64][]int32{}
			}
			tp.cores[prev.instance] = append(tp.cores[prev.instance], int32(p))
		default:
			tp.rest = append(tp.rest, s.groupKey(k, p, idx))
		}
	}
	stands = make([]standing, len(parts))
	all := make([]member, 0, len(parts)) // one backing array for every group's members
	emit := func(tier uint8, pos []int32) {
		start := len(all)
		for _, p := range pos {
			all = append(all, member{pos: p})
		}
		in := instance{id: s.nextInstance, tier: tier, members: all[start:len(all):len(all)]}
		s.nextInstance++
		s.rankStart(in, parts, stands)
		groups = append(groups, in)
	}
	for t := range byTier {
		tp, tier := &byTier[t], uint8(t+1)
		cores := make([][]int32, 0, len(tp.cores))
		for _, id := range sortedIDs(tp.cores) {
			cores = append(cores, tp.cores[id])
		}
		rest := shuffled(tp.rest)
		sizes := make([]int, len(cores))
		for i, c := range cores {
			sizes[i] = len(c)
		}
		for i, n := range fillShares(sizes, len(rest), MaxGroupSize) {
			emit(tier, append(cores[i], rest[:n]...))
			rest = rest[n:]
		}
		for _, group := range [][]int32{rest, shuffled(tp.fresh)} {
			for _, size := range GroupSizes(len(group)) {
				emit(tier, group[:size])
				group = group[size:]
			}
		}
	}
	return groups, stands
}

// keyed is a participant (position in the week's participants) with its shuffle key.
type keyed struct {
	key uint64
	pos int32
}

func (s *Simulator) groupKey(k, p int, idx int32) keyed {
	return keyed{hashKey(s.opts.Seed, tagGroup, uint64(k), userID(int(idx))), int32(p)}
}

// shuffled returns the positions ordered by their keys (ties, which a 64-bit hash makes rare, by
// position).
func shuffled(es []keyed) []int32 {
	slices.SortFunc(es, func(a, b keyed) int {
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos)
	})
	out := make([]int32, len(es))
	for i, e := range es {
		out[i] = e.pos
	}
	return out
}

func sortedIDs(m map[uint64][]int32) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// fillShares returns how many of n waiting users each group of the given sizes takes, filling the
// smallest groups first and never past capacity (water-filling): groups are raised level by level;
// on the last, partial level the earlier groups (in the given order) get the place.
func fillShares(sizes []int, n, capacity int) []int {
	shares := make([]int, len(sizes))
	for level := 1; level <= capacity && n > 0; level++ {
		for i, s := range sizes {
			if n == 0 {
				break
			}
			if s+shares[i] < level {
				shares[i]++
				n--
			}
		}
	}
	return shares
}

// rankStart fills the starting ranks of a new group's members: 1..n ordered by last week's XP
// descending, members who did not play last week (signups, users back after a week off) after those
// who did, ties by user_id ascending (docs/generator.md, "League rules", rule 3).
func (s *Simulator) rankStart(in instance, parts []int32, stands []standing) {
	type entry struct {
		pos    int32
		played bool
		xp     uint32
	}
	es := make([]entry, len(in.members))
	for i, mb := range in.members {
		prev, played := s.last.of(parts[mb.pos])
		es[i] = entry{pos: mb.pos, played: played, xp: prev.xp}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if a.played != b.played {
			if a.played {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.xp, a.xp); c != 0 {
			return c
		}
		return cmp.Compare(a.pos, b.pos) // positions follow user_id
	})
	for i, e := range es {
		stands[e.pos] = standing{instance: in.id, tier: in.tier, start: uint16(i + 1)}
	}
}

// closeLeague ranks every group on the week's XP and decides each member's outcome, filling stands and
// the truth's league counts. xp is aligned with the participants, like stands.
func closeLeague(groups []instance, stands []standing, xp []uint32, t *Truth) {
	tiers := Tiers()
	for gi := range groups {
		g := &groups[gi]
		for i := range g.members {
			g.members[i].xp = xp[g.members[i].pos]
		}
		rankGroup(g.members)
		n := len(g.members)
		p, r := OutcomeSlots(n, tiers[g.tier-1])
		tt := &t.PerTier[g.tier-1]
		tt.Groups++
		tt.Participants += int64(n)
		for i, mb := range g.members {
			st := &stands[mb.pos]
			st.rank, st.xp = uint16(i+1), mb.xp
			st.outcome = outcomeForRank(i+1, n, p, r)
			tt.TotalXP += int64(mb.xp)
			switch st.outcome {
			case outcomePromoted:
				tt.Promoted++
			case outcomeRelegated:
				tt.Relegated++
			default:
				tt.Stayed++
			}
		}
	}
	for _, tt := range t.PerTier {
		t.Groups += tt.Groups
		t.Promoted += tt.Promoted
		t.Relegated += tt.Relegated
		t.Stayed += tt.Stayed
	}
}
