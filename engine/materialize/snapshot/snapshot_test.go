package snapshot

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
	"github.com/dwmhq/dwm/internal/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var shared chdbtest.Shared

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(shared.Run(m, chdb.Options{}))
}

func node(db string, raw map[string]any) *manifest.Node {
	n := &manifest.Node{UniqueID: "snapshot.p.hist", Name: "hist", ResourceType: manifest.Snapshot, Database: db, Alias: "hist"}
	n.Config = manifest.Config{Materialized: Name, UniqueKey: []string{"id"}, Raw: raw}
	return n
}

// TestPlanGolden pins the SQL of a check snapshot with new_record deletes on its second run.
func TestPlanGolden(t *testing.T) {
	n := node("db", map[string]any{"strategy": "check", "check_cols": []any{"status"}, "hard_deletes": "new_record"})
	cfg, err := ConfigOf(n)
	if err != nil {
		t.Fatal(err)
	}
	p := &Prepared{Config: cfg, Columns: []warehouse.Column{{Name: "id", Type: "UInt64"}, {Name: "status", Type: "String"}},
		TimeType: "DateTime64(3)", Committed: 1, Now: "2026-01-02 03:04:05.678"}
	steps, err := Snapshot{}.Plan(materialize.Input{Node: n, SQL: "select id, status from src", Suffix: "abc", Prepared: p})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "-- %s\n%s;\n", s.Purpose, s.SQL)
	}
	golden.Check(t, *update, "check_new_record", b.String())
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		raw  map[string]any
		keys []string
		want string
	}{
		{map[string]any{"strategy": "check", "check_cols": "all"}, nil, "needs unique_key"},
		{map[string]any{}, []string{"id"}, "needs strategy"},
		{map[string]any{"strategy": "timestamp"}, []string{"id"}, "needs updated_at"},
		{map[string]any{"strategy": "check"}, []string{"id"}, "needs check_cols"},
		{map[string]any{"strategy": "check", "check_cols": "all", "hard_deletes": "drop"}, []string{"id"}, "hard_deletes must be"},
	} {
		n := node("db", c.raw)
		n.Config.UniqueKey = c.keys
		if _, err := ConfigOf(n); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.raw, err, c.want)
		}
	}
}

// failAfter fails every statement after the first limit ones, as a crash between statements
// would leave the warehouse (each statement is atomic on its own).
type failAfter struct {
	warehouse.Warehouse
	limit int64
	n     atomic.Int64
}

var errCrash = errors.New("crash")

func (f *failAfter) Exec(ctx context.Context, sql string) (warehouse.Stats, error) {
	if f.n.Add(1) > f.limit {
		return warehouse.Stats{}, errCrash
	}
	return f.Warehouse.Exec(ctx, sql)
}

func (f *failAfter) Query(ctx context.Context, sql string) (*warehouse.Result, error) {
	if f.n.Add(1) > f.limit {
		return nil, errCrash
	}
	return f.Warehouse.Query(ctx, sql)
}

// run snapshots the rows of db.src once on wh; a crash error is returned as is.
func run(t testing.TB, wh warehouse.Warehouse, n *manifest.Node, suffix string) error {
	t.Helper()
	ctx := context.Background()
	st, err := materialize.Inspect(ctx, wh, n.Database, n.Alias)
	if err != nil {
		return err
	}
	in := materialize.Input{Node: n, SQL: "SELECT * FROM " + manifest.QuoteIdent(n.Database) + ".src", State: st,
		Caps: wh.Capabilities(), Suffix: suffix}
	if err := (Snapshot{}).Prepare(ctx, wh, &in, materialize.PrepareEnv{}); err != nil {
		return err
	}
	steps, err := Snapshot{}.Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = materialize.Execute(ctx, wh, steps, nil)
	return err
}

// TestCrashAtEveryStatement stops the second run after each of its statements, runs it again
// whole, and expects exactly the history of an uninterrupted pair of runs. Each attempt starts
// from a copy of the tables as the first run left them, not from a new first run: the copy is
// a few statements, the run about thirty.
func TestCrashAtEveryStatement(t *testing.T) {
	wh, db := shared.Database(t, "snap_")
	n := node(db, map[string]any{"strategy": "check", "check_cols": "all", "hard_deletes": "new_record"})
	exec := func(sql string) { chdbtest.Exec(t, wh, sql) }
	q := func(name string) string { return "`" + db + "`." + name }
	history := func() string {
		return chdbtest.Rows(t, wh, "SELECT id, status, version, is_current, is_active, valid_to = toDateTime('2100-01-01 00:00:00') FROM "+
			q("hist")+" ORDER BY id, version", "|")
	}
	exec("CREATE TABLE " + q("src") + " (id UInt64, status String) ENGINE = Memory AS SELECT number, 'new' FROM numbers(3)")
	if err := run(t, wh, n, "a"); err != nil {
		t.Fatal(err)
	}
	// The first run's state: every table it wrote (the view hist reads them by name).
	stored := []string{"hist__versions", "hist__closed", "hist__runs"}
	if got := chdbtest.Rows(t, wh, "SELECT name FROM system.tables WHERE database = '"+db+"' AND name LIKE 'hist%' AND engine != 'View' ORDER BY name", ","); got != "hist__closed\nhist__runs\nhist__versions" {
		t.Fatalf("the first run wrote tables %q; the copy below must hold all of them", got)
	}
	for _, s := range stored {
		exec("CREATE TABLE " + q("saved_"+s) + " AS " + q(s))
		exec("INSERT INTO " + q("saved_"+s) + " SELECT * FROM " + q(s))
	}
	restore := func() {
		for _, s := range stored {
			exec("CREATE OR REPLACE TABLE " + q(s) + " AS " + q("saved_"+s))
			exec("INSERT INTO " + q(s) + " SELECT * FROM " + q("saved_"+s))
		}
	}
	// The second run sees one key changed and one deleted; runs only read src.
	exec("CREATE OR REPLACE TABLE " + q("src") + " (id UInt64, status String) ENGINE = Memory AS " +
		"SELECT number, if(number = 1, 'paid', 'new') FROM numbers(2)")
	if err := run(t, wh, n, "b"); err != nil {
		t.Fatal(err)
	}
	want := history()
	if !strings.Contains(want, "2|new|2|true|false|1") || !strings.Contains(want, "1|paid|2|true|true|1") {
		t.Fatalf("uninterrupted history lacks the deletion or the change:\n%s", want)
	}
	restore()
	if got := history(); !strings.Contains(got, "2|new|1|true|true|1") || strings.Contains(got, "paid") {
		t.Fatalf("the restored copy is not the first run's history:\n%s", got)
	}
	for limit := int64(0); ; limit++ {
		restore()
		err := run(t, &failAfter{Warehouse: wh, limit: limit}, n, "c")
		if err == nil {
			break // the run completed within limit statements: every crash point was covered
		}
		if !errors.Is(err, errCrash) {
			t.Fatalf("crash after %d statements: unexpected error %v", limit, err)
		}
		if err := run(t, wh, n, "d"); err != nil {
			t.Fatalf("re-run after a crash after %d statements: %v", limit, err)
		}
		if got := history(); got != want {
			t.Fatalf("crash after %d statements, then a re-run: history\n%s\nwant\n%s", limit, got, want)
		}
	}
}
