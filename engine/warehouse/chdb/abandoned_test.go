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
