package materialize

import (
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// The cluster layouts a server target can declare (docs/targets.md, "Clusters").
var (
	replicated   = warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true}
	sharded      = warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true, Sharded: true, ShardingKey: DefaultShardingKey}
	replicatedDB = warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true, ReplicatedDatabase: true}

	replicatedTable = State{Kind: Table, Engine: "ReplicatedMergeTree", Columns: table.Columns}
	distributed     = State{Kind: Table, Engine: "Distributed", Columns: table.Columns}
)

type planCase struct {
	name  string
	node  *manifest.Node
	state State
	caps  warehouse.Capabilities
}

func deleteInsert(c *manifest.Config) {
	c.IncrementalStrategy = StrategyDeleteInsert
	c.UniqueKey = []string{"id"}
}

func insertOverwrite(c *manifest.Config) {
	partitioned(c)
	c.IncrementalStrategy = StrategyInsertOverwrite
}

// clusterCases pin every materialization on a replicated single-shard cluster, a sharded cluster
// and a Replicated database; TestIntegrationClusterSQLParses has ClickHouse parse each statement.
func clusterCases() []planCase {
	replacing := func(c *manifest.Config) {
		partitioned(c)
		c.Engine = "ReplacingMergeTree(day)"
	}
	byID := func(c *manifest.Config) { c.Raw = map[string]any{"sharding_key": "cityHash64(id)"} }
	var cases []planCase
	for _, m := range []struct {
		mode  string
		caps  warehouse.Capabilities
		table State
	}{{"replicated", replicated, replicatedTable}, {"sharded", sharded, distributed}, {"replicated_db", replicatedDB, replicatedTable}} {
		cases = append(cases,
			planCase{"view_" + m.mode, node("view", nil), view, m.caps},
			planCase{"view_" + m.mode + "_over_table", node("view", nil), m.table, m.caps},
			planCase{"table_" + m.mode + "_new", node("table", nil), absent, m.caps},
			planCase{"table_" + m.mode + "_existing", node("table", replacing), m.table, m.caps},
			planCase{"table_" + m.mode + "_over_view", node("table", nil), view, m.caps},
			planCase{"incremental_" + m.mode + "_append", node("incremental", nil), m.table, m.caps},
			planCase{"incremental_" + m.mode + "_delete_insert", node("incremental", deleteInsert), m.table, m.caps},
			planCase{"incremental_" + m.mode + "_insert_overwrite", node("incremental", insertOverwrite), m.table, m.caps},
		)
	}
	return append(cases,
		// A model's sharding_key replaces the target's.
		planCase{"table_sharded_sharding_key", node("table", byID), distributed, sharded},
		// The target's cluster_mode changed since the table was built.
		planCase{"table_sharded_from_replicated", node("table", nil), replicatedTable, sharded},
		planCase{"table_replicated_from_sharded", node("table", nil), distributed, replicated},
		planCase{"incremental_replicated_full_refresh_of_plain_table", node("incremental", nil), table, replicated},
	)
}

func TestPlanClusterGolden(t *testing.T) {
	reg := Default()
	for _, tc := range clusterCases() {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Node: tc.node, SQL: modelSQL, State: tc.state, Caps: tc.caps, Suffix: "run1",
				FullRefresh: strings.Contains(tc.name, "full_refresh")}
			steps, err := reg.Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, render(t, steps))
		})
	}
	// Ephemeral models build nothing on any target.
	if steps, err := reg.Plan(Input{Node: node("ephemeral", nil), SQL: modelSQL, Caps: sharded, Suffix: "run1"}); err != nil || steps != nil {
		t.Fatalf("ephemeral on a cluster planned %v, %v", steps, err)
	}
}

func TestPlanClusterErrors(t *testing.T) {
	cases := []struct {
		name  string
		node  *manifest.Node
		state State
		caps  warehouse.Capabilities
		want  string
	}{
		{"Memory on a replicated cluster", node("table", func(c *manifest.Config) { c.Engine = "Memory" }), absent, replicated,
			"engine Memory keeps its rows on one node; a replicated cluster target needs a MergeTree-family engine"},
		{"fixed Keeper path", node("table", func(c *manifest.Config) { c.Engine = "ReplicatedMergeTree('/t/orders', '{replica}')" }), absent, replicated,
			"a Keeper path must contain {uuid}"},
		{"plain table on a replicated cluster", node("incremental", nil), table, replicated,
			"`analytics`.`orders` has engine MergeTree, which keeps its rows on one node, but the target is a replicated cluster; rebuild it with --full-refresh"},
		{"replicated table on a sharded cluster", node("incremental", deleteInsert), replicatedTable, sharded,
			"`analytics`.`orders` has engine ReplicatedMergeTree, but the target is sharded (a Distributed table over `analytics`.`orders_local`); rebuild it with --full-refresh"},
		{"sharded without EXCHANGE", node("table", nil), distributed, func() warehouse.Capabilities { c := sharded; c.ExchangeTables = false; return c }(),
			"a sharded target needs EXCHANGE TABLES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Default().Plan(Input{Node: tc.node, SQL: modelSQL, State: tc.state, Caps: tc.caps, Suffix: "run1"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestEngineFor(t *testing.T) {
	for _, tc := range []struct{ in, single, replicated string }{
		{"", "MergeTree", "ReplicatedMergeTree()"},
		{"MergeTree", "MergeTree", "ReplicatedMergeTree()"},
		{"MergeTree()", "MergeTree()", "ReplicatedMergeTree()"},
		{"ReplacingMergeTree(ver)", "ReplacingMergeTree(ver)", "ReplicatedReplacingMergeTree(ver)"},
		{"SummingMergeTree((a, b))", "SummingMergeTree((a, b))", "ReplicatedSummingMergeTree((a, b))"},
		{"ReplicatedMergeTree", "ReplicatedMergeTree", "ReplicatedMergeTree"},
		{"ReplicatedMergeTree('/x/{uuid}/{shard}', '{replica}')", "ReplicatedMergeTree('/x/{uuid}/{shard}', '{replica}')", "ReplicatedMergeTree('/x/{uuid}/{shard}', '{replica}')"},
		{"SharedMergeTree", "SharedMergeTree", "SharedMergeTree"},
		{"Memory", "Memory", ""},
	} {
		if got, err := EngineFor(tc.in, single); err != nil || got != tc.single {
			t.Errorf("EngineFor(%q, single) = %q, %v; want %q", tc.in, got, err, tc.single)
		}
		got, err := EngineFor(tc.in, replicated)
		if tc.replicated == "" {
			if err == nil {
				t.Errorf("EngineFor(%q, replicated) = %q, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.replicated {
			t.Errorf("EngineFor(%q, replicated) = %q, %v; want %q", tc.in, got, err, tc.replicated)
		}
	}
}

// helperStatements renders every helper the CDC materializations are to adopt, for one layout.
func helperStatements(t *testing.T, caps warehouse.Capabilities) []string {
	t.Helper()
	r := Relation{Database: "analytics", Name: "users_staging"}
	tmp := TempRelation(r, "run1t1")
	engine, err := EngineFor("MergeTree", caps)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	add := func(steps []Step, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			out = append(out, s.SQL)
		}
	}
	add(CreateTable(r, TableDef{Columns: "`user_id` UInt64, `_load_seq` UInt64", Clause: "ENGINE = " + engine + " PARTITION BY _load_seq ORDER BY user_id", IfNotExists: true}, caps))
	add(CreateTable(tmp, TableDef{As: r}, caps))
	out = append(out,
		InsertInto(tmp, "`user_id`, `_load_seq`", caps)+" SELECT 1, 7",
		InsertInto(tmp, "", caps, "format_csv_delimiter = ','")+" FORMAT CSVWithNames\nuser_id,_load_seq\n1,7\n")
	add(SyncReplicas(tmp, caps), nil)
	out = append(out,
		OptimizeFinal(tmp, caps),
		PartitionsQuery(tmp, caps),
		ReplacePartition(r, tmp, "7", caps, "allow_replace_partition_from_empty_source = 1"),
		DropPartition(r, "8", caps),
		DeleteWhere(r, "user_id IN (SELECT user_id FROM "+tmp.String()+")", caps),
		CreateDatabase("analytics", caps))
	return append(out, DropTableSQL(tmp, caps)...)
}

func TestClusterHelpersGolden(t *testing.T) {
	var b strings.Builder
	for _, l := range []struct {
		name string
		caps warehouse.Capabilities
	}{{"one node", single}, {"replicated", replicated}, {"sharded", sharded}, {"replicated database", replicatedDB}} {
		b.WriteString("-- " + l.name + "\n")
		for _, sql := range helperStatements(t, l.caps) {
			b.WriteString(sql + ";\n")
		}
		b.WriteString("\n")
	}
	checkGolden(t, "cluster_helpers", b.String())
}

func TestCheckDatabaseEngine(t *testing.T) {
	for _, tc := range []struct {
		engine string
		caps   warehouse.Capabilities
		want   string
	}{
		{"Atomic", single, ""},
		{"Replicated", single, ""},
		{"Atomic", replicated, ""},
		{"Atomic", sharded, ""},
		{"Replicated", replicatedDB, ""},
		{"Atomic", replicatedDB, "database analytics has engine Atomic, but the target says database_engine: replicated"},
		{"Replicated", replicated, "set database_engine: replicated on the target"},
	} {
		err := CheckDatabaseEngine("analytics", tc.engine, tc.caps)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s on %+v: got %v, want %q", tc.engine, tc.caps, err, tc.want)
		}
	}
}

func TestCreateTableNeedsOneShape(t *testing.T) {
	r := Relation{Database: "d", Name: "t"}
	for _, def := range []TableDef{
		{},
		{Select: "SELECT 1", Columns: "`a` UInt8", Clause: "ENGINE = MergeTree ORDER BY tuple()"},
		{Columns: "`a` UInt8"},
		{As: r, Clause: "ENGINE = MergeTree ORDER BY tuple()"},
	} {
		if _, err := CreateTable(r, def, sharded); err == nil {
			t.Errorf("CreateTable accepted %+v", def)
		}
	}
}
