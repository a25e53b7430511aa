package generator

import (
	"cmp"
	"path/filepath"
	"slices"
	"testing"
)

// weekTables are the parsed CDC files of one week.
type weekTables struct {
	users, instances, assignments table
}

func readWeek(t *testing.T, root string, k int) weekTables {
	dir := filepath.Join(root, WeekDir(k))
	return weekTables{
		users:       readTable(t, filepath.Join(dir, "users.csv"), HeaderUsers),
		instances:   readTable(t, filepath.Join(dir, "ligue_instances.csv"), HeaderInstances),
		assignments: readTable(t, filepath.Join(dir, "ligue_assignment.csv"), HeaderAssignments),
	}
}

// checkCDCOrder asserts rows are ordered by cdc_timestamp, then by the key columns (numeric).
func checkCDCOrder(t *testing.T, name string, tb table, keys ...string) {
	t.Helper()
	for i := 1; i < len(tb.rows); i++ {
		a, b := tb.rows[i-1], tb.rows[i]
		c := cmp.Compare(tb.get(a, "cdc_timestamp"), tb.get(b, "cdc_timestamp"))
		for _, k := range keys {
			if c == 0 {
				c = cmp.Compare(tb.int(t, a, k), tb.int(t, b, k))
			}
		}
		if c >= 0 {
			t.Fatalf("%s: row %d (%v) not after row %d (%v)", name, i+1, b, i, a)
		}
	}
}

// TestLeagueRules replays the CDC files the way the warehouse will and checks every league rule.
func TestLeagueRules(t *testing.T) {
	o := testOptions(t)
	generate(t, o)
	tiers := Tiers()
	tier := map[int]int{} // user_id -> current_tier, replayed from users.csv
	deleted := map[int]bool{}
	var last lastWeek
	for k := 1; k <= o.Weeks; k++ {
		w := readWeek(t, o.Out, k)
		m := readManifest(t, filepath.Join(o.Out, WeekDir(k)))
		ws, we := dateString(o.weekStart(k)), dateString(o.weekStart(k).AddDate(0, 0, 6))
		checkCDCOrder(t, "users", w.users, "user_id")
		checkCDCOrder(t, "ligue_instances", w.instances, "instance_id")
		checkCDCOrder(t, "ligue_assignment", w.assignments, "user_id", "instance_id")

		// Users active before the league close: inserts and mid-week updates (before Sunday 23:59).
		var closeRows [][]string
		signups := 0
		newcomers := map[int]bool{}
		for _, r := range w.users.rows {
			uid, op := w.users.int(t, r, "user_id"), w.users.get(r, "op")
			if w.users.get(r, "cdc_timestamp") >= we+" 23:59:00" {
				closeRows = append(closeRows, r)
				continue
			}
			if op == OpInsert {
				signups++
				newcomers[uid] = w.users.get(r, "signup_date") == ws
				if _, dup := tier[uid]; dup {
					t.Fatalf("week %d: user %d inserted twice", k, uid)
				}
				if k > 1 && w.users.get(r, "current_tier") != "1" {
					t.Fatalf("week %d: new user %d starts in tier %s", k, uid, w.users.get(r, "current_tier"))
				}
			}
			tier[uid] = w.users.int(t, r, "current_tier")
		}
		if int64(signups) != m.Truth.Signups {
			t.Errorf("week %d: %d signups, manifest says %d", k, signups, m.Truth.Signups)
		}

		// Groups: INSERT at week start with 0 participants, UPDATE at week end with the member count.
		type group struct {
			tier, actual int
			members      [][]string
		}
		groups := map[int]*group{}
		for _, r := range w.instances.rows {
			id := w.instances.int(t, r, "instance_id")
			if w.instances.get(r, "max_participants") != "30" || w.instances.get(r, "week_start_date") != ws || w.instances.get(r, "week_end_date") != we {
				t.Fatalf("week %d: bad instance row %v", k, r)
			}
			switch w.instances.get(r, "op") {
			case OpInsert:
				groups[id] = &group{tier: w.instances.int(t, r, "tier_id"), actual: -1}
			case OpUpdate:
				groups[id].actual = w.instances.int(t, r, "actual_participants")
			}
		}

		// Assignments: one INSERT and one UPDATE per participant, in the group of their current tier.
		inserted, updated := map[int]bool{}, map[int][]string{}
		for _, r := range w.assignments.rows {
			uid := w.assignments.int(t, r, "user_id")
			g := groups[w.assignments.int(t, r, "instance_id")]
			if g == nil || w.assignments.int(t, r, "tier_id") != g.tier {
				t.Fatalf("week %d: assignment %v not in a group of its tier", k, r)
			}
			switch w.assignments.get(r, "op") {
			case OpInsert:
				if inserted[uid] || deleted[uid] || tier[uid] != g.tier {
					t.Fatalf("week %d: bad INSERT for user %d (dup %v, deleted %v, tier %d vs group %d)", k, uid, inserted[uid], deleted[uid], tier[uid], g.tier)
				}
				if w.assignments.get(r, "final_rank") != "" || w.assignments.get(r, "outcome") != "" || w.assignments.get(r, "total_xp_earned") != "0" {
					t.Fatalf("week %d: INSERT carries a result: %v", k, r)
				}
				inserted[uid] = true
			case OpUpdate:
				if !inserted[uid] || updated[uid] != nil {
					t.Fatalf("week %d: UPDATE without INSERT or twice for user %d", k, uid)
				}
				updated[uid] = r
				g.members = append(g.members, r)
			}
		}
		if len(inserted) != len(updated) || int64(len(inserted)) != m.Truth.ParticipatingUsers {
			t.Fatalf("week %d: %d inserts, %d updates, manifest %d participants", k, len(inserted), len(updated), m.Truth.ParticipatingUsers)
		}

		// Group sizes: at most 30; one row of the truth per group.
		perTier := map[int]int64{}
		formedGroups := map[int]formed{}
		for id, g := range groups {
			if g.actual != len(g.members) || g.actual > MaxGroupSize || g.actual == 0 {
				t.Fatalf("week %d: group %d has actual_participants %d, members %d", k, id, g.actual, len(g.members))
			}
			perTier[g.tier]++
			f := formed{tier: g.tier}
			for _, r := range g.members {
				f.users = append(f.users, w.assignments.int(t, r, "user_id"))
			}
			formedGroups[id] = f
		}
		for tr, n := range perTier {
			if n != m.Truth.PerTier[tr-1].Groups {
				t.Errorf("week %d tier %d: %d groups, manifest %d", k, tr, n, m.Truth.PerTier[tr-1].Groups)
			}
		}
		checkGrouping(t, k, formedGroups, newcomers, last)
		checkStartingRanks(t, k, w.assignments, last)
		last = lastWeek{}
		for _, r := range w.assignments.rows {
			if w.assignments.get(r, "op") == OpUpdate {
				uid := w.assignments.int(t, r, "user_id")
				last.set(uid, w.assignments.int(t, r, "instance_id"), w.assignments.int(t, r, "total_xp_earned"), w.assignments.get(r, "outcome"))
			}
		}

		// Ranks and outcomes.
		var promoted, relegated, stayed int64
		outcome := map[int]string{}
		for _, g := range groups {
			ms := g.members
			slices.SortFunc(ms, func(a, b []string) int {
				if c := cmp.Compare(w.assignments.int(t, b, "total_xp_earned"), w.assignments.int(t, a, "total_xp_earned")); c != 0 {
					return c
				}
				return cmp.Compare(w.assignments.int(t, a, "user_id"), w.assignments.int(t, b, "user_id"))
			})
			n := len(ms)
			p, r := OutcomeSlots(n, tiers[g.tier-1])
			for i, row := range ms {
				rank := i + 1
				want := OutcomeStayed
				switch {
				case rank <= p:
					want, promoted = OutcomePromoted, promoted+1
				case rank > n-r:
					want, relegated = OutcomeRelegated, relegated+1
				default:
					stayed++
				}
				if w.assignments.int(t, row, "final_rank") != rank || w.assignments.get(row, "outcome") != want {
					t.Fatalf("week %d: user %s has rank %s outcome %s, want %d %s", k, w.assignments.get(row, "user_id"),
						w.assignments.get(row, "final_rank"), w.assignments.get(row, "outcome"), rank, want)
				}
				outcome[w.assignments.int(t, row, "user_id")] = want
			}
		}
		if promoted != m.Truth.Promoted || relegated != m.Truth.Relegated || stayed != m.Truth.Stayed {
			t.Errorf("week %d: outcomes %d/%d/%d, manifest %d/%d/%d", k, promoted, relegated, stayed, m.Truth.Promoted, m.Truth.Relegated, m.Truth.Stayed)
		}

		// League close: a tier UPDATE for exactly the promoted and relegated, then GDPR deletes.
		moved := map[int]bool{}
		for _, r := range closeRows {
			uid := w.users.int(t, r, "user_id")
			switch w.users.get(r, "op") {
			case OpUpdate:
				want := tier[uid] + map[string]int{OutcomePromoted: 1, OutcomeRelegated: -1}[outcome[uid]]
				if outcome[uid] == OutcomeStayed || outcome[uid] == "" || w.users.int(t, r, "current_tier") != want {
					t.Fatalf("week %d: tier update %v for outcome %q from tier %d", k, r, outcome[uid], tier[uid])
				}
				tier[uid] = want
				moved[uid] = true
			case OpDelete:
				if w.users.get(r, "is_deleted") != "true" || w.users.get(r, "username") != "" || w.users.get(r, "email") != "" || w.users.get(r, "birth_date") != "" {
					t.Fatalf("week %d: DELETE keeps personal data: %v", k, r)
				}
				deleted[uid] = true
			}
		}
		for uid, oc := range outcome {
			if (oc != OutcomeStayed) != moved[uid] {
				t.Fatalf("week %d: user %d outcome %s but tier update %v", k, uid, oc, moved[uid])
			}
		}
		for tr := 1; tr <= NumTiers; tr++ {
			n := int64(0)
			for uid, ut := range tier {
				if ut == tr && !deleted[uid] {
					n++
				}
			}
			if n != m.Truth.PerTier[tr-1].Users {
				t.Errorf("week %d tier %d: %d users after the week, manifest %d", k, tr, n, m.Truth.PerTier[tr-1].Users)
			}
		}
	}
	if len(deleted) == 0 {
		t.Fatalf("no deletions in %d weeks; the GDPR path was not exercised", o.Weeks)
	}
}
