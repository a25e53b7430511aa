package materialize

import (
	"flag"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/internal/golden"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// flagParse lets TestMain read -update before m.Run parses flags again (idempotent).
func flagParse() { flag.Parse() }

func node(materialized string, cfg func(*manifest.Config)) *manifest.Node {
	n := &manifest.Node{
		UniqueID: "model.shop.orders", Name: "orders", ResourceType: manifest.Model,
		Database: "analytics", Alias: "orders",
		Config: manifest.Config{Enabled: true, Materialized: materialized},
	}
	if cfg != nil {
		cfg(&n.Config)
	}
	return n
}

var (
	single   = warehouse.Capabilities{Kind: "chdb", ReadsLocalFiles: true, ExchangeTables: true}
	noSwap   = warehouse.Capabilities{Kind: "clickhouse"}
	absent   = State{Kind: Absent}
	view     = State{Kind: View, Engine: "View"}
	table    = State{Kind: Table, Engine: "MergeTree", Columns: []warehouse.Column{{Name: "id", Type: "Int64"}, {Name: "day", Type: "Date"}, {Name: "amount", Type: "Float64"}}}
	modelSQL = "SELECT id, day, amount\nFROM `analytics`.`raw_orders`\nWHERE day > (SELECT max(day) FROM `analytics`.`orders`);\n"
)

func partitioned(c *manifest.Config) {
	c.PartitionBy = "toYYYYMM(day)"
	c.OrderBy = "id"
}

func TestPlanGolden(t *testing.T) {
	cases := []struct {
		name        string
		node        *manifest.Node
		state       State
		caps        warehouse.Capabilities
		fullRefresh bool
	}{
		{"view_new", node("view", nil), absent, single, false},
		{"view_over_table", node("view", nil), table, single, false},
		{"view_existing", node("view", nil), view, single, false},
		{"table_new", node("table", nil), absent, single, false},
		{"table_existing", node("table", partitioned), table, single, false},
		{"table_existing_no_exchange", node("table", nil), table, noSwap, false},
		{"table_over_view", node("table", nil), view, single, false},
		{"table_options", node("table", func(c *manifest.Config) {
			c.Engine = "ReplacingMergeTree(version)"
			c.Raw = map[string]any{"order_by": []any{"id", "day"}, "primary_key": []any{"id"}}
			c.PartitionBy = "toYYYYMM(day)"
			c.Settings = map[string]any{"index_granularity": 1024, "allow_nullable_key": true, "storage_policy": "hot"}
		}), absent, single, false},
		{"incremental_new", node("incremental", nil), absent, single, false},
		{"incremental_append", node("incremental", nil), table, single, false},
		{"incremental_append_full_refresh", node("incremental", nil), table, single, true},
		{"incremental_over_view", node("incremental", nil), view, single, false},
		{"incremental_delete_insert", node("incremental", func(c *manifest.Config) {
			c.IncrementalStrategy = StrategyDeleteInsert
			c.UniqueKey = []string{"id", "day"}
		}), table, single, false},
		{"incremental_delete_insert_new", node("incremental", func(c *manifest.Config) {
			c.IncrementalStrategy = StrategyDeleteInsert
			c.UniqueKey = []string{"id"}
		}), absent, single, false},
		{"incremental_insert_overwrite", node("incremental", func(c *manifest.Config) {
			partitioned(c)
			c.IncrementalStrategy = StrategyInsertOverwrite
		}), table, single, false},
		{"incremental_insert_overwrite_full_refresh", node("incremental", func(c *manifest.Config) {
			partitioned(c)
			c.IncrementalStrategy = StrategyInsertOverwrite
		}), table, single, true},
		{"ephemeral", node("ephemeral", nil), absent, single, false},
	}
	reg := Default()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := reg.Plan(Input{Node: tc.node, SQL: modelSQL, State: tc.state, Caps: tc.caps, FullRefresh: tc.fullRefresh, Suffix: "run1"})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, render(t, steps))
		})
	}
}

// render prints a plan as an SQL script; expanding steps are shown with a sample result so the
// statements they generate are pinned too.
func render(t *testing.T, steps []Step) string {
	t.Helper()
	var b strings.Builder
	for _, s := range steps {
		b.WriteString("-- " + s.Purpose)
		if s.CountRows {
			b.WriteString(" [rows counted]")
		}
		b.WriteString("\n" + s.SQL + ";\n")
		if s.Expand == nil {
			continue
		}
		sample := sampleResult(s.SQL)
		out, err := s.Expand(sample)
		if err != nil {
			t.Fatalf("expand %q: %v", s.Purpose, err)
		}
		b.WriteString("-- expands, for sample rows " + strings.TrimSpace(renderRows(sample)) + ", to:\n")
		for _, sql := range out {
			b.WriteString(sql + ";\n")
		}
	}
	return b.String()
}

func sampleResult(sql string) *warehouse.Result {
	if strings.Contains(sql, "system.parts") {
		return &warehouse.Result{Rows: [][]any{{"202401"}, {"202402"}}}
	}
	return &warehouse.Result{Rows: [][]any{{"__dwm_tmp_orders_crashed"}, {"__dwm_tmp_orders_crashedold"}}}
}

func renderRows(r *warehouse.Result) string {
	var parts []string
	for i := range r.Rows {
		parts = append(parts, r.String(i, 0))
	}
	return strings.Join(parts, ", ")
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, *update, name, got)
}

func TestPlanErrors(t *testing.T) {
	cases := []struct {
		name  string
		node  *manifest.Node
		state State
		suf   string
		want  string
	}{
		{"delete+insert without unique_key", node("incremental", func(c *manifest.Config) { c.IncrementalStrategy = StrategyDeleteInsert }),
			absent, "run1", "materialize model.shop.orders: incremental_strategy \"delete+insert\" needs unique_key"},
		{"insert_overwrite without partition_by", node("incremental", func(c *manifest.Config) { c.IncrementalStrategy = StrategyInsertOverwrite }),
			table, "run1", "materialize model.shop.orders: incremental_strategy \"insert_overwrite\" needs partition_by"},
		{"unknown strategy", node("incremental", func(c *manifest.Config) { c.IncrementalStrategy = "merge" }),
			table, "run1", "materialize model.shop.orders: unknown incremental_strategy \"merge\""},
		{"unknown materialization", node("snapshot", nil), absent, "run1", "unknown materialization \"snapshot\""},
		{"materialized view in the way", node("table", nil), State{Kind: Other, Engine: "MaterializedView"}, "run1", "exists as MaterializedView"},
		{"view over materialized view", node("view", nil), State{Kind: Other, Engine: "MaterializedView"}, "run1", "exists as MaterializedView"},
		{"suffix with underscore", node("table", nil), absent, "a_b", "only ASCII letters and digits"},
		{"empty suffix", node("view", nil), absent, "", "empty run suffix"},
		{"order_by on Memory", node("table", func(c *manifest.Config) { c.Engine = "Memory"; c.OrderBy = "id" }), absent, "run1", "engine Memory takes no order_by"},
		{"bad setting name", node("table", func(c *manifest.Config) { c.Settings = map[string]any{"a b": 1} }), absent, "run1", "is not a setting name"},
		{"order_by list of numbers", node("table", func(c *manifest.Config) { c.Raw = map[string]any{"order_by": []any{1}} }), absent, "run1", "list items must be strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Default().Plan(Input{Node: tc.node, SQL: modelSQL, State: tc.state, Caps: single, Suffix: tc.suf})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	r := Default()
	if got := strings.Join(r.Names(), ","); got != "ephemeral,incremental,table,view" {
		t.Fatalf("Names() = %s", got)
	}
	if err := r.Register(TableMaterialization{}); err == nil {
		t.Fatal("registering table twice succeeded")
	}
	// Each Default is independent: registering into one does not leak into the next.
	if err := r.Register(fakeKind{}); err != nil {
		t.Fatal(err)
	}
	if _, ok := Default().Lookup("scd2"); ok {
		t.Fatal("Default() shares state between registries")
	}
	inc, _ := r.Lookup("incremental")
	if got := strings.Join(inc.ConfigKeys(), ","); got != "engine,order_by,partition_by,primary_key,settings,sharding_key,incremental_strategy,unique_key,batch_column" {
		t.Fatalf("incremental ConfigKeys = %s", got)
	}
}

type fakeKind struct{}

func (fakeKind) Name() string               { return "scd2" }
func (fakeKind) ConfigKeys() []string       { return nil }
func (fakeKind) Plan(Input) ([]Step, error) { return nil, nil }

func TestCleanupPatternIsExact(t *testing.T) {
	s := CleanupTemps(Relation{Database: "d", Name: "a.b"}, single)
	// The dot is escaped for re2 and the backslash doubled for the SQL string literal.
	if !strings.Contains(s.SQL, `'^__dwm_tmp_a\\.b_[0-9A-Za-z]+$'`) {
		t.Fatalf("unexpected pattern in %s", s.SQL)
	}
}
