package cdc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// foldBatch is a staging file of the fold tests: keys from..to, new and never changed again, on
// day d, and any other rows.
func foldBatch(d, from, to int, extra ...string) string {
	var sb strings.Builder
	sb.WriteString(usersHeader)
	for k := from; k <= to; k++ {
		fmt.Fprintf(&sb, "INSERT,%d,u%d,1,false,2026-01-%02d 00:00:00\n", k, k, d)
	}
	for _, e := range extra {
		sb.WriteString(e + "\n")
	}
	return sb.String()
}

// foldFiles are the staging files of the fold tests, one batch each: four new keys per file,
// except that file 4 only re-delivers file 3 (no new version: an empty current partition), file
// 6 has two keys, and file 7 also changes key 1 (so it touches the partition holding it).
var foldFiles = []string{
	foldBatch(1, 1, 4), foldBatch(2, 5, 8), foldBatch(3, 9, 12), foldBatch(3, 9, 12), foldBatch(5, 13, 16), foldBatch(6, 17, 18),
	foldBatch(7, 19, 22, "UPDATE,1,u1,2,false,2026-01-07 12:00:00"),
}

// TestSCD2FoldsSmallCurrentPartitions: keys that never change after their batch no longer leave
// one current partition per batch. Each batch folds the newest small partitions into its own
// (size-tiered, fanout 2: a binary counter with equal batches; batch 5 folds three, one of them
// empty), a batch that touches a partition also folds the small ones after it (batch 7), and
// the history equals a full refresh.
func TestSCD2FoldsSmallCurrentPartitions(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	want := []string{"[1]", "[2]", "[2,3]", "[2,3,4]", "[5]", "[5,6]", "[7]"}
	for i, f := range foldFiles {
		p.write(t, fmt.Sprintf("cdc/w%03d/users.csv", i+1), f)
		p.mustRun(t, wh, stg, "", false)
		p.mustRun(t, wh, n, sql, false)
		listed := rows(t, wh, "SELECT arraySort(groupArray(source)) FROM "+db+".users__current_parts")
		if listed != want[i] {
			t.Errorf("after batch %d the current partitions are %s, want %s", i+1, listed, want[i])
		}
		// A completed run leaves exactly the listed partitions, none folded or replaced.
		held := rows(t, wh, "SELECT arraySort(groupArray(DISTINCT _batch)) FROM "+db+".users__versions WHERE is_current")
		if nonEmpty := strings.Replace(listed, ",4]", "]", 1); held != nonEmpty {
			t.Errorf("after batch %d the current versions are in partitions %s, listed %s", i+1, held, listed)
		}
	}
	if got := rows(t, wh, "SELECT count(), uniqExact(user_id), countIf(user_id = 1 AND tier = 2) FROM "+db+".users WHERE is_current"); got != "22|22|1" {
		t.Errorf("current versions, keys, changed key = %s", got)
	}
	sum := historySum(db)
	incremental := rows(t, wh, sum)
	p.mustRun(t, wh, n, sql, true)
	if got := rows(t, wh, sum); got != incremental {
		t.Errorf("full refresh %s, incremental %s", got, incremental)
	}
	if got := rows(t, wh, "SELECT arraySort(groupArray(source)) FROM "+db+".users__current_parts"); got != "[7]" {
		t.Errorf("full refresh lists %s", got)
	}
}

// TestSCD2FoldCrashRecovery stops batch 2, which folds partition 1 into its own, after each step
// that writes from the choice of the partitions to fold on (the choice, the rewrite, the list,
// the commit, the drop of the replaced partitions), runs again, and requires what an
// uninterrupted run leaves: the same view, the same rows in __versions (visible or not) and the
// same list. (The steps before are those of any batch; TestRelationInputCrashRecovery stops
// after them.)
func TestSCD2FoldCrashRecovery(t *testing.T) {
	// Parallel, as TestSCD2CrashRecovery.
	t.Parallel()
	wh, db := testDB(t)
	p := newProject(t, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	check := "SELECT (" + historySum(db) + "), (SELECT count(), groupBitXor(cityHash64(*)) FROM " + db + ".users__versions), " +
		"(SELECT count(), groupBitXor(cityHash64(*)) FROM " + db + ".users__current_parts)"
	setup := func() {
		exec(t, wh, "DROP DATABASE IF EXISTS "+db+" SYNC")
		exec(t, wh, "CREATE DATABASE "+db)
		_ = os.RemoveAll(filepath.Join(p.dir, "cdc/w002"))
		p.write(t, "cdc/w001/users.csv", foldFiles[0])
		p.mustRun(t, wh, stg, "", false)
		p.mustRun(t, wh, n, sql, false)
		p.write(t, "cdc/w002/users.csv", foldFiles[1])
		p.mustRun(t, wh, stg, "", false)
	}
	setup()
	p.mustRun(t, wh, n, sql, false)
	want := rows(t, wh, check)
	if got := rows(t, wh, "SELECT arraySort(groupArray(source)) FROM "+db+".users__current_parts"); got != "[2]" {
		t.Fatalf("batch 2 lists %s, want [2] (it must fold 1)", got)
	}
	setup()
	_, steps, err := p.plan(t, wh, n, sql, false)
	if err != nil {
		t.Fatal(err)
	}
	first := stepIndex(t, steps, "choose the small current partitions to fold")
	for stop := first + 1; stop < len(steps); stop++ {
		if !writes(steps[stop-1].Purpose) {
			continue
		}
		setup()
		_, steps, err := p.plan(t, wh, n, sql, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := executeSteps(wh, steps[:stop]); err != nil {
			t.Fatalf("stop %d: %v", stop, err)
		}
		p.mustRun(t, wh, n, sql, false)
		if got := rows(t, wh, check); got != want {
			t.Errorf("killed after step %d (%s): got\n%s\nwant\n%s", stop, steps[stop-1].Purpose, got, want)
		}
	}
}
