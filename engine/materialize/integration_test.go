package materialize

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// shared is the package's one embedded warehouse (libchdb allows one data directory per process).
var shared chdbtest.Shared

func TestMain(m *testing.M) {
	flagParse()
	os.Exit(shared.Run(m, chdb.Options{}))
}

// testDB returns the shared warehouse and a fresh database for the test.
func testDB(t *testing.T) (*chdb.Warehouse, string) {
	t.Helper()
	return shared.Database(t, "t_")
}

func exec(t *testing.T, wh warehouse.Warehouse, sql string) {
	t.Helper()
	chdbtest.Exec(t, wh, sql)
}

func rows(t *testing.T, wh warehouse.Warehouse, sql string) string {
	t.Helper()
	return chdbtest.Rows(t, wh, sql, " ")
}

func modelIn(db, alias, materialized string, cfg func(*manifest.Config)) *manifest.Node {
	n := node(materialized, cfg)
	n.Database, n.Alias = db, alias
	return n
}

// build runs a model the way the runner will: Inspect, Plan, Execute.
func build(t *testing.T, wh warehouse.Warehouse, n *manifest.Node, sql, suffix string, fullRefresh bool, caps warehouse.Capabilities) (warehouse.Stats, []string, error) {
	t.Helper()
	ctx := context.Background()
	st, err := Inspect(ctx, wh, n.Database, n.Alias)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := Default().Plan(Input{Node: n, SQL: sql, State: st, FullRefresh: fullRefresh, Caps: caps, Suffix: suffix})
	if err != nil {
		return warehouse.Stats{}, nil, err
	}
	var logged []string
	stats, err := Execute(ctx, wh, steps, func(s string) { logged = append(logged, s) })
	return stats, logged, err
}

func mustBuild(t *testing.T, wh warehouse.Warehouse, n *manifest.Node, sql, suffix string) warehouse.Stats {
	t.Helper()
	stats, _, err := build(t, wh, n, sql, suffix, false, wh.Capabilities())
	if err != nil {
		t.Fatal(err)
	}
	return stats
}

func tablesIn(t *testing.T, wh warehouse.Warehouse, db string) string {
	return rows(t, wh, "SELECT name FROM system.tables WHERE database = "+manifest.QuoteString(db)+" ORDER BY name")
}

func TestIntegrationInspect(t *testing.T) {
	wh, db := testDB(t)
	ctx := context.Background()
	exec(t, wh, "CREATE TABLE "+db+".t (a Int64, b String, c Int64 MATERIALIZED a + 1) ENGINE = MergeTree ORDER BY a")
	exec(t, wh, "CREATE VIEW "+db+".v AS SELECT 1")
	for name, want := range map[string]string{"t": "table MergeTree [{a Int64} {b String}]", "v": "view View []", "nope": "absent  []"} {
		st, err := Inspect(ctx, wh, db, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%s %s %v", st.Kind, st.Engine, st.Columns); got != want {
			t.Errorf("Inspect(%s) = %s, want %s", name, got, want)
		}
	}
}

func TestIntegrationTableSwapKeepsReadersConsistent(t *testing.T) {
	wh, db := testDB(t)
	n := modelIn(db, "orders", "table", func(c *manifest.Config) { c.OrderBy = "id" })
	if st := mustBuild(t, wh, n, "SELECT number AS id FROM numbers(100)", "r1"); st.RowsWritten != 100 {
		t.Fatalf("first build wrote %d rows, want 100", st.RowsWritten)
	}
	// A reader counts rows in a loop during the rebuilds; with EXCHANGE TABLES it must only ever
	// see the complete old or the complete new table, never a missing or partial one. The
	// rebuilds alternate between the two tables and go on until the reader has seen the table
	// change under it several times, so its reads provably ran between the swaps.
	var done atomic.Bool
	errc := make(chan error, 1)
	var reads, switches atomic.Int64
	firstRead := make(chan struct{})
	go func() {
		last := ""
		for {
			res, err := wh.Query(context.Background(), "SELECT count() FROM "+db+".orders")
			if err != nil {
				errc <- fmt.Errorf("reader failed: %w", err)
				return
			}
			got := res.String(0, 0)
			if got != "100" && got != "250" {
				errc <- fmt.Errorf("reader saw %s rows", got)
				return
			}
			if last != "" && got != last {
				switches.Add(1)
			}
			last = got
			if reads.Add(1) == 1 {
				close(firstRead)
			}
			if done.Load() {
				errc <- nil
				return
			}
		}
	}()
	<-firstRead
	const enough = 3
	builds := 0
	for ; builds < 200 && switches.Load() < enough; builds++ {
		sql := "SELECT number AS id FROM numbers(100)"
		if builds%2 == 0 {
			sql = "SELECT number AS id FROM numbers(250)"
		}
		mustBuild(t, wh, n, sql, fmt.Sprintf("r%d", builds+2))
	}
	if builds%2 == 0 { // the last rebuild (number builds-1) made the 100-row table: end on 250
		mustBuild(t, wh, n, "SELECT number AS id FROM numbers(250)", "rlast")
	}
	done.Store(true)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if switches.Load() < enough {
		t.Fatalf("in %d rebuilds the reader (%d reads) saw the table change %d times; it did not read between the swaps",
			builds, reads.Load(), switches.Load())
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".orders"); got != "250" {
		t.Fatalf("after rebuilds: %s rows, want 250", got)
	}
	if got := tablesIn(t, wh, db); got != "orders" {
		t.Fatalf("tables left: %q, want only orders", got)
	}
	t.Logf("%d rebuilds, %d reads, %d changes seen", builds, reads.Load(), switches.Load())
}

func TestIntegrationTableWithoutExchangeAndOverView(t *testing.T) {
	wh, db := testDB(t)
	n := modelIn(db, "m", "table", nil)
	exec(t, wh, "CREATE VIEW "+db+".m AS SELECT 'view' AS s")
	mustBuild(t, wh, n, "SELECT 'one' AS s", "a1")
	noExchange := wh.Capabilities()
	noExchange.ExchangeTables = false
	if _, _, err := build(t, wh, n, "SELECT 'two' AS s", "a2", false, noExchange); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, wh, "SELECT s FROM "+db+".m"); got != "two" {
		t.Fatalf("got %q", got)
	}
	if got := rows(t, wh, "SELECT engine FROM system.tables WHERE database = '"+db+"'"); got != "MergeTree" {
		t.Fatalf("relations left: %q", got)
	}
	// And back to a view over the table.
	mustBuild(t, wh, modelIn(db, "m", "view", nil), "SELECT 'three' AS s", "a3")
	if got := rows(t, wh, "SELECT engine, (SELECT s FROM "+db+".m) FROM system.tables WHERE database = '"+db+"'"); got != "View three" {
		t.Fatalf("got %q", got)
	}
}

func TestIntegrationTableOptions(t *testing.T) {
	wh, db := testDB(t)
	n := modelIn(db, "opts", "table", func(c *manifest.Config) {
		c.Engine = "ReplacingMergeTree(version)"
		c.Raw = map[string]any{"order_by": []any{"id", "day"}, "primary_key": []any{"id"}}
		c.PartitionBy = "toYYYYMM(day)"
		c.Settings = map[string]any{"index_granularity": 1024}
	})
	mustBuild(t, wh, n, "SELECT 1 AS id, toDate('2024-01-05') AS day, 1 AS version", "o1")
	got := rows(t, wh, "SELECT engine_full FROM system.tables WHERE database = '"+db+"' AND name = 'opts'")
	for _, want := range []string{"ReplacingMergeTree(version)", "PARTITION BY toYYYYMM(day)", "PRIMARY KEY (id)", "ORDER BY (id, day)", "index_granularity = 1024"} {
		if !strings.Contains(got, want) {
			t.Errorf("engine_full %q lacks %q", got, want)
		}
	}
}

func TestIntegrationLeftoversAreDropped(t *testing.T) {
	wh, db := testDB(t)
	// A crashed run of "orders" left a temporary table; model "orders_eu" is mid-build.
	exec(t, wh, "CREATE TABLE "+db+".__dwm_tmp_orders_crashed (a Int8) ENGINE = MergeTree ORDER BY a")
	exec(t, wh, "CREATE TABLE "+db+".__dwm_tmp_orders_eu_busy (a Int8) ENGINE = MergeTree ORDER BY a")
	_, logged, err := build(t, wh, modelIn(db, "orders", "table", nil), "SELECT 1 AS a", "n1", false, wh.Capabilities())
	if err != nil {
		t.Fatal(err)
	}
	if got := tablesIn(t, wh, db); got != "__dwm_tmp_orders_eu_busy\norders" {
		t.Fatalf("tables: %q", got)
	}
	if !strings.Contains(strings.Join(logged, "\n"), "DROP TABLE IF EXISTS `"+db+"`.`__dwm_tmp_orders_crashed` SYNC") {
		t.Fatalf("log lacks the leftover drop:\n%s", strings.Join(logged, "\n"))
	}
}

func TestIntegrationCrashMidRunRecovers(t *testing.T) {
	wh, db := testDB(t)
	n := modelIn(db, "m", "table", nil)
	mustBuild(t, wh, n, "SELECT 1 AS a", "c1")
	// Simulate a crash right after the temporary table was filled: run only the first steps.
	st, err := Inspect(context.Background(), wh, db, "m")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := Default().Plan(Input{Node: n, SQL: "SELECT 2 AS a", State: st, Caps: wh.Capabilities(), Suffix: "c2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Execute(context.Background(), wh, steps[:3], nil); err != nil {
		t.Fatal(err)
	}
	if got := tablesIn(t, wh, db); got != "__dwm_tmp_m_c2\nm" {
		t.Fatalf("after simulated crash: %q", got)
	}
	mustBuild(t, wh, n, "SELECT 3 AS a", "c3")
	if got := tablesIn(t, wh, db) + " / " + rows(t, wh, "SELECT a FROM "+db+".m"); got != "m / 3" {
		t.Fatalf("after rerun: %q", got)
	}
}

func TestIntegrationIncrementalAppend(t *testing.T) {
	wh, db := testDB(t)
	n := modelIn(db, "events", "incremental", func(c *manifest.Config) { c.OrderBy = "id" })
	if st := mustBuild(t, wh, n, "SELECT number AS id, 'first' AS run FROM numbers(10)", "i1"); st.RowsWritten != 10 {
		t.Fatalf("first run wrote %d", st.RowsWritten)
	}
	// The second run filters like {{ if is_incremental }}: only ids above what is loaded.
	st := mustBuild(t, wh, n, "SELECT 'second' AS run, number AS id FROM numbers(15) WHERE id > (SELECT max(id) FROM "+db+".events)", "i2")
	if st.RowsWritten != 5 {
		t.Fatalf("second run wrote %d rows, want 5", st.RowsWritten)
	}
	if got := rows(t, wh, "SELECT count(), uniqExact(id), max(id) FROM "+db+".events"); got != "15 15 14" {
		t.Fatalf("got %q", got)
	}
	// Full refresh rebuilds from scratch.
	if _, _, err := build(t, wh, n, "SELECT number AS id, 'full' AS run FROM numbers(3)", "i3", true, wh.Capabilities()); err != nil {
		t.Fatal(err)
	}
	if got := rows(t, wh, "SELECT count(), any(run) FROM "+db+".events"); got != "3 full" {
		t.Fatalf("after full refresh: %q", got)
	}
}

func TestIntegrationIncrementalColumnMismatchFails(t *testing.T) {
	wh, db := testDB(t)
	n := modelIn(db, "e", "incremental", nil)
	mustBuild(t, wh, n, "SELECT 1 AS a, 'x' AS b", "m1")
	// Reordered columns are matched by name, not position.
	mustBuild(t, wh, n, "SELECT 'y' AS b, 2 AS a", "m2")
	if got := rows(t, wh, "SELECT a, b FROM "+db+".e ORDER BY a"); got != "1 x\n2 y" {
		t.Fatalf("got %q", got)
	}
	for sql, code := range map[string]int{
		"SELECT 3 AS a, 'z' AS b, 1 AS c": 20, // NUMBER_OF_COLUMNS_DOESNT_MATCH
		"SELECT 3 AS a":                   47, // UNKNOWN_IDENTIFIER
	} {
		_, _, err := build(t, wh, n, sql, "m3", false, wh.Capabilities())
		var qe *warehouse.QueryError
		if !errors.As(err, &qe) || qe.Code != code || !strings.HasPrefix(err.Error(), "append to ") {
			t.Errorf("%s: got %v, want ClickHouse error %d prefixed by the step", sql, err, code)
		}
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".e"); got != "2" {
		t.Fatalf("failed runs changed the table: %s rows", got)
	}
}

func TestIntegrationDeleteInsert(t *testing.T) {
	wh, db := testDB(t)
	n := modelIn(db, "dims", "incremental", func(c *manifest.Config) {
		c.IncrementalStrategy = StrategyDeleteInsert
		c.UniqueKey = []string{"id", "region"}
		c.OrderBy = "id"
	})
	mustBuild(t, wh, n, "SELECT number AS id, 'eu' AS region, 'old' AS v FROM numbers(10)", "d1")
	st := mustBuild(t, wh, n, "SELECT number + 5 AS id, 'eu' AS region, 'new' AS v FROM numbers(10)", "d2")
	if st.RowsWritten != 10 {
		t.Fatalf("second run counted %d rows, want 10", st.RowsWritten)
	}
	if got := rows(t, wh, "SELECT v, count(), min(id), max(id) FROM "+db+".dims GROUP BY v ORDER BY v"); got != "new 10 5 14\nold 5 0 4" {
		t.Fatalf("got %q", got)
	}
	if got := tablesIn(t, wh, db); got != "dims" {
		t.Fatalf("tables left: %q", got)
	}
}

// monthlyOverwrite builds an insert_overwrite model partitioned by month, with one 'old' row in
// each of January, February and March 2024.
func monthlyOverwrite(t *testing.T, wh warehouse.Warehouse, db string) *manifest.Node {
	t.Helper()
	n := modelIn(db, "daily", "incremental", func(c *manifest.Config) {
		c.IncrementalStrategy = StrategyInsertOverwrite
		c.PartitionBy = "toYYYYMM(day)"
		c.OrderBy = "day"
	})
	mustBuild(t, wh, n, "SELECT toDate('2024-01-01') + number * 31 AS day, 'old' AS v FROM numbers(3)", "p1")
	return n
}

func TestIntegrationInsertOverwrite(t *testing.T) {
	wh, db := testDB(t)
	n := monthlyOverwrite(t, wh, db)
	// The new rows touch only February: January and March must stay as they were.
	mustBuild(t, wh, n, "SELECT toDate('2024-02-10') + number AS day, 'new' AS v FROM numbers(2)", "p2")
	got := rows(t, wh, "SELECT toYYYYMM(day) AS m, groupArray(v) FROM (SELECT * FROM "+db+".daily ORDER BY day) GROUP BY m ORDER BY m")
	if got != "202401 ['old']\n202402 ['new','new']\n202403 ['old']" {
		t.Fatalf("got %q", got)
	}
	if got := tablesIn(t, wh, db); got != "daily" {
		t.Fatalf("tables left: %q", got)
	}
}

// TestIntegrationInsertOverwriteFinishesAKilledSwap: a run killed inside REPLACE PARTITION can
// leave, after the restart, the partition's old part active beside the new one (the rows twice),
// with its complete swap table still there. The model's next run must first replace that
// partition again from the swap table, whatever it does next: a plain run with new rows, a run
// after the strategy changed, and a full refresh killed right after it dropped the leftover
// temporaries (the swap table among them). Without the redo, the cleanup dropped the swap table
// and the rows stayed twice for good.
func TestIntegrationInsertOverwriteFinishesAKilledSwap(t *testing.T) {
	whole := "202401 ['old']\n202402 ['new','new']\n202403 ['old']"
	for _, c := range []struct {
		name  string
		next  func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node)
		after string // the months after next
	}{
		{"the next run", func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node) {
			mustBuild(t, wh, n, "SELECT toDate('2024-04-02') AS day, 'next' AS v", "p3")
		}, whole + "\n202404 ['next']"},
		{"a run after the strategy became append", func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node) {
			n.Config.IncrementalStrategy = StrategyAppend
			mustBuild(t, wh, n, "SELECT toDate('2024-04-02') AS day, 'next' AS v", "p3")
		}, whole + "\n202404 ['next']"},
		{"a full refresh killed after its cleanup", func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node) {
			fullRefreshKilledAfterCleanup(t, wh, n, "SELECT toDate('2024-04-02') AS day, 'next' AS v")
		}, whole},
	} {
		t.Run(c.name, func(t *testing.T) {
			wh, db := testDB(t)
			n := monthlyOverwrite(t, wh, db)
			// The killed run: its swap table holds February's new rows, and February holds both parts.
			swap := db + "." + swapRelation(Target(n)).Name
			feb := " SELECT toDate('2024-02-10') + number AS day, 'new' AS v FROM numbers(2)"
			exec(t, wh, "CREATE TABLE "+swap+" AS "+db+".daily")
			exec(t, wh, "INSERT INTO "+swap+feb)
			exec(t, wh, "INSERT INTO "+db+".daily"+feb)
			months := "SELECT toYYYYMM(day) AS m, groupArray(v) FROM (SELECT * FROM " + db + ".daily ORDER BY day, v) GROUP BY m ORDER BY m"
			if got := rows(t, wh, months); got != "202401 ['old']\n202402 ['old','new','new']\n202403 ['old']" {
				t.Fatalf("the killed run's state is not set up: %q", got)
			}
			c.next(t, wh, n)
			if got := rows(t, wh, months); got != c.after {
				t.Fatalf("after %s: %q, want %q", c.name, got, c.after)
			}
			if got := tablesIn(t, wh, db); got != "daily" {
				t.Fatalf("tables left: %q", got)
			}
		})
	}
}

// fullRefreshKilledAfterCleanup runs a full refresh of n with sql up to its leftover cleanup (the
// last one, if several), as a run killed right after it would have.
func fullRefreshKilledAfterCleanup(t *testing.T, wh warehouse.Warehouse, n *manifest.Node, sql string) {
	t.Helper()
	st, err := Inspect(context.Background(), wh, n.Database, n.Alias)
	if err != nil {
		t.Fatal(err)
	}
	steps, err := Default().Plan(Input{Node: n, SQL: sql, State: st, FullRefresh: true, Caps: wh.Capabilities(), Suffix: "p3"})
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for i, s := range steps {
		if strings.HasPrefix(s.Purpose, "drop leftover temporary tables") {
			last = i
		}
	}
	if last < 0 {
		t.Fatal("the full refresh has no leftover cleanup")
	}
	if _, err := Execute(context.Background(), wh, steps[:last+1], nil); err != nil {
		t.Fatal(err)
	}
}

func TestIntegrationExecuteWrapsAndStops(t *testing.T) {
	wh, db := testDB(t)
	steps := []Step{
		{Purpose: "first", SQL: "CREATE TABLE " + db + ".a (x Int8) ENGINE = Memory"},
		{Purpose: "broken step", SQL: "SELEC 1"},
		{Purpose: "never", SQL: "CREATE TABLE " + db + ".b (x Int8) ENGINE = Memory"},
	}
	var logged []string
	_, err := Execute(context.Background(), wh, steps, func(s string) { logged = append(logged, s) })
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || !strings.HasPrefix(err.Error(), "broken step: ") {
		t.Fatalf("got %v", err)
	}
	if len(logged) != 2 || tablesIn(t, wh, db) != "a" {
		t.Fatalf("ran %q, tables %q", logged, tablesIn(t, wh, db))
	}
}
