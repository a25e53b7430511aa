package cdc

import (
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/pii"
)

// TestSCD2ErasedSubjectRedelivered: a CDC tool's table cannot be scrubbed by dwm, so after a
// subject is erased (logged, history scrubbed) a re-delivery of its old changes still carries its
// personal values. The batch blanks them as they arrive, so the re-delivered changes, above the
// cursor and below it, are duplicates of the scrubbed history: nothing quarantined, no version
// replaced, no value back. Before, the older change was quarantined as late (with the values)
// and the one at the current instant replaced the scrubbed current version.
func TestSCD2ErasedSubjectRedelivered(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n, sql := peerdbUsers(t, p, db)
	log := pii.LogRelation(db)
	p.erasures = []materialize.Erasure{{Key: "user_id", Columns: []string{"username"}, Keys: pii.ErasedKeys(log, "users"), Setup: pii.LogDDL(log)}}
	exec(t, wh, "CREATE TABLE "+db+".users_pg"+peerdbCreate)
	ins := func(values string) { exec(t, wh, "INSERT INTO "+db+".users_pg VALUES "+values) }
	ann := "(1, 'ann', 1, '2026-01-05 00:00:00', now64(9), 0, 100), (1, 'ann', 2, '2026-01-06 00:00:00', now64(9), 0, 101)"
	ins(ann + ", (2, 'bob', 1, '2026-01-05 00:00:00', now64(9), 0, 102)")
	if got := p.mustRun(t, wh, n, sql, false); got != "1 batches, 3 new versions" {
		t.Fatalf("first run: %q", got)
	}
	// ann is erased: logged, and her history scrubbed as dwm erase does it.
	exec(t, wh, pii.LogDDL(log))
	exec(t, wh, pii.RequestSQL(log, "users", "request", []string{"1"}))
	for _, table := range []string{"users__versions", "users__quarantine"} {
		tg := pii.Target{Table: manifest.QuoteIdent(db) + "." + manifest.QuoteIdent(table), Key: "user_id", Columns: []string{"username"}, Log: log, Subject: "users"}
		exec(t, wh, tg.ScrubSQL(false))
	}
	// The tool delivers ann's changes again: above the cursor, and one below it (its old version).
	ins("(1, 'ann', 1, '2026-01-05 00:00:00', now64(9), 0, 200), (1, 'ann', 2, '2026-01-06 00:00:00', now64(9), 0, 201)," +
		"(1, 'ann', 2, '2026-01-06 00:00:00', now64(9), 0, 101), (2, 'bob', 2, '2026-01-07 00:00:00', now64(9), 0, 202)")
	if got := p.mustRun(t, wh, n, sql, false); got != "1 batches, 1 new versions, 2 re-deliveries ignored" {
		t.Errorf("re-delivery: %q", got)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".users__quarantine"); got != "0" {
		t.Errorf("%s rows quarantined", got)
	}
	hist := "1||1|2026-01-05 00:00:00|2026-01-06 00:00:00|1\n1||2|2026-01-06 00:00:00|2100-01-01 00:00:00|2\n" +
		"2|bob|1|2026-01-05 00:00:00|2026-01-07 00:00:00|1\n2|bob|2|2026-01-07 00:00:00|2100-01-01 00:00:00|2"
	if got := rows(t, wh, "SELECT user_id, username, tier, valid_from, valid_to, version FROM "+db+".users ORDER BY user_id, version"); got != hist {
		t.Errorf("history =\n%s\nwant\n%s", got, hist)
	}
	// A rebuild from the tool's table (which still holds ann's values) gives the same history.
	p.mustRun(t, wh, n, sql, true)
	if got := rows(t, wh, "SELECT user_id, username, tier, valid_from, valid_to, version FROM "+db+".users ORDER BY user_id, version"); got != hist {
		t.Errorf("after a full refresh, history =\n%s\nwant\n%s", got, hist)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".users__versions WHERE username = 'ann'"); got != "0" {
		t.Errorf("%s versions hold ann's name", got)
	}
}
