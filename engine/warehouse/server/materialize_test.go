package server_test

import (
	"context"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// build runs a model as the runner does, Inspect, Plan, Execute, against the server target.
func build(t *testing.T, wh warehouse.Warehouse, n *manifest.Node, sql, suffix string) {
	t.Helper()
	ctx := context.Background()
	st, err := materialize.Inspect(ctx, wh, n.Database, n.Alias)
	if err != nil {
		t.Fatalf("inspect %s: %v", n.Alias, err)
	}
	steps, err := materialize.Default().Plan(materialize.Input{Node: n, SQL: sql, State: st, Caps: wh.Capabilities(), Suffix: suffix})
	if err != nil {
		t.Fatalf("plan %s: %v", n.Alias, err)
	}
	if _, err := materialize.Execute(ctx, wh, steps, func(string) {}); err != nil {
		t.Fatalf("execute %s: %v", n.Alias, err)
	}
}

func model(db, alias, materialized string, cfg func(*manifest.Config)) *manifest.Node {
	n := &manifest.Node{UniqueID: "model.p." + alias, Name: alias, ResourceType: manifest.Model, Database: db, Alias: alias,
		Config: manifest.Config{Enabled: true, Materialized: materialized}}
	if cfg != nil {
		cfg(&n.Config)
	}
	return n
}

// TestMaterializationsOverServer builds table, view and incremental models (three strategies)
// through the server target: CREATE ... AS, EXCHANGE TABLES, DELETE, REPLACE PARTITION and
// Inspect's system.tables reads all go over the HTTP protocol.
func TestMaterializationsOverServer(t *testing.T) { eachProtocol(t, testMaterializationsOverServer) }

func testMaterializationsOverServer(t *testing.T, protocol string) {
	db := database(t)
	wh := openProtocol(t, protocol, db, nil)
	q := manifest.QuoteIdent(db)
	chdbtest.Exec(t, wh, "CREATE TABLE "+q+".raw (id UInt64, day Date, amount Float64) ENGINE = MergeTree ORDER BY id")
	chdbtest.Exec(t, wh, "INSERT INTO "+q+".raw SELECT number, toDate('2024-01-01') + number % 3, number / 2 FROM numbers(10)")

	table := model(db, "orders", "table", func(c *manifest.Config) { c.OrderBy = "id" })
	build(t, wh, table, "SELECT * FROM "+q+".raw", "r1")
	build(t, wh, table, "SELECT * FROM "+q+".raw WHERE id < 5", "r2") // rebuild swaps with EXCHANGE TABLES
	if got := chdbtest.Rows(t, wh, "SELECT count(), sum(amount) FROM "+q+".orders", " "); got != "5 5" {
		t.Errorf("table = %q", got)
	}

	view := model(db, "orders_v", "view", nil)
	build(t, wh, view, "SELECT id FROM "+q+".orders WHERE id > 2", "r1")
	if got := chdbtest.Rows(t, wh, "SELECT groupArray(id) FROM (SELECT id FROM "+q+".orders_v ORDER BY id)", ""); got != "[3,4]" {
		t.Errorf("view = %q", got)
	}

	for _, strategy := range []string{materialize.StrategyAppend, materialize.StrategyDeleteInsert, materialize.StrategyInsertOverwrite} {
		inc := model(db, "inc_"+map[string]string{"append": "a", "delete+insert": "d", "insert_overwrite": "o"}[strategy], "incremental", func(c *manifest.Config) {
			c.OrderBy = "id"
			c.PartitionBy = "day"
			c.IncrementalStrategy = strategy
			c.UniqueKey = []string{"id"}
		})
		build(t, wh, inc, "SELECT * FROM "+q+".raw WHERE id < 6", "r1")
		build(t, wh, inc, "SELECT id, day, amount + 100 AS amount FROM "+q+".raw WHERE id >= 3", "r2")
		want := map[string]string{
			materialize.StrategyAppend:       "13 10", // 6 + 7 rows, ids 3..5 twice
			materialize.StrategyDeleteInsert: "10 10",
			// the second run touches all three days, so every partition is replaced by its rows
			materialize.StrategyInsertOverwrite: "7 7",
		}[strategy]
		if got := chdbtest.Rows(t, wh, "SELECT count(), uniqExact(id) FROM "+q+"."+manifest.QuoteIdent(inc.Alias), " "); got != want {
			t.Errorf("%s: count, ids = %q, want %q", strategy, got, want)
		}
	}
	// No temporary tables are left behind.
	if got := chdbtest.Rows(t, wh, "SELECT name FROM system.tables WHERE database = "+manifest.QuoteString(db)+" ORDER BY name", ","); got != "inc_a\ninc_d\ninc_o\norders\norders_v\nraw" {
		t.Errorf("tables = %q", got)
	}
}
