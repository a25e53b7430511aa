package cdc

import (
	"strings"
	"testing"
)

// TestLoadRebuildsWhenLedgerAndTableDisagree puts a staging model's ledger and table out of
// step in each way a kill (or a hand) can leave them, and checks that the next plain run says why
// and reloads every file, ending with exactly the table, quarantine and ledger of an undisturbed
// run; and that an undisturbed run, including a file whose every row was quarantined (it has no
// partition), is left alone.
func TestLoadRebuildsWhenLedgerAndTableDisagree(t *testing.T) {
	t.Parallel()
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\nINSERT,2,bob,1,false,2026-01-05 00:00:00\n")
	p.write(t, "cdc/w002/users.csv", usersHeader+"UPDATE,1,ann,2,false,2026-01-12 00:00:00\n")
	p.write(t, "cdc/w003/users.csv", usersHeader+"INSERT,x,bad,1,false,2026-01-19 00:00:00\n") // quarantined whole
	p.write(t, "cdc/w004/users.csv", usersHeader+"UPDATE,2,bob,3,false,2026-01-26 00:00:00\n")
	state := "SELECT (SELECT groupArray((user_id, tier, _file, _row, _load_seq, processed)) FROM (SELECT * FROM " + db + ".users_staging ORDER BY _load_seq, _row)), " +
		"(SELECT groupArray((_file, _row, _load_seq)) FROM (SELECT * FROM " + db + ".users_staging__quarantine ORDER BY _load_seq, _row)), " +
		"(SELECT groupArray((file, seq, delivered, loaded, duplicates, quarantined)) FROM (SELECT * FROM " + db + ".dwm_ledger ORDER BY seq))"
	if got := p.mustRun(t, wh, n, "", false); got != "4 files, 4 rows loaded, 1 quarantined" {
		t.Fatalf("first run: %q", got)
	}
	want := rows(t, wh, state)
	if got := p.mustRun(t, wh, n, "", false); got != "no new files" {
		t.Fatalf("a run with nothing out of step: %q (a partitionless, all-quarantined file must not look missing)", got)
	}
	ledger := db + ".dwm_ledger"
	cases := []struct {
		name, why string
		breakIt   []string
	}{
		{"old ledger rows back after a killed full refresh, the last file not reloaded yet",
			"the ledger lists _load_seq 1 twice", []string{
				"INSERT INTO " + ledger + " SELECT * FROM " + ledger,
				"ALTER TABLE " + db + ".users_staging DROP PARTITION 4"}},
		{"a committed file's partition gone",
			"users_staging` does not hold cdc/w002/users.csv (_load_seq 2, 1 rows), which the ledger lists as loaded", []string{
				"ALTER TABLE " + db + ".users_staging DROP PARTITION 2"}},
		{"the table dropped by hand",
			"users_staging` does not hold cdc/w001/users.csv (_load_seq 1, 2 rows), cdc/w002/users.csv (_load_seq 2, 1 rows), cdc/w004/users.csv (_load_seq 4, 1 rows)", []string{
				"DROP TABLE " + db + ".users_staging SYNC"}},
		{"rows of a file the ledger does not list",
			"users_staging` holds rows of _load_seq 2, which the ledger does not list", []string{
				"ALTER TABLE " + ledger + " DELETE WHERE seq = 2 SETTINGS mutations_sync = 2"}},
	}
	for _, c := range cases {
		for _, q := range c.breakIt {
			exec(t, wh, q)
		}
		got := p.mustRun(t, wh, n, "", false)
		if !strings.HasPrefix(got, "reloaded from scratch because ") || !strings.Contains(got, c.why) || !strings.HasSuffix(got, ": 4 files, 4 rows loaded, 1 quarantined") {
			t.Errorf("%s: report %q, want the reload and why: %q", c.name, got, c.why)
		}
		if s := rows(t, wh, state); s != want {
			t.Errorf("%s: after the run\n%s\nwant\n%s", c.name, s, want)
		}
	}
}

// TestSCD2RebuildsWhenTheLedgerListsABatchTwice: old batch rows that a full refresh's delete had
// removed are back after a kill, beside the new ones. The history cannot tell which batches it
// holds, so the next run rebuilds it, says why, and ends as an undisturbed run does.
func TestSCD2RebuildsWhenTheLedgerListsABatchTwice(t *testing.T) {
	t.Parallel()
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	historyOfTwoWeeks(t, p, wh, stg, n, sql)
	sum := historySum(db)
	want := rows(t, wh, sum)
	exec(t, wh, "INSERT INTO "+db+".dwm_ledger SELECT * FROM "+db+".dwm_ledger WHERE kind = 'batch' AND batch = 1")
	msg := p.mustRun(t, wh, n, sql, false)
	if !strings.HasPrefix(msg, "rebuilt from scratch because the ledger lists batch 1 twice") {
		t.Errorf("report = %q", msg)
	}
	if got := rows(t, wh, sum); got != want {
		t.Errorf("history after the rebuild: %s, want %s", got, want)
	}
	if got := rows(t, wh, "SELECT groupArray(batch) FROM (SELECT batch FROM "+db+".dwm_ledger WHERE kind = 'batch' ORDER BY batch)"); got != "[1,2]" {
		t.Errorf("batches in the ledger after the rebuild: %s", got)
	}
	if msg := p.mustRun(t, wh, n, sql, false); msg != "no new changes" {
		t.Errorf("the run after: %q", msg)
	}
}

// TestFactReloadsWhenItsTableLostAFile: a fact runs the same check as staging (one code path,
// prepareLoad and planLoad); a committed file's partition gone is reloaded with every file, the
// deduplication across files giving the same rows and ledger as the undisturbed run.
func TestFactReloadsWhenItsTableLostAFile(t *testing.T) {
	t.Parallel()
	wh, db := testDB(t)
	p := newProject(t, db)
	n := eventsFact(p)
	exec(t, wh, "CREATE TABLE "+db+".event_types ENGINE = MergeTree ORDER BY tuple() AS SELECT toUInt16(number + 1) AS event_type_id FROM numbers(12)")
	p.write(t, "cdc/w001/event_stream.csv", eventsHeader+"e1,1,1,2026-01-05 10:00:00.000,2026-01-05,{}\ne2,1,2,2026-01-11 23:59:00.000,2026-01-11,{}\n")
	p.write(t, "cdc/w002/event_stream.csv", eventsHeader+"e2,1,2,2026-01-11 23:59:00.000,2026-01-11,{}\ne3,2,3,2026-01-12 09:00:00.000,2026-01-12,{}\n")
	sql := "-- depends_on: {{ ref \"event_types\" }}"
	const report = "2 files, 3 rows loaded, 1 duplicates"
	if got := p.mustRun(t, wh, n, sql, false); got != report {
		t.Fatalf("first run: %q", got)
	}
	state := "SELECT (SELECT groupArray((event_id, _load_seq)) FROM (SELECT * FROM " + db + ".event_stream ORDER BY event_id)), " +
		"(SELECT groupArray((file, seq, delivered, loaded, duplicates, quarantined)) FROM (SELECT * FROM " + db + ".dwm_ledger ORDER BY seq))"
	want := rows(t, wh, state)
	exec(t, wh, "ALTER TABLE "+db+".event_stream DROP PARTITION 2")
	got := p.mustRun(t, wh, n, sql, false)
	if wantReport := "reloaded from scratch because `" + db + "`.`event_stream` does not hold cdc/w002/event_stream.csv (_load_seq 2, 1 rows), which the ledger lists as loaded: " + report; got != wantReport {
		t.Errorf("report %q, want %q", got, wantReport)
	}
	if s := rows(t, wh, state); s != want {
		t.Errorf("after the run\n%s\nwant\n%s", s, want)
	}
}
