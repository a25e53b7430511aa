package cdc

import (
	"errors"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

const usersHeader = "op,user_id,username,tier,is_deleted,cdc_timestamp\n"

func usersStaging(p *project) *manifest.Node {
	return p.model("users_staging", "staging", map[string]any{"files": "${root}/cdc/*/users.csv"},
		manifest.Column{Name: "user_id", DataType: "UInt64"}, manifest.Column{Name: "tier", DataType: "Nullable(UInt8)"},
		manifest.Column{Name: "is_deleted", DataType: "Bool"}, manifest.Column{Name: "cdc_timestamp", DataType: "DateTime"})
}

func TestStagingLoadsOnceQuarantinesAndRejectsChanges(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", usersHeader+
		"INSERT,1,ann,1,false,2026-01-05 00:00:00\n"+
		"INSERT,2,bob,,false,2026-01-05 00:00:00\n"+
		"INSERT,x3,cid,1,false,2026-01-05 00:00:00\n"+ // bad key
		"INSERT,4,dan,300,false,2026-13-05 00:00:00\n") // bad tier and timestamp
	if got := p.mustRun(t, wh, n, "", false); got != "1 files, 2 rows loaded, 2 quarantined" {
		t.Errorf("report = %q", got)
	}
	if got := p.mustRun(t, wh, n, "", false); got != "no new files" {
		t.Errorf("second run report = %q", got)
	}
	p.write(t, "cdc/w002/users.csv", usersHeader+"UPDATE,1,ann,2,false,2026-01-12 00:00:00\n")
	p.mustRun(t, wh, n, "", false)

	want := "1|ann|1|false|2026-01-05 00:00:00|false|cdc/w001/users.csv|1|1\n" +
		"2|bob|NULL|false|2026-01-05 00:00:00|false|cdc/w001/users.csv|2|1\n" +
		"1|ann|2|false|2026-01-12 00:00:00|false|cdc/w002/users.csv|1|2"
	if got := rows(t, wh, "SELECT user_id, username, tier, is_deleted, cdc_timestamp, processed, _file, _row, _load_seq FROM "+db+".users_staging ORDER BY _load_seq, _row"); got != want {
		t.Errorf("staging =\n%s\nwant\n%s", got, want)
	}
	wantQ := "cdc/w001/users.csv|3|user_id: cannot parse 'x3' as UInt64|x3\n" +
		"cdc/w001/users.csv|4|tier: cannot parse '300' as Nullable(UInt8); cdc_timestamp: cannot parse '2026-13-05 00:00:00' as DateTime|4"
	if got := rows(t, wh, "SELECT _file, _row, reason, user_id FROM "+db+".users_staging__quarantine ORDER BY _row"); got != wantQ {
		t.Errorf("quarantine =\n%s\nwant\n%s", got, wantQ)
	}
	if got := rows(t, wh, "SELECT file, seq, delivered, loaded, duplicates, quarantined FROM "+db+".dwm_ledger ORDER BY seq"); got !=
		"cdc/w001/users.csv|1|4|2|0|2\ncdc/w002/users.csv|2|1|1|0|0" {
		t.Errorf("ledger =\n%s", got)
	}

	// A loaded file that changed is an error naming it; nothing is loaded.
	p.write(t, "cdc/w002/users.csv", usersHeader+"UPDATE,1,ann,3,false,2026-01-12 00:00:00\n")
	_, err := p.run(t, wh, n, "", false)
	if !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), "cdc/w002/users.csv") {
		t.Fatalf("changed file: err = %v", err)
	}
	// A full refresh reloads everything from the files as they are now.
	p.mustRun(t, wh, n, "", true)
	if got := rows(t, wh, "SELECT count(), sum(tier) FROM "+db+".users_staging"); got != "3|4" {
		t.Errorf("after full refresh: %s", got)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".dwm_ledger"); got != "2" {
		t.Errorf("ledger rows after full refresh: %s", got)
	}
}

func TestStagingRejectsEarlierNewFileAndBody(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w002/users.csv", usersHeader+"INSERT,1,ann,1,false,2026-01-12 00:00:00\n")
	p.mustRun(t, wh, n, "-- only comments\n", false)
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,2,bob,1,false,2026-01-05 00:00:00\n")
	if _, err := p.run(t, wh, n, "", false); err == nil || !strings.Contains(err.Error(), "sorts before") {
		t.Errorf("earlier file: err = %v", err)
	}
	if _, err := p.run(t, wh, n, "select 1", true); err == nil || !strings.Contains(err.Error(), "must be empty") {
		t.Errorf("body: err = %v", err)
	}
}

// TestStagingCrashRecovery stops a load after every possible step and checks that running again
// gives the same table and ledger as an uninterrupted run.
func TestStagingCrashRecovery(t *testing.T) {
	// Parallel, as TestSCD2CrashRecovery.
	t.Parallel()
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\nINSERT,x,bad,1,false,2026-01-05 00:00:00\n")
	p.write(t, "cdc/w002/users.csv", usersHeader+"UPDATE,1,ann,2,false,2026-01-12 00:00:00\n")
	_, steps, err := p.plan(t, wh, n, "", false)
	if err != nil {
		t.Fatal(err)
	}
	check := "SELECT (SELECT groupBitXor(cityHash64(user_id, username, tier, _file, _row, _load_seq)) FROM " + db + ".users_staging), " +
		"(SELECT count() FROM " + db + ".users_staging__quarantine), (SELECT groupBitXor(cityHash64(file, seq, delivered, loaded, quarantined)) FROM " + db + ".dwm_ledger)"
	p.mustRun(t, wh, n, "", false)
	want := rows(t, wh, check)
	for stop := 0; stop < len(steps); stop++ {
		exec(t, wh, "DROP DATABASE "+db+" SYNC")
		exec(t, wh, "CREATE DATABASE "+db)
		_, steps, err := p.plan(t, wh, n, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := executeSteps(wh, steps[:stop]); err != nil {
			t.Fatalf("stop %d: %v", stop, err)
		}
		p.mustRun(t, wh, n, "", false)
		if got := rows(t, wh, check); got != want {
			t.Errorf("crash after step %d (%s): got %s, want %s", stop, steps[stop].Purpose, got, want)
		}
	}
}
