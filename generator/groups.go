package generator

import (
	"cmp"
	"slices"
)

// formGroups places the week's participants into league groups of their tier. Within a tier, users are
// shuffled by a hash of (seed, week, user) so groups mix signup cohorts, then cut into GroupSizes
// pieces. Group ids are assigned tier by tier, bottom first. stands is aligned with parts.
func (s *Simulator) formGroups(k int, parts []int32) (groups []instance, stands []standing) {
	type entry struct {
		key uint64
		pos int32
	}
	byTier := make([][]entry, NumTiers)
	for p, idx := range parts {
		t := s.users[idx].tier - 1
		byTier[t] = append(byTier[t], entry{hashKey(s.opts.Seed, tagGroup, uint64(k), userID(int(idx))), int32(p)})
	}
	stands = make([]standing, len(parts))
	all := make([]member, len(parts)) // one backing array for every group's members
	next := 0
	for t, es := range byTier {
		slices.SortFunc(es, func(a, b entry) int {
			if c := cmp.Compare(a.key, b.key); c != 0 {
				return c
			}
			return cmp.Compare(a.pos, b.pos)
		})
		for _, size := range GroupSizes(len(es)) {
			in := instance{id: s.nextInstance, tier: uint8(t + 1), members: all[next : next+size : next+size]}
			s.nextInstance++
			for i, e := range es[:size] {
				in.members[i] = member{pos: e.pos}
				stands[e.pos] = standing{instance: in.id, tier: in.tier}
			}
			es = es[size:]
			next += size
			groups = append(groups, in)
		}
	}
	return groups, stands
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
