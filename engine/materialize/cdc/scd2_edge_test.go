package cdc

import (
	"strings"
	"testing"
)

// edgeWeeks exercise the same-instant and re-delivery rules of docs/materializations.md.
var edgeWeeks = []string{
	usersHeader +
		"INSERT,1,ann,1,false,2026-01-05 00:00:00\n" +
		"UPDATE,1,ann,2,false,2026-01-05 10:00:00\n" + // overtaken: same instant, delivered before the next
		"UPDATE,1,ann,3,false,2026-01-05 10:00:00\n" +
		"INSERT,2,bob,1,false,2026-01-05 00:00:00\n" +
		"INSERT,3,cid,1,false,2026-01-05 00:00:00\n" + // inserted and deleted in one transaction
		"DELETE,3,cid,1,false,2026-01-05 00:00:00\n" +
		"INSERT,4,dan,1,false,2026-01-05 00:00:00\n",
	usersHeader +
		"UPDATE,2,bob,1,false,2026-01-05 00:00:00\n" + // bob's INSERT re-delivered as an UPDATE
		"UPDATE,4,dan,2,false,2026-01-05 00:00:00\n", // a later delivery at dan's instant: replaces it
	usersHeader +
		"INSERT,4,dan,1,false,2026-01-05 00:00:00\n" + // re-delivery of the replaced version
		"UPDATE,1,ann,2,false,2026-01-05 10:00:00\n", // re-delivery of the overtaken change
}

// TestSCD2SameInstantAndRedelivery: several changes of a key at one instant give one version (the
// last delivered), also across batches; an INSERT re-delivered as an UPDATE, a re-delivered
// overtaken change and a re-delivered replaced version change nothing; no zero-length versions.
// Before, the first two made a zero-length version and a duplicate version.
func TestSCD2SameInstantAndRedelivery(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	var reports []string
	for i, w := range edgeWeeks {
		p.write(t, "cdc/w00"+string(rune('1'+i))+"/users.csv", w)
		p.mustRun(t, wh, stg, "", false)
		reports = append(reports, p.mustRun(t, wh, n, sql, false))
	}
	want := "1 batches, 5 new versions, 2 same-instant changes overtaken; " +
		"1 batches, 1 new versions, 1 re-deliveries ignored; " +
		"1 batches, 0 new versions, 2 re-deliveries ignored"
	if got := strings.Join(reports, "; "); got != want {
		t.Errorf("reports =\n%s\nwant\n%s", got, want)
	}
	hist := strings.Join([]string{
		"1|ann|1|2026-01-05 00:00:00|2026-01-05 10:00:00|false|1|true",
		"1|ann|3|2026-01-05 10:00:00|2100-01-01 00:00:00|true|2|true",
		"2|bob|1|2026-01-05 00:00:00|2100-01-01 00:00:00|true|1|true",
		"3|cid|1|2026-01-05 00:00:00|2100-01-01 00:00:00|true|1|false",
		"4|dan|2|2026-01-05 00:00:00|2100-01-01 00:00:00|true|1|true",
	}, "\n")
	cols := "user_id, username, tier, valid_from, valid_to, is_current, version, is_active"
	if got := rows(t, wh, "SELECT "+cols+" FROM "+db+".users ORDER BY user_id, version"); got != hist {
		t.Errorf("history =\n%s\nwant\n%s", got, hist)
	}
	// The project's scd2_no_overlaps test: no version ends where it starts.
	if got := rows(t, wh, "SELECT count() FROM "+db+".users WHERE valid_to <= valid_from"); got != "0" {
		t.Errorf("%s zero-length versions", got)
	}
	if got := rows(t, wh, "SELECT user_id, _ts, replaced, _batch FROM "+db+".users__superseded ORDER BY user_id"); got !=
		"1|2026-01-05 10:00:00|false|1\n3|2026-01-05 00:00:00|false|1\n4|2026-01-05 00:00:00|true|2" {
		t.Errorf("superseded =\n%s", got)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".users__quarantine"); got != "0" {
		t.Errorf("%s rows quarantined", got)
	}
	sum := historySum(db)
	before := rows(t, wh, sum)
	p.mustRun(t, wh, n, sql, true)
	if got := rows(t, wh, sum); got != before {
		t.Errorf("full refresh: %s, incremental: %s", got, before)
	}
}
