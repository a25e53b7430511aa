package cdc

import (
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

// peerdbUsers creates a PeerDB-shaped change table (the source columns plus _peerdb_synced_at,
// _peerdb_is_deleted and _peerdb_version, append-only) and an scd2 model reading it.
func peerdbUsers(t *testing.T, p *project, db string) (*manifest.Node, string) {
	t.Helper()
	n := p.model("users", "scd2", map[string]any{"unique_key": []string{"user_id"}})
	return n, "select * from `" + db + "`.`users_pg`"
}

const peerdbCreate = " (user_id Int64, username String, tier Nullable(Int16), cdc_timestamp DateTime, _peerdb_synced_at DateTime64(9)," +
	" _peerdb_is_deleted Int8, _peerdb_version Int64) ENGINE = MergeTree ORDER BY user_id"

// TestSCD2FromPeerDBTable: batches are cursor ranges; a re-delivery above the mark or below it
// changes nothing; a row arriving below the mark with new values is quarantined once, with its
// cursor; an unknown delete flag is quarantined; rows vanishing below the mark rebuild the model.
func TestSCD2FromPeerDBTable(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n, sql := peerdbUsers(t, p, db)
	exec(t, wh, "CREATE TABLE "+db+".users_pg"+peerdbCreate)
	ins := func(values string) { exec(t, wh, "INSERT INTO "+db+".users_pg VALUES "+values) }
	ins("(1, 'ann', 1, '2026-01-05 00:00:00', now64(9), 0, 100), (2, 'bob', 1, '2026-01-05 00:00:00', now64(9), 0, 101)," +
		"(1, 'ann', 2, '2026-01-06 00:00:00', now64(9), 0, 102), (3, 'cid', 1, '2026-01-06 00:00:00', now64(9), 0, 103)")
	if got := p.mustRun(t, wh, n, sql, false); got != "1 batches, 4 new versions" {
		t.Errorf("first run: %q", got)
	}
	// The tool re-delivers ann's change with a new version, deletes cid, and writes a flag it never writes.
	ins("(1, 'ann', 2, '2026-01-06 00:00:00', now64(9), 0, 104), (3, 'cid', 1, '2026-01-07 00:00:00', now64(9), 1, 105)," +
		"(2, 'bob', 2, '2026-01-08 00:00:00', now64(9), 7, 106)")
	if got := p.mustRun(t, wh, n, sql, false); got != "1 batches, 1 new versions, 1 re-deliveries ignored, 1 changes quarantined" {
		t.Errorf("second run: %q", got)
	}
	if got := p.mustRun(t, wh, n, sql, false); got != "no new changes" {
		t.Errorf("third run: %q", got)
	}
	// Rows behind the cursor (<= 106): a re-delivery of an applied change, and a change nobody saw.
	ins("(2, 'bob', 1, '2026-01-05 00:00:00', now64(9), 0, 101), (2, 'bob', 3, '2026-01-09 00:00:00', now64(9), 0, 99)")
	if got := p.mustRun(t, wh, n, sql, false); got != "1 batches, 0 new versions, 1 changes quarantined" {
		t.Errorf("run after late rows: %q", got)
	}
	if got := p.mustRun(t, wh, n, sql, false); got != "no new changes" {
		t.Errorf("the late row is quarantined again: %q", got)
	}
	wantQ := "2|2|unknown _peerdb_is_deleted '7' (expected 0 or 1)|106|2\n" +
		"2|3|_peerdb_version 99 is at or below 106, the cursor committed before it arrived|99|3"
	if got := rows(t, wh, "SELECT user_id, tier, reason, _peerdb_version, _batch FROM "+db+".users__quarantine ORDER BY _batch"); got != wantQ {
		t.Errorf("quarantine =\n%s\nwant\n%s", got, wantQ)
	}
	hist := "1|ann|1|2026-01-05 00:00:00|2026-01-06 00:00:00|1|true\n1|ann|2|2026-01-06 00:00:00|2100-01-01 00:00:00|2|true\n" +
		"2|bob|1|2026-01-05 00:00:00|2100-01-01 00:00:00|1|true\n" +
		"3|cid|1|2026-01-06 00:00:00|2026-01-07 00:00:00|1|true\n3|cid|1|2026-01-07 00:00:00|2100-01-01 00:00:00|2|false"
	cols := "user_id, username, tier, valid_from, valid_to, version, is_active"
	if got := rows(t, wh, "SELECT "+cols+" FROM "+db+".users ORDER BY user_id, version"); got != hist {
		t.Errorf("history =\n%s\nwant\n%s", got, hist)
	}
	if got := rows(t, wh, "SELECT batch, cursor_to, cursor_rows, delivered, loaded, duplicates, quarantined FROM "+db+
		".dwm_ledger ORDER BY batch"); got != "1|103|4|4|4|0|0\n2|106|7|3|1|1|1\n3|106|9|1|0|0|1" {
		t.Errorf("ledger =\n%s", got)
	}
	// The tool resyncs and drops rows the history was built from: the model is rebuilt.
	exec(t, wh, "ALTER TABLE "+db+".users_pg DELETE WHERE _peerdb_version = 99 SETTINGS mutations_sync = 2")
	if got := p.mustRun(t, wh, n, sql, false); !strings.HasPrefix(got, "rebuilt from scratch because the input now holds 8 rows with _peerdb_version at or below 106, fewer than the 9") {
		t.Errorf("run after rows vanished: %q", got)
	}
	if got := rows(t, wh, "SELECT "+cols+" FROM "+db+".users ORDER BY user_id, version"); got != hist {
		t.Errorf("history after the rebuild =\n%s\nwant\n%s", got, hist)
	}
}

// TestSCD2FromDebeziumTable: Debezium's op codes through Kafka; a consumer restart re-delivers
// messages with the same offsets, which changes nothing.
func TestSCD2FromDebeziumTable(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := p.model("users", "scd2", map[string]any{"unique_key": []string{"user_id"}, "source_system": "app"})
	sql := "select * from `" + db + "`.`users_kafka`"
	exec(t, wh, "CREATE TABLE "+db+".users_kafka (user_id UInt64, username String, cdc_timestamp DateTime, __op String, __source_ts_ms Int64,"+
		" __deleted String, _topic String, _partition Int32, _offset Int64) ENGINE = MergeTree ORDER BY _offset")
	week1 := "(1, 'ann', '2026-01-05 00:00:00', 'r', 0, 'false', 'app.public.users', 0, 0), (2, 'bob', '2026-01-05 00:00:00', 'c', 0, 'false', 'app.public.users', 0, 1)," +
		"(1, 'anna', '2026-01-06 00:00:00', 'u', 0, 'false', 'app.public.users', 0, 2)"
	exec(t, wh, "INSERT INTO "+db+".users_kafka VALUES "+week1)
	p.mustRun(t, wh, n, sql, false)
	exec(t, wh, "INSERT INTO "+db+".users_kafka VALUES (2, 'bob', '2026-01-07 00:00:00', 'd', 0, 'true', 'app.public.users', 0, 3)")
	p.mustRun(t, wh, n, sql, false)
	sum := "SELECT count(), groupBitXor(cityHash64(user_id, username, valid_from, valid_to, version, is_active, source_system)) FROM " + db + ".users"
	before := rows(t, wh, sum)
	if got := rows(t, wh, "SELECT user_id, username, version, is_active, is_current FROM "+db+".users ORDER BY user_id, version"); got !=
		"1|ann|1|true|false\n1|anna|2|true|true\n2|bob|1|true|false\n2|bob|2|false|true" {
		t.Errorf("history =\n%s", got)
	}
	// The consumer restarts and writes the first week's messages again, same offsets.
	exec(t, wh, "INSERT INTO "+db+".users_kafka VALUES "+week1)
	if got := p.mustRun(t, wh, n, sql, false); got != "1 batches, 0 new versions" {
		t.Errorf("re-delivery: %q", got)
	}
	if got := rows(t, wh, sum); got != before {
		t.Errorf("re-delivery changed the history: %s -> %s", before, got)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".users__quarantine"); got != "0" {
		t.Errorf("%s rows quarantined", got)
	}
	// One change delivered twice in one run, past the cursor and behind it: applied once, the
	// copy behind the cursor is a duplicate, not a late change.
	exec(t, wh, "INSERT INTO "+db+".users_kafka VALUES (3, 'cid', '2026-01-08 00:00:00', 'c', 0, 'false', 'app.public.users', 0, 10),"+
		" (3, 'cid', '2026-01-08 00:00:00', 'c', 0, 'false', 'app.public.users', 0, 1)")
	if got := p.mustRun(t, wh, n, sql, false); got != "1 batches, 1 new versions, 1 re-deliveries ignored" {
		t.Errorf("a change past and behind the cursor: %q", got)
	}
	before = rows(t, wh, sum)
	// A full refresh replays the input as one batch: the same history here.
	p.mustRun(t, wh, n, sql, true)
	if got := rows(t, wh, sum); got != before {
		t.Errorf("full refresh: %s, incremental: %s", got, before)
	}
}
