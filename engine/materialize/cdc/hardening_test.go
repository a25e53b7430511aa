package cdc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// TestLoadRowNumbersPastTenMiB loads a file far larger than ClickHouse's parallel-parsing chunk
// (10 MiB): every row's _row must be its data row, also for a quarantined row near the end.
// Parallel parsing is on, and with it chDB 26.7 numbers the rows of CSVWithNames wrongly past
// the first chunk, so dwm reads CSV by position (load_read.go); names spanning two lines check
// that rows, not lines, are counted. The same
// file is also streamed by dwm (a target that cannot read local files), in several blocks.
func TestLoadRowNumbersPastTenMiB(t *testing.T) {
	local, db := testDB(t)
	for _, wh := range []warehouse.Warehouse{local, remote{local}} {
		t.Run(wh.Capabilities().Kind, func(t *testing.T) {
			exec(t, wh, "DROP DATABASE IF EXISTS "+db+" SYNC")
			exec(t, wh, "CREATE DATABASE "+db)
			loadBigFile(t, wh, db)
		})
	}
}

func loadBigFile(t *testing.T, wh warehouse.Warehouse, db string) {
	p := newProject(t, db)
	n := usersStaging(p)
	const rowsN, bad = 110_000, 101_234
	var b strings.Builder
	b.WriteString(usersHeader)
	for i := 1; i <= rowsN; i++ {
		id := fmt.Sprint(i)
		if i == bad {
			id = "x" + id
		}
		// user_id is the row number, so every loaded row can be checked against its _row. Some
		// names are quoted and span two lines: a data row is not a line.
		name := fmt.Sprintf("user-%07d-with-a-long-name-that-pads-the-row-out-to-well-over-a-hundred-bytes", i)
		if i%997 == 0 {
			name = `"` + name + "\nsecond line, \"\"quoted\"\"" + `"`
		}
		fmt.Fprintf(&b, "INSERT,%s,%s,1,false,2026-01-05 00:00:00\n", id, name)
	}
	if b.Len() < 12<<20 {
		t.Fatalf("file is only %d bytes; it must exceed the 10 MiB parsing chunk", b.Len())
	}
	p.write(t, "cdc/w001/users.csv", b.String())
	p.mustRun(t, wh, n, "", false)
	if got := rows(t, wh, "SELECT count(), countIf(user_id != _row) FROM "+db+".users_staging"); got != fmt.Sprintf("%d|0", rowsN-1) {
		t.Errorf("rows, rows whose _row is not their data row = %s", got)
	}
	if got := rows(t, wh, "SELECT _row, user_id FROM "+db+".users_staging__quarantine"); got != fmt.Sprintf("%d|x%d", bad, bad) {
		t.Errorf("quarantine = %s, want row %d", got, bad)
	}
}

// TestLoadStripsBOM: a UTF-8 byte order mark before the header is not part of the first column's
// name; without care the first column loaded empty on a fresh table.
func TestLoadStripsBOM(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", "\ufeff"+usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\n")
	p.mustRun(t, wh, n, "", false)
	if got := rows(t, wh, "SELECT op, user_id, username FROM "+db+".users_staging"); got != "INSERT|1|ann" {
		t.Errorf("staging = %q", got)
	}
	if got := rows(t, wh, "SELECT name FROM system.columns WHERE database = '"+db+"' AND table = 'users_staging' AND position = 1"); got != "op" {
		t.Errorf("first column = %q", got)
	}
}

// TestLoadHeaderErrors: header problems name the file and the columns, and a first load that
// failed leaves no table whose columns would block the corrected file.
func TestLoadHeaderErrors(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", "")
	if _, err := p.run(t, wh, n, "", false); err == nil || !strings.Contains(err.Error(), "cdc/w001/users.csv") || !strings.Contains(err.Error(), "no header") {
		t.Errorf("empty file: %v", err)
	}
	// A declared, typed column the file lacks is named, with the file.
	p.write(t, "cdc/w001/users.csv", "op,user_id,username,tier,cdc_timestamp\nINSERT,1,ann,1,2026-01-05 00:00:00\n")
	if _, err := p.run(t, wh, n, "", false); err == nil || !strings.Contains(err.Error(), "cdc/w001/users.csv") || !strings.Contains(err.Error(), "is_deleted") {
		t.Errorf("missing declared column: %v", err)
	}
	// A first load that fails after the table was created (here: a rule on a column the file
	// lacks) must not keep that table: the corrected file then loads without --full-refresh.
	p.write(t, "cdc/w001/users.csv", "op,user_id,username,tier,is_deleted,cdc_timestamp,extra\nINSERT,1,ann,1,false,2026-01-05 00:00:00,x\n")
	n.Config.Raw["op"] = "opp"
	if _, err := p.run(t, wh, n, "", false); err == nil || !strings.Contains(err.Error(), `"opp"`) {
		t.Errorf("op column not in the file: %v", err)
	}
	delete(n.Config.Raw, "op")
	_, steps, err := p.plan(t, wh, n, "", false)
	if err != nil {
		t.Fatal(err)
	}
	var upTo int
	for i, s := range steps {
		if strings.HasPrefix(s.Purpose, "read, convert and classify") {
			upTo = i
		}
	}
	if _, err := executeSteps(wh, steps[:upTo]); err != nil { // as if the read had failed
		t.Fatal(err)
	}
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\n")
	if got := p.mustRun(t, wh, n, "", false); got != "1 files, 1 rows loaded" {
		t.Errorf("corrected file: %q", got)
	}
	// Once a file is committed, a changed header is an error naming the file and the columns.
	p.write(t, "cdc/w002/users.csv", "op,user_id,username,tier,is_deleted,cdc_timestamp,extra\nINSERT,2,bob,1,false,2026-01-12 00:00:00,x\n")
	_, err = p.run(t, wh, n, "", false)
	if err == nil || !strings.Contains(err.Error(), "cdc/w002/users.csv") || !strings.Contains(err.Error(), "extra") || !strings.Contains(err.Error(), "--full-refresh") {
		t.Errorf("changed columns: %v", err)
	}
}

// TestStagingQuarantinesUnknownOps: an op that is not INSERT, UPDATE or DELETE (any case) is
// quarantined with a reason instead of reaching the history model as an upsert.
func TestStagingQuarantinesUnknownOps(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", usersHeader+
		"INSERT,1,ann,1,false,2026-01-05 00:00:00\n"+
		"update,1,ann,2,false,2026-01-06 00:00:00\n"+
		"UPSERT,2,bob,1,false,2026-01-06 00:00:00\n"+
		",3,cid,1,false,2026-01-06 00:00:00\n"+
		"Delete,1,ann,2,true,2026-01-07 00:00:00\n")
	if got := p.mustRun(t, wh, n, "", false); got != "1 files, 3 rows loaded, 2 quarantined" {
		t.Errorf("report = %q", got)
	}
	if got := rows(t, wh, "SELECT _row, op, reason FROM "+db+".users_staging__quarantine ORDER BY _row"); got !=
		"3|UPSERT|op: 'UPSERT' is not INSERT, UPDATE or DELETE\n4||op: '' is not INSERT, UPDATE or DELETE" {
		t.Errorf("quarantine =\n%s", got)
	}
	// op: "" switches the check off for files whose op column means something else.
	n.Config.Raw["op"] = ""
	p.write(t, "cdc/w002/users.csv", usersHeader+"UPSERT,5,eve,1,false,2026-01-12 00:00:00\n")
	if got := p.mustRun(t, wh, n, "", false); got != "1 files, 1 rows loaded" {
		t.Errorf("with op: '' report = %q", got)
	}
}

// TestLedgerCountsMustAddUp: the ledger's counts are read from what was committed, and a file
// whose loaded + duplicates + quarantined differs from delivered is not committed. The plan is
// broken on purpose (the quarantined rows are never written) to show the check failing.
func TestLedgerCountsMustAddUp(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\nINSERT,x,bob,1,false,2026-01-05 00:00:00\n")
	_, steps, err := p.plan(t, wh, n, "", false)
	if err != nil {
		t.Fatal(err)
	}
	var broken []materialize.Step
	for _, s := range steps {
		if !strings.HasPrefix(s.Purpose, "quarantine the bad rows") {
			broken = append(broken, s)
		}
	}
	if len(broken) != len(steps)-1 {
		t.Fatal("no quarantine step found")
	}
	_, err = executeSteps(wh, broken)
	if err == nil || !strings.Contains(err.Error(), "do not add up") || !strings.Contains(err.Error(), "cdc/w001/users.csv") {
		t.Fatalf("broken plan: %v", err)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".dwm_ledger"); got != "0" {
		t.Errorf("a file whose counts do not add up was committed: %s ledger rows", got)
	}
	p.mustRun(t, wh, n, "", false)
	if got := rows(t, wh, "SELECT delivered, loaded, duplicates, quarantined FROM "+db+".dwm_ledger"); got != "2|1|0|1" {
		t.Errorf("ledger = %s", got)
	}
}
