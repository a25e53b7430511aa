package chdb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

func TestExecQueryStats(t *testing.T) {
	w := openTest(t, Options{})
	ctx := context.Background()
	mustExec(t, w, "CREATE TABLE t (n UInt64, s String) ENGINE = MergeTree ORDER BY n")
	st, err := w.Exec(ctx, "INSERT INTO t SELECT number, toString(number) FROM numbers(1000)")
	if err != nil {
		t.Fatal(err)
	}
	if st.RowsWritten != 1000 || st.RowsRead != 1000 || st.Elapsed <= 0 {
		t.Fatalf("insert stats = %+v, want 1000 written, 1000 read, elapsed > 0", st)
	}
	r, err := w.Query(ctx, "SELECT n, s FROM t WHERE n < 3 ORDER BY n")
	if err != nil {
		t.Fatal(err)
	}
	want := []warehouse.Column{{Name: "n", Type: "UInt64"}, {Name: "s", Type: "String"}}
	if len(r.Columns) != 2 || r.Columns[0] != want[0] || r.Columns[1] != want[1] {
		t.Fatalf("columns = %v, want %v", r.Columns, want)
	}
	if len(r.Rows) != 3 || r.String(2, 0) != "2" || r.String(2, 1) != "2" {
		t.Fatalf("rows = %v", r.Rows)
	}
	if r.Stats.RowsRead == 0 {
		t.Fatalf("query stats = %+v, want rows read", r.Stats)
	}
	// An empty result still has its columns.
	r, err = w.Query(ctx, "SELECT n FROM t WHERE n > 5000")
	if err != nil || len(r.Columns) != 1 || len(r.Rows) != 0 {
		t.Fatalf("empty result = %+v, %v", r, err)
	}
	// DDL through Query gives an empty result, not an error.
	if r, err = w.Query(ctx, "CREATE TABLE u (n UInt8) ENGINE = Memory"); err != nil || len(r.Columns) != 0 {
		t.Fatalf("DDL via Query = %+v, %v", r, err)
	}
}

func TestQueryErrors(t *testing.T) {
	w := openTest(t, Options{})
	ctx := context.Background()
	_, err := w.Query(ctx, "SELECT * FROM missing_table")
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("err = %v (%T), want *warehouse.QueryError", err, err)
	}
	if qe.Code != 60 || qe.Name != "UNKNOWN_TABLE" || qe.SQL != "SELECT * FROM missing_table" ||
		!strings.Contains(qe.Message, "missing_table") || strings.HasPrefix(qe.Message, "Code") {
		t.Fatalf("QueryError = %+v", qe)
	}
	// Syntax error positions point into the caller's SQL, not the tagged text libchdb saw.
	_, err = w.Exec(ctx, "SELEC 1")
	if !errors.As(err, &qe) || qe.Name != "SYNTAX_ERROR" || !strings.Contains(qe.Message, "failed at position 7") {
		t.Fatalf("syntax error = %v", err)
	}
	// The connection is fine after an error.
	if got := mustQuery1(t, w, "SELECT 2"); got != "2" {
		t.Fatal(got)
	}
}

func TestExchangeTables(t *testing.T) {
	w := openTest(t, Options{})
	// chDB's default database (engine Overlay) and a CREATE DATABASE one (Atomic) both swap.
	for _, db := range []string{"default", "atomic_db"} {
		mustExec(t, w, "CREATE DATABASE IF NOT EXISTS "+db)
		mustExec(t, w, "CREATE TABLE "+db+".a (n UInt8) ENGINE = MergeTree ORDER BY n")
		mustExec(t, w, "CREATE TABLE "+db+".b (n UInt8) ENGINE = MergeTree ORDER BY n")
		mustExec(t, w, "INSERT INTO "+db+".a VALUES (1), (2)")
		mustExec(t, w, "EXCHANGE TABLES "+db+".a AND "+db+".b")
		if got := mustQuery1(t, w, "SELECT count() FROM "+db+".b"); got != "2" {
			t.Fatalf("%s: count(b) after exchange = %s, want 2", db, got)
		}
		if got := mustQuery1(t, w, "SELECT count() FROM "+db+".a"); got != "0" {
			t.Fatalf("%s: count(a) after exchange = %s, want 0", db, got)
		}
	}
	if !w.Capabilities().ExchangeTables || w.Capabilities().Kind != "chdb" || !w.Capabilities().ReadsLocalFiles {
		t.Fatalf("capabilities = %+v", w.Capabilities())
	}
}

func TestOptions(t *testing.T) {
	w := openTest(t, Options{
		Database: "analytics",
		Conns:    2,
		Threads:  3,
		Settings: map[string]string{"join_use_nulls": "1", "max_block_size": "1234"},
	})
	// Every pooled connection got the setup, so check more than one at once.
	for i := 0; i < 4; i++ {
		got := mustQuery1(t, w, "SELECT concat(currentDatabase(), ' ', toString(getSetting('max_threads')), ' ', "+
			"toString(getSetting('join_use_nulls')), ' ', toString(getSetting('max_block_size')))")
		if got != "analytics 3 true 1234" {
			t.Fatalf("connection setup = %q", got)
		}
	}
	v, err := w.Version(context.Background())
	if err != nil || !strings.HasPrefix(v, "26.") {
		t.Fatalf("Version = %q, %v", v, err)
	}
}

// Files are read with pread, not mapped: mapped input counts in the process's resident memory
// (a weekly event file added its whole size to a build's peak RSS). A target's settings still win.
func TestFilesAreReadNotMapped(t *testing.T) {
	requireLib(t)
	w, err := Open(context.Background(), Options{Path: t.TempDir(), Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if got := mustQuery1(t, w, "SELECT getSetting('storage_file_read_method')"); got != "pread" {
			t.Fatalf("storage_file_read_method = %q, want pread", got)
		}
	}
	if err := w.Close(); err != nil { // one data directory per process at a time
		t.Fatal(err)
	}
	o := openTest(t, Options{Settings: map[string]string{"storage_file_read_method": "mmap"}})
	if got := mustQuery1(t, o, "SELECT getSetting('storage_file_read_method')"); got != "mmap" {
		t.Fatalf("with the target's setting, storage_file_read_method = %q, want mmap", got)
	}
}

func TestBadSettingFailsOpen(t *testing.T) {
	requireLib(t)
	_, err := Open(context.Background(), Options{Path: t.TempDir(), Settings: map[string]string{"no_such_setting": "1"}})
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Name != "UNKNOWN_SETTING" {
		t.Fatalf("Open with a bad setting: %v, want UNKNOWN_SETTING", err)
	}
	// The failed Open released everything: the next one works.
	w := openTest(t, Options{})
	mustQuery1(t, w, "SELECT 1")
}

func TestReopen(t *testing.T) {
	requireLib(t)
	ctx := context.Background()
	dir, other := t.TempDir(), t.TempDir()
	w, err := Open(ctx, Options{Path: dir})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, w, "CREATE TABLE keep (n UInt8) ENGINE = MergeTree ORDER BY n")
	mustExec(t, w, "INSERT INTO keep VALUES (7)")

	// libchdb runs one directory per process: a second Open must say so, not return NULL.
	if _, err := Open(ctx, Options{Path: other}); err == nil || !strings.Contains(err.Error(), "one data directory") {
		t.Fatalf("Open of a second directory while one is open: %v", err)
	}
	if _, err := Open(ctx, Options{Path: dir}); !errors.Is(err, warehouse.ErrLocked) {
		t.Fatalf("Open of the same directory twice: %v, want ErrLocked", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := w.Query(ctx, "SELECT 1"); err == nil {
		t.Fatal("Query after Close succeeded")
	}

	// After Close a different directory opens, and then the first one again with its data.
	w2 := openTest(t, Options{Path: other})
	mustQuery1(t, w2, "SELECT 1")
	if err := w2.Close(); err != nil {
		t.Fatal(err)
	}
	w3 := openTest(t, Options{Path: dir})
	if got := mustQuery1(t, w3, "SELECT n FROM keep"); got != "7" {
		t.Fatalf("data after reopen = %s", got)
	}
}

// libchdb keeps the partial output of a statement that fails mid-stream and hands it to the next
// statement on the connection; the warehouse must not let it leak into the next result.
func TestFailedStatementLeavesNoOutputBehind(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	ctx := context.Background()
	_, err := w.Query(ctx, "SELECT throwIf(number = 50000) FROM numbers(100000) SETTINGS max_block_size = 10")
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Name != "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO" {
		t.Fatalf("err = %v", err)
	}
	r, err := w.Query(ctx, "SELECT 'clean' AS c")
	if err != nil || len(r.Rows) != 1 || r.Columns[0].Name != "c" || r.String(0, 0) != "clean" {
		t.Fatalf("next result = %+v, %v", r, err)
	}
}
