package cdc

import (
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

// TestRelationInputCrashRecovery stops a run of an scd2 and a fact model reading relations after
// each step of a batch that writes (a batch that also checks rows behind the cursor), runs again,
// and requires the contents, quarantine and ledger counts of an uninterrupted run. (Every step is
// too slow for CI on a loaded machine; the steps that only read or create temporary tables are
// left out.)
func TestRelationInputCrashRecovery(t *testing.T) {
	// Parallel, as TestSCD2CrashRecovery.
	t.Parallel()
	wh, db := testDB(t)
	p := newProject(t, db)
	users, usersSQL := peerdbUsers(t, p, db)
	events := p.model("events", "fact", map[string]any{"unique_key": []string{"event_id"}, "cursor": "_offset"})
	eventsSQL := "select * from `" + db + "`.`events_kafka`"
	setup := func() {
		exec(t, wh, "DROP DATABASE IF EXISTS "+db+" SYNC")
		exec(t, wh, "CREATE DATABASE "+db)
		exec(t, wh, "CREATE TABLE "+db+".users_pg"+peerdbCreate)
		exec(t, wh, "CREATE TABLE "+db+".events_kafka (event_id String, payload String, _offset Int64) ENGINE = MergeTree ORDER BY _offset")
		exec(t, wh, "INSERT INTO "+db+".users_pg VALUES (1, 'ann', 1, '2026-01-05 00:00:00', now64(9), 0, 100), (2, 'bob', 1, '2026-01-05 00:00:00', now64(9), 0, 101)")
		exec(t, wh, "INSERT INTO "+db+".events_kafka VALUES ('e1', '{}', 0), ('e2', '{}', 1)")
		p.mustRun(t, wh, users, usersSQL, false)
		p.mustRun(t, wh, events, eventsSQL, false)
		exec(t, wh, "INSERT INTO "+db+".users_pg VALUES (1, 'ann', 2, '2026-01-06 00:00:00', now64(9), 0, 102), (2, 'bob', 1, '2026-01-05 00:00:00', now64(9), 0, 101),"+
			"(2, 'bob', 5, '2026-01-06 00:00:00', now64(9), 0, 90), (3, 'cid', 1, '2026-01-06 00:00:00', now64(9), 0, 103), (3, 'cid', 2, '2026-01-06 00:00:00', now64(9), 0, 104)")
		exec(t, wh, "INSERT INTO "+db+".events_kafka VALUES ('e3', '{}', 2), ('e2', '{}', 1), ('e9', '{}', 0), ('e3', '{}', 3)")
	}
	check := "SELECT (SELECT groupBitXor(cityHash64(user_id, username, tier, valid_from, valid_to, is_current, version, is_active)) FROM " + db + ".users), " +
		"(SELECT groupBitXor(cityHash64(user_id, tier, reason)) FROM " + db + ".users__quarantine), " +
		"(SELECT groupBitXor(cityHash64(user_id, _ts, replaced)) FROM " + db + ".users__superseded), " +
		"(SELECT groupBitXor(cityHash64(event_id, _offset, _load_seq)) FROM " + db + ".events), " +
		"(SELECT groupBitXor(cityHash64(event_id, reason)) FROM " + db + ".events__quarantine), " +
		"(SELECT groupBitXor(cityHash64(model, kind, batch, cursor_to, cursor_rows, delivered, loaded, duplicates, superseded, quarantined)) FROM " + db + ".dwm_ledger)"
	setup()
	p.mustRun(t, wh, users, usersSQL, false)
	p.mustRun(t, wh, events, eventsSQL, false)
	want := rows(t, wh, check)
	for _, m := range []struct {
		n   *manifest.Node
		sql string
	}{{users, usersSQL}, {events, eventsSQL}} {
		setup()
		_, steps, err := p.plan(t, wh, m.n, m.sql, false)
		if err != nil {
			t.Fatal(err)
		}
		for stop := 1; stop < len(steps); stop++ {
			if !writes(steps[stop-1].Purpose) {
				continue
			}
			setup()
			_, steps, err := p.plan(t, wh, m.n, m.sql, false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := executeSteps(wh, steps[:stop]); err != nil {
				t.Fatalf("%s, stop %d: %v", m.n.Name, stop, err)
			}
			p.mustRun(t, wh, users, usersSQL, false)
			p.mustRun(t, wh, events, eventsSQL, false)
			if got := rows(t, wh, check); got != want {
				t.Errorf("%s killed after step %d (%s): got %s, want %s", m.n.Name, stop, steps[stop].Purpose, got, want)
			}
		}
	}
}

// writes reports a batch step after which a kill leaves something the next run must repair.
func writes(purpose string) bool {
	for _, w := range []string{"quarantine", "keep the overtaken", "write the new", "close the", "to fold", "rewrite the", "list the current",
		"reconcile", "swap into", "keep the good", "drop the current partitions replaced"} {
		if strings.Contains(purpose, w) {
			return true
		}
	}
	return false
}
