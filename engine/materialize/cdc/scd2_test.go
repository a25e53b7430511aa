package cdc

import (
	"strconv"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

func usersSCD2(p *project) (*manifest.Node, string) {
	n := p.model("users", "scd2", map[string]any{"unique_key": []string{"user_id"}})
	n.Refs = []string{"users_staging"}
	return n, "select * from `" + p.db + "`.`users_staging`"
}

const scd2Cols = "user_id, username, tier, is_deleted, valid_from, valid_to, is_current, version, is_active, source_system, inserted_at, updated_at"

// weeks are three staging files: several changes of one key in a file, a delete, an identical
// re-delivery and a late change.
var weeks = []string{
	usersHeader +
		"INSERT,1,ann,1,false,2026-01-05 00:00:00\n" +
		"INSERT,2,bob,1,false,2026-01-05 00:00:00\n" +
		"UPDATE,1,ann,2,false,2026-01-06 00:00:00\n" +
		"UPDATE,1,anna,2,false,2026-01-07 00:00:00\n" +
		"INSERT,2,bob,1,false,2026-01-05 00:00:00\n", // identical duplicate in the same file
	usersHeader +
		"UPDATE,2,bob,2,false,2026-01-12 00:00:00\n" +
		"DELETE,1,,2,true,2026-01-13 00:00:00\n" +
		"INSERT,3,cid,1,false,2026-01-12 00:00:00\n",
	usersHeader +
		"UPDATE,1,anna,2,false,2026-01-07 00:00:00\n" + // re-delivery of an applied version: ignored
		"UPDATE,2,bob,3,false,2026-01-10 00:00:00\n" + // late: bob's current version is from 01-12
		"UPDATE,3,cid,2,false,2026-01-19 00:00:00\n",
}

func TestSCD2History(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	var reports []string
	for i, w := range weeks {
		p.write(t, "cdc/w00"+string(rune('1'+i))+"/users.csv", w)
		p.mustRun(t, wh, stg, "", false)
		reports = append(reports, p.mustRun(t, wh, n, sql, false))
	}
	if got := strings.Join(reports, "; "); got != "1 batches, 4 new versions, 1 re-deliveries ignored; 1 batches, 3 new versions; 1 batches, 1 new versions, 1 re-deliveries ignored, 1 changes quarantined" {
		t.Errorf("reports = %s", got)
	}
	want := strings.Join([]string{
		"1|ann|1|false|2026-01-05 00:00:00|2026-01-06 00:00:00|false|1|true|users_staging|2026-01-05 00:00:00|2026-01-06 00:00:00",
		"1|ann|2|false|2026-01-06 00:00:00|2026-01-07 00:00:00|false|2|true|users_staging|2026-01-06 00:00:00|2026-01-07 00:00:00",
		"1|anna|2|false|2026-01-07 00:00:00|2026-01-13 00:00:00|false|3|true|users_staging|2026-01-07 00:00:00|2026-01-13 00:00:00",
		"1||2|true|2026-01-13 00:00:00|2100-01-01 00:00:00|true|4|false|users_staging|2026-01-13 00:00:00|2026-01-13 00:00:00",
		"2|bob|1|false|2026-01-05 00:00:00|2026-01-12 00:00:00|false|1|true|users_staging|2026-01-05 00:00:00|2026-01-12 00:00:00",
		"2|bob|2|false|2026-01-12 00:00:00|2100-01-01 00:00:00|true|2|true|users_staging|2026-01-12 00:00:00|2026-01-12 00:00:00",
		"3|cid|1|false|2026-01-12 00:00:00|2026-01-19 00:00:00|false|1|true|users_staging|2026-01-12 00:00:00|2026-01-19 00:00:00",
		"3|cid|2|false|2026-01-19 00:00:00|2100-01-01 00:00:00|true|2|true|users_staging|2026-01-19 00:00:00|2026-01-19 00:00:00",
	}, "\n")
	if got := rows(t, wh, "SELECT "+scd2Cols+" FROM "+db+".users ORDER BY user_id, version"); got != want {
		t.Errorf("history =\n%s\nwant\n%s", got, want)
	}
	if got := rows(t, wh, "SELECT user_id, reason FROM "+db+".users__quarantine"); got !=
		"2|late change: cdc_timestamp 2026-01-10 00:00:00 is before the current version's valid_from 2026-01-12 00:00:00" {
		t.Errorf("quarantine = %s", got)
	}
	if got := rows(t, wh, "SELECT countIf(processed), count() FROM "+db+".users_staging"); got != "11|11" {
		t.Errorf("processed = %s", got)
	}
	// Only the last snapshot is kept: one current partition.
	if got := rows(t, wh, "SELECT groupArray(DISTINCT _batch) FROM "+db+".users__versions WHERE is_current"); got != "[3]" {
		t.Errorf("current partitions = %s", got)
	}
	// Idempotent rerun, and full refresh equals incremental (all columns, exactly).
	sum := historySum(db)
	before := rows(t, wh, sum)
	if got := p.mustRun(t, wh, n, sql, false); got != "no new changes" {
		t.Errorf("rerun report = %q", got)
	}
	if got := rows(t, wh, sum); got != before {
		t.Errorf("rerun changed contents: %s -> %s", before, got)
	}
	p.mustRun(t, wh, n, sql, true)
	if got := rows(t, wh, sum); got != before {
		t.Errorf("full refresh: %s, incremental: %s", got, before)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".users__quarantine"); got != "1" {
		t.Errorf("quarantine after full refresh: %s rows", got)
	}
}

// TestSCD2CrashRecovery kills the second run after every step (the plan applies two files) and
// checks that readers never saw a partial batch and that running again gives the uninterrupted
// result.
func TestSCD2CrashRecovery(t *testing.T) {
	// Parallel: the crash sweeps spend most of their time waiting for synchronous mutations
	// and drops, so two of them (each in its own database) overlap well on two cores.
	t.Parallel()
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	p.write(t, "cdc/w001/users.csv", weeks[0])
	p.mustRun(t, wh, stg, "", false)
	p.mustRun(t, wh, n, sql, false)
	p.write(t, "cdc/w002/users.csv", weeks[1])
	p.write(t, "cdc/w003/users.csv", weeks[2])
	p.mustRun(t, wh, stg, "", false)
	sum := historySum(db)
	quar := "SELECT count() FROM " + db + ".users__quarantine"
	after1 := rows(t, wh, sum)
	exec(t, wh, "CREATE TABLE "+db+".snap ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM "+db+".users__versions")
	exec(t, wh, "CREATE TABLE "+db+".lsnap ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM "+db+".dwm_ledger")
	exec(t, wh, "CREATE TABLE "+db+".psnap ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM "+db+".users__current_parts")
	_, steps, err := p.plan(t, wh, n, sql, false)
	if err != nil {
		t.Fatal(err)
	}
	p.mustRun(t, wh, n, sql, false)
	want, wantQ := rows(t, wh, sum), rows(t, wh, quar)
	after2 := ""
	for stop := 0; stop < len(steps); stop++ {
		// Back to the state after week 1.
		exec(t, wh, "TRUNCATE TABLE "+db+".users__versions")
		exec(t, wh, "INSERT INTO "+db+".users__versions SELECT * FROM "+db+".snap")
		exec(t, wh, "TRUNCATE TABLE "+db+".dwm_ledger")
		exec(t, wh, "INSERT INTO "+db+".dwm_ledger SELECT * FROM "+db+".lsnap")
		exec(t, wh, "TRUNCATE TABLE "+db+".users__quarantine")
		exec(t, wh, "TRUNCATE TABLE "+db+".users__current_parts")
		exec(t, wh, "INSERT INTO "+db+".users__current_parts SELECT * FROM "+db+".psnap")
		_, steps, err := p.plan(t, wh, n, sql, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := executeSteps(wh, steps[:stop]); err != nil {
			t.Fatalf("stop %d: %v", stop, err)
		}
		// A reader at the crash sees week 1, weeks 1-2, or everything; nothing in between.
		seen := rows(t, wh, sum)
		if seen != after1 && seen != want {
			if after2 == "" {
				after2 = seen
			} else if seen != after2 {
				t.Errorf("crash after step %d (%s): reader saw %s (week 1: %s, 2: %s, all: %s)", stop, steps[stop].Purpose, seen, after1, after2, want)
			}
		}
		p.mustRun(t, wh, n, sql, false)
		if got, gotQ := rows(t, wh, sum), rows(t, wh, quar); got != want || gotQ != wantQ {
			t.Errorf("crash after step %d (%s): got %s/%s, want %s/%s", stop, steps[stop].Purpose, got, gotQ, want, wantQ)
		}
	}
}

// TestSCD2UntouchedPartitions: keys that never change after their batch stay in the current
// partition of that batch while it is larger than what newer batches write (nothing is copied
// forward; TestSCD2FoldsSmallCurrentPartitions covers folding), a change rewrites only the
// partition that held the key, and reading the view prunes to the listed partitions.
func TestSCD2UntouchedPartitions(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	// Partition sizes fall (12, 5, 2 current versions), so no batch folds an untouched partition
	// (foldQuery): batch 4 changes key 4, in the smallest partition.
	extra := func(from, to int, ts string) string {
		var sb strings.Builder
		for k := from; k <= to; k++ {
			sb.WriteString("INSERT," + strconv.Itoa(k) + ",x,1,false," + ts + "\n")
		}
		return sb.String()
	}
	files := []string{
		usersHeader + "INSERT,1,ann,1,false,2026-01-05 00:00:00\nINSERT,2,bob,1,false,2026-01-05 00:00:00\n" + extra(100, 109, "2026-01-05 00:00:00"),
		usersHeader + "INSERT,3,cid,1,false,2026-01-12 00:00:00\nUPDATE,3,cid,2,false,2026-01-13 00:00:00\n" + extra(200, 203, "2026-01-12 00:00:00"),
		usersHeader + "INSERT,4,dan,1,false,2026-01-19 00:00:00\n" + extra(300, 300, "2026-01-19 00:00:00"),
		usersHeader + "UPDATE,4,dan,3,false,2026-01-26 00:00:00\n",
	}
	current := "SELECT groupArray(b) FROM (SELECT DISTINCT _batch AS b FROM " + db + ".users__versions WHERE is_current ORDER BY b)"
	want := []string{"[1]", "[1,2]", "[1,2,3]", "[1,2,4]"}
	for i, f := range files {
		p.write(t, "cdc/w00"+string(rune('1'+i))+"/users.csv", f)
		p.mustRun(t, wh, stg, "", false)
		p.mustRun(t, wh, n, sql, false)
		if got := rows(t, wh, current); got != want[i] {
			t.Errorf("after batch %d: current partitions %s, want %s", i+1, got, want[i])
		}
	}
	// Batch 4 rewrote key 300 (unchanged, same partition as dan) into partition 4.
	if got := rows(t, wh, "SELECT groupArray(user_id) FROM (SELECT user_id FROM "+db+".users__versions WHERE is_current AND _batch = 4 ORDER BY user_id)"); got != "[4,300]" {
		t.Errorf("partition 4 holds %s", got)
	}
	if got := rows(t, wh, "SELECT count(), countIf(is_current) FROM "+db+".users"); got != "21|19" {
		t.Errorf("versions, current = %s", got)
	}
	// Partition pruning uses the list (the set of the view's subquery).
	explain := rows(t, wh, "EXPLAIN indexes = 1 SELECT * FROM "+db+".users WHERE is_current")
	if !strings.Contains(explain, "(_batch in 3-element set)") {
		t.Errorf("the listed partitions do not prune:\n%s", explain)
	}
	sum := historySum(db)
	before := rows(t, wh, sum)
	p.mustRun(t, wh, n, sql, true)
	if got := rows(t, wh, sum); got != before {
		t.Errorf("full refresh: %s, incremental: %s", got, before)
	}
}

// TestSCD2AdoptsUnlistedStorage: storage from before __current_parts (one snapshot (C, 1), no
// list) is adopted by the next run.
func TestSCD2AdoptsUnlistedStorage(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	for i, w := range weeks {
		p.write(t, "cdc/w00"+string(rune('1'+i))+"/users.csv", w)
		p.mustRun(t, wh, stg, "", false)
		p.mustRun(t, wh, n, sql, false)
		if i == 0 {
			exec(t, wh, "DROP TABLE "+db+".users__current_parts SYNC")
		}
	}
	sum := historySum(db)
	got := rows(t, wh, sum)
	p.mustRun(t, wh, n, sql, true)
	if want := rows(t, wh, sum); got != want || !strings.HasPrefix(got, "8|") {
		t.Errorf("adopted: %s, full refresh: %s", got, want)
	}
}

// historySum fingerprints every column of the users history in db.
func historySum(db string) string {
	return "SELECT count(), groupBitXor(cityHash64(" + scd2Cols + ")) FROM " + db + ".users"
}
