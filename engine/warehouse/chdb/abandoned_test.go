package chdb

import (
	"context"
	"testing"
)

// TestDropAbandoned: what a CREATE ... AS SELECT killed mid-statement leaves is dropped, and
// nothing else. (The leftover is made by hand: a kill cannot be aimed inside one statement.)
func TestDropAbandoned(t *testing.T) {
	w := openTest(t, Options{})
	mustExec(t, w, "CREATE DATABASE ab")
	mustExec(t, w, "CREATE TABLE ab._tmp_replace_45998a0297186f90_hlrbmbce950f8ec6 (n UInt64) ENGINE = MergeTree ORDER BY n")
	mustExec(t, w, "CREATE TABLE ab.kept (n UInt64) ENGINE = MergeTree ORDER BY n")
	mustExec(t, w, "CREATE TABLE ab.__dwm_tmp_replace_me (n UInt64) ENGINE = MergeTree ORDER BY n") // a model's temporary: its model drops it
	n, err := w.DropAbandoned(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("DropAbandoned = %d, %v; want 1", n, err)
	}
	if got := mustQuery1(t, w, "SELECT arrayStringConcat(groupArray(name), ',') FROM (SELECT name FROM system.tables WHERE database = 'ab' ORDER BY name)"); got != "__dwm_tmp_replace_me,kept" {
		t.Errorf("tables left: %s", got)
	}
}

// TestFinishMutations: a mutation still running when the engine stops (as when the process is
// killed) is resumed in the background when the warehouse is next opened, and reads see the rows
// as they were before it until it finishes (measured: a DELETE of 4M rows in 20 parts, closed
// right after it was issued, still pending at the next Open 5 times in 5, every row still there).
// After FinishMutations, the first read sees the mutation done.
func TestFinishMutations(t *testing.T) {
	dir := t.TempDir()
	w := openTest(t, Options{Path: dir})
	mustExec(t, w, "CREATE TABLE m (x UInt64) ENGINE = MergeTree ORDER BY x SETTINGS parts_to_throw_insert = 1000")
	for i := 0; i < 20; i++ {
		mustExec(t, w, "INSERT INTO m SELECT number FROM numbers(200000)")
	}
	mustExec(t, w, "ALTER TABLE m DELETE WHERE x % 2 = 0 SETTINGS mutations_sync = 0")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w = openTest(t, Options{Path: dir})
	n, err := w.FinishMutations(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("FinishMutations = %d, %v; want 1 (the DELETE left unfinished by the close)", n, err)
	}
	if got := mustQuery1(t, w, "SELECT count() FROM m"); got != "2000000" {
		t.Errorf("rows after FinishMutations: %s, want 2000000", got)
	}
	if n, err := w.FinishMutations(context.Background()); err != nil || n != 0 {
		t.Errorf("a second FinishMutations = %d, %v; want 0", n, err)
	}
}
