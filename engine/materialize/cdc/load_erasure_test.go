package cdc

import (
	"context"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/pii"
)

// TestLoadBlanksErasedSubjects: a staging load applies the erasure log as it reads the file. A
// build killed after any of its statements leaves no erased value in any table of the database
// (the model's table, its quarantine, the load's temporary tables): the values never land, rather
// than landing and being scrubbed after the load (before, they were there until the scrub).
// Other subjects' rows, good and quarantined, keep their values, and the row counts are those of
// a load without erasure.
func TestLoadBlanksErasedSubjects(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	log := pii.LogRelation(db)
	p.erasures = []materialize.Erasure{{Key: "user_id", Columns: []string{"username"}, Keys: pii.ErasedKeys(log, "users"), Setup: pii.LogDDL(log)}}
	exec(t, wh, pii.LogDDL(log))
	exec(t, wh, pii.RequestSQL(log, "users", "request", []string{"1"}, false))
	p.write(t, "cdc/w001/users.csv", usersHeader+
		"INSERT,1,ann,1,false,2026-01-05 00:00:00\n"+
		"INSERT,2,bob,1,false,2026-01-05 00:00:00\n"+
		"INSERT,1,ann,300,false,2026-01-06 00:00:00\n"+ // bad tier: quarantined, as text
		"INSERT,2,bob,300,false,2026-01-06 00:00:00\n")
	_, steps, err := p.plan(t, wh, n, "", false)
	if err != nil {
		t.Fatal(err)
	}
	leaked := func() string {
		var sel []string
		for _, line := range strings.Split(rows(t, wh, "SELECT table, name, startsWith(type, 'Array(') FROM system.columns WHERE database = '"+db+
			"' AND type LIKE '%String%' ORDER BY table, name"), "\n") {
			if f := strings.Split(line, "|"); len(f) == 3 {
				// The raw texts of a load are an array (classifyQuery): any element counts.
				match := "toString(`" + f[1] + "`) = 'ann'"
				if f[2] == "1" || f[2] == "true" {
					match = "has(`" + f[1] + "`, 'ann')"
				}
				sel = append(sel, "SELECT '"+f[0]+"."+f[1]+"' AS c FROM `"+db+"`.`"+f[0]+"` WHERE "+match)
			}
		}
		if len(sel) == 0 {
			return ""
		}
		return rows(t, wh, "SELECT DISTINCT c FROM ("+strings.Join(sel, " UNION ALL ")+") ORDER BY c")
	}
	// Each step as its own Execute: the warehouse after step i is what a kill right after it leaves.
	for i := range steps {
		if _, err := materialize.Execute(context.Background(), wh, steps[i:i+1], nil); err != nil {
			t.Fatalf("step %d (%s): %v", i+1, steps[i].Purpose, err)
		}
		if got := leaked(); got != "" {
			t.Fatalf("after step %d of %d (%s), an erased value is in:\n%s", i+1, len(steps), steps[i].Purpose, got)
		}
	}
	if got := rows(t, wh, "SELECT user_id, username, tier FROM "+db+".users_staging ORDER BY _row"); got != "1||1\n2|bob|1" {
		t.Errorf("staging =\n%s", got)
	}
	if got := rows(t, wh, "SELECT user_id, username, tier FROM "+db+".users_staging__quarantine ORDER BY _row"); got != "1||300\n2|bob|300" {
		t.Errorf("quarantine =\n%s", got)
	}
	if got := rows(t, wh, "SELECT delivered, loaded, quarantined FROM "+db+".dwm_ledger"); got != "4|2|2" {
		t.Errorf("ledger = %s", got)
	}
}

// TestLoadBlanksTwoSubjectsRawTexts: two subjects erase different columns of the same file
// (their conditions differ, so each gets its own flag), and a quarantined row keeps as raw text
// exactly the values neither erased: an element is blanked for its own subject's keys only.
func TestLoadBlanksTwoSubjectsRawTexts(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	log := pii.LogRelation(db)
	p.erasures = []materialize.Erasure{
		{Key: "user_id", Columns: []string{"username"}, Keys: pii.ErasedKeys(log, "users"), Setup: pii.LogDDL(log)},
		{Key: "tier", Columns: []string{"cdc_timestamp"}, Keys: pii.ErasedKeys(log, "tiers"), Setup: pii.LogDDL(log)},
	}
	exec(t, wh, pii.LogDDL(log))
	exec(t, wh, pii.RequestSQL(log, "users", "request", []string{"1"}, false))
	exec(t, wh, pii.RequestSQL(log, "tiers", "request", []string{"300"}, false))
	p.write(t, "cdc/w001/users.csv", usersHeader+
		"INSERT,1,ann,1,false,2026-01-05 00:00:00\n"+
		"INSERT,2,bob,1,false,2026-01-05 00:00:00\n"+
		"INSERT,1,ann,300,false,2026-01-06 00:00:00\n"+ // bad tier: quarantined, as text
		"INSERT,2,bob,300,false,2026-01-06 00:00:00\n"+
		"INSERT,3,cid,301,false,2026-01-07 00:00:00\n")
	_, steps, err := p.plan(t, wh, n, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := materialize.Execute(context.Background(), wh, steps, nil); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, wh, "SELECT user_id, username, tier FROM "+db+".users_staging ORDER BY _row"); got != "1||1\n2|bob|1" {
		t.Errorf("staging =\n%s", got)
	}
	got := rows(t, wh, "SELECT user_id, username, tier, cdc_timestamp FROM "+db+".users_staging__quarantine ORDER BY _row")
	if want := "1||300|\n2|bob|300|\n3|cid|301|2026-01-07 00:00:00"; got != want {
		t.Errorf("quarantine =\n%s\nwant\n%s", got, want)
	}
}
