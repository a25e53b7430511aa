package generator

import (
	"context"
	"os"
	"path/filepath"
	"time"
)

// Second offsets of the CDC rows written at the edges of a week. Week-start rows come first on Monday
// (accounts, then groups, then assignments); week-end rows close the week on Sunday in the same order
// the backend runs its league close, then GDPR deletions.
const (
	atSignup           = 0
	atInstanceInsert   = 1
	atAssignmentInsert = 2
	atInstanceUpdate   = secondsPerWeek - 10
	atAssignmentUpdate = secondsPerWeek - 9
	atTierUpdate       = secondsPerWeek - 8
	atDelete           = secondsPerWeek - 7
)

// weekFiles are the four CDC and clickstream outputs of one week; all nil on a dry run.
type weekFiles struct {
	users, instances, assignments, events *csvFile
}

func openWeekFiles(dir string) (weekFiles, error) {
	var f weekFiles
	var err error
	if f.users, err = createCSV(dir, "users.csv", HeaderUsers); err != nil {
		return f, err
	}
	if f.instances, err = createCSV(dir, "ligue_instances.csv", HeaderInstances); err != nil {
		return f, err
	}
	if f.assignments, err = createCSV(dir, "ligue_assignment.csv", HeaderAssignments); err != nil {
		return f, err
	}
	f.events, err = createCSV(dir, "event_stream.csv", HeaderEvents)
	return f, err
}

func (f weekFiles) abort() {
	for _, c := range []*csvFile{f.users, f.instances, f.assignments, f.events} {
		c.abort()
	}
}

func (f weekFiles) close() ([]FileInfo, error) {
	var out []FileInfo
	for _, c := range []*csvFile{f.users, f.instances, f.assignments, f.events} {
		fi, err := c.close()
		if err != nil {
			return nil, err
		}
		out = append(out, fi)
	}
	return out, nil
}

// step simulates week s.week+1, writing it under root when write is set.
func (s *Simulator) step(ctx context.Context, root string, write bool) (Manifest, error) {
	k := s.week + 1
	var files weekFiles
	if write {
		dir := filepath.Join(root, WeekDir(k))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Manifest{}, wrapWeek(k, err)
		}
		var err error
		if files, err = openWeekFiles(dir); err != nil {
			files.abort()
			return Manifest{}, wrapWeek(k, err)
		}
	}
	m, err := s.runWeek(ctx, k, files)
	if err != nil {
		files.abort()
		return Manifest{}, wrapWeek(k, err)
	}
	if !write {
		return m, nil
	}
	if m.Files, err = files.close(); err != nil {
		return Manifest{}, wrapWeek(k, err)
	}
	if err := writeJSON(filepath.Join(root, WeekDir(k), "manifest.json"), m); err != nil {
		return Manifest{}, wrapWeek(k, err)
	}
	return m, nil
}

// runWeek is the backend's week in the order of the plan: signups, account changes, league groups and
// assignments, the clickstream, the league close and tier moves, and deletions. Each CDC row is
// formatted when its change happens, so it carries the account's image at that moment.
func (s *Simulator) runWeek(ctx context.Context, k int, f weekFiles) (Manifest, error) {
	o, seed := s.opts, s.opts.Seed
	ws := o.weekStart(k)
	at := func(sec int) time.Time { return ws.Add(time.Duration(sec) * time.Second) }
	wsDate, weDate := appendDate(nil, ws), appendDate(nil, ws.AddDate(0, 0, 6))
	m := Manifest{GeneratorVersion: Version, Seed: seed, Week: k, WeekStart: string(wsDate), WeekEnd: string(weDate),
		Options: optionsDoc(o)}
	truth := &Truth{PerTier: make([]TierTruth, NumTiers)}
	for i := range truth.PerTier {
		truth.PerTier[i].TierID = i + 1
	}
	var b []byte

	first := s.addUsers(k)
	for i := first; i < len(s.users); i++ {
		b = appendUserRow(b[:0], OpInsert, seed, i, &s.users[i], at(atSignup))
		if err := f.users.row(b); err != nil {
			return m, err
		}
	}
	truth.Signups = int64(len(s.users) - first)

	plan := planWeek(seed, k, s.users, s.rng)
	for _, c := range plan.changes {
		u := &s.users[c.idx]
		applyChange(seed, k, c, u, s.rng)
		b = appendUserRow(b[:0], OpUpdate, seed, int(c.idx), u, at(int(c.atSec)))
		if err := f.users.row(b); err != nil {
			return m, err
		}
	}
	truth.ProfileUpdates = int64(len(plan.changes))

	parts := plan.participants
	groups, stands := s.formGroups(k, parts)
	for i := range groups {
		b = appendInstanceRow(b[:0], OpInsert, &groups[i], wsDate, weDate, 0, at(atInstanceInsert))
		if err := f.instances.row(b); err != nil {
			return m, err
		}
	}
	for p, idx := range parts {
		b = appendAssignmentRow(b[:0], OpInsert, userID(int(idx)), stands[p], wsDate, weDate, at(atAssignmentInsert))
		if err := f.assignments.row(b); err != nil {
			return m, err
		}
	}

	counts, xp, err := s.clickstream(ctx, k, ws, parts, f.events)
	if err != nil {
		return m, err
	}
	m.Faults = &Faults{Duplicates: s.carried.Duplicates + counts.dupSame, MalformedJSON: counts.malformed,
		UnknownEventType: counts.unknown, LateArrivals: s.carried.LateArrivals}
	truth.EventsDelivered = counts.rows + s.carried.Duplicates + s.carried.LateArrivals
	truth.EventsGenerated = counts.rows - counts.dupSame - counts.malformed - counts.unknown + counts.late
	truth.LessonCompletions, truth.TotalXP = counts.completions, counts.xp
	s.carried = Carried{Duplicates: counts.dupNext, LateArrivals: counts.late}
	m.CarriedToNextWeek = &s.carried

	closeLeague(groups, stands, xp, truth)
	s.last = lastLeague{parts: parts, stands: stands}
	for i := range groups {
		b = appendInstanceRow(b[:0], OpUpdate, &groups[i], wsDate, weDate, len(groups[i].members), at(atInstanceUpdate))
		if err := f.instances.row(b); err != nil {
			return m, err
		}
	}
	for p, idx := range parts {
		b = appendAssignmentRow(b[:0], OpUpdate, userID(int(idx)), stands[p], wsDate, weDate, at(atAssignmentUpdate))
		if err := f.assignments.row(b); err != nil {
			return m, err
		}
	}
	for p, idx := range parts {
		u := &s.users[idx]
		switch stands[p].outcome {
		case outcomePromoted:
			u.tier++
		case outcomeRelegated:
			u.tier--
		default:
			continue
		}
		truth.TierUpdates++
		b = appendUserRow(b[:0], OpUpdate, seed, int(idx), u, at(atTierUpdate))
		if err := f.users.row(b); err != nil {
			return m, err
		}
	}
	for _, idx := range plan.deletes {
		u := &s.users[idx]
		u.deleted = true
		b = appendUserRow(b[:0], OpDelete, seed, int(idx), u, at(atDelete))
		if err := f.users.row(b); err != nil {
			return m, err
		}
	}
	truth.Deletes = int64(len(plan.deletes))
	s.deleted += truth.Deletes
	s.countUsers(truth, len(parts))
	m.Truth = truth
	s.week = k
	return m, nil
}

// clickstream writes the week's event_stream.csv: first the rows held back from last week, then this
// week's sessions. It keeps this week's held-back rows for the next file.
func (s *Simulator) clickstream(ctx context.Context, k int, ws time.Time, parts []int32, f *csvFile) (eventCounts, []uint32, error) {
	if _, err := f.Write(s.carry); err != nil {
		return eventCounts{}, nil, err
	}
	f.addRows(s.carried.Duplicates + s.carried.LateArrivals)
	xp := make([]uint32, len(parts))
	env := newWeekEnv(s.opts.Seed, k, ws, s.users, xp, s.opts)
	counts, carry, err := streamEvents(ctx, env, parts, s.workers, f)
	if err != nil {
		return counts, nil, err
	}
	f.addRows(counts.rows)
	s.carry = carry
	return counts, xp, nil
}

// countUsers fills the population part of the truth after the week's moves and deletions.
func (s *Simulator) countUsers(t *Truth, participants int) {
	t.ActiveUsers, t.ParticipatingUsers = int64(participants), int64(participants)
	t.UsersDeleted = s.deleted
	for i := range s.users {
		if u := &s.users[i]; !u.deleted {
			t.UsersTotal++
			t.PerTier[u.tier-1].Users++
		}
	}
}
