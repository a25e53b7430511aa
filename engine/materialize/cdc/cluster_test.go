package cdc

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// The cluster layouts of a server target (docs/targets.md, "Clusters"), as materialize's own
// cluster tests name them.
var (
	replicatedCaps   = warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true}
	replicatedDBCaps = warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true, ReplicatedDatabase: true}
	shardedCaps      = warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true, Sharded: true,
		ShardingKey: materialize.DefaultShardingKey}
)

// clusterGoldenCases are the plans pinned on both replicated layouts: every CDC kind (staging
// from objects and from files sent by dwm, a staging full refresh, fact from objects and from a
// relation, scd2 over staging with several batches and the processed marks, scd2 over a CDC
// tool's table) and every ledger write.
var clusterGoldenCases = []string{"staging_objects_op", "staging_streamed", "staging_full_refresh", "fact_objects_cluster",
	"fact_relation_late_check", "scd2_two_batches", "scd2_full_refresh", "scd2_cursor_late_check"}

// TestClusterGolden pins the CDC plans on a replicated cluster (ON CLUSTER DDL) and in a
// Replicated database (no ON CLUSTER), has ClickHouse 26.7 parse every statement, and checks the
// rules of the cluster recipe on each: Replicated engines, every write made on every replica
// before the next statement, no ON CLUSTER inside a Replicated database.
func TestClusterGolden(t *testing.T) {
	wh, _ := testDB(t)
	cases := map[string]goldenCase{}
	for _, c := range planCases(t) {
		cases[c.name] = c
	}
	for _, mode := range []struct {
		name string
		caps warehouse.Capabilities
	}{{"replicated", replicatedCaps}, {"replicated_db", replicatedDBCaps}} {
		for _, name := range clusterGoldenCases {
			c, ok := cases[name]
			if !ok {
				t.Fatalf("no golden case %s", name)
			}
			t.Run(strings.TrimSuffix(name, "_cluster")+"_"+mode.name, func(t *testing.T) {
				in := c.in
				in.Node, in.Suffix, in.Caps = c.node, "x1", mode.caps
				if in.State.Kind == materialize.Table {
					in.State.Engine = "ReplicatedMergeTree"
				}
				steps, err := c.m.Plan(in)
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, strings.TrimSuffix(name, "_cluster")+"_"+mode.name, render(t, steps))
				stmts := statements(t, steps)
				checkClusterRules(t, stmts, mode.caps)
				for _, s := range stmts {
					if !s.upload {
						chdbtest.Parses(t, wh, s.sql)
					}
				}
			})
		}
	}
}

// statement is one statement of a plan in the order it runs; upload marks the one that stands
// for a file sent by dwm (its SQL describes the blocks).
type statement struct {
	sql    string
	upload bool
}

// statements lists what a plan runs, expanding steps for the sample rows render uses.
func statements(t *testing.T, steps []materialize.Step) []statement {
	t.Helper()
	var out []statement
	for _, s := range steps {
		out = append(out, statement{sql: s.SQL, upload: s.Upload != nil})
		if s.Expand == nil {
			continue
		}
		more, err := s.Expand(sampleRows(s.SQL))
		if err != nil {
			t.Fatalf("expand %q: %v", s.Purpose, err)
		}
		for _, sql := range more {
			out = append(out, statement{sql: sql})
		}
	}
	return out
}

var (
	ddlRe    = regexp.MustCompile(`^(CREATE|DROP|ALTER|OPTIMIZE|RENAME|EXCHANGE)\b`)
	engineRe = regexp.MustCompile(`ENGINE = (\w+)`)
	insertRe = regexp.MustCompile("^INSERT INTO (`[^`]+`\\.`[^`]+`)")
	// externalRe finds table functions that read outside the cluster (and may carry keys).
	externalRe = regexp.MustCompile(`\b(s3|s3Cluster|file|url)\(`)
)

// checkClusterRules checks the recipe of materialize/cluster.go statement by statement.
func checkClusterRules(t *testing.T, stmts []statement, caps warehouse.Capabilities) {
	t.Helper()
	for i, s := range stmts {
		sql := s.sql
		onCluster := strings.Contains(sql, " ON CLUSTER `main`")
		switch {
		case strings.HasPrefix(sql, "SYSTEM SYNC REPLICA"):
			if !onCluster || !strings.HasSuffix(sql, " LIGHTWEIGHT") {
				t.Errorf("a replica sync must run on every node: %s", sql)
			}
		case ddlRe.MatchString(sql) && caps.ReplicatedDatabase && onCluster:
			t.Errorf("ON CLUSTER in a Replicated database: %s", sql)
		case ddlRe.MatchString(sql) && !caps.ReplicatedDatabase && !onCluster:
			t.Errorf("table DDL on one node only: %s", sql)
		}
		if isCTAS(sql) {
			t.Errorf("CREATE TABLE ... AS SELECT runs its SELECT on every node: %s", sql)
		}
		if ddlRe.MatchString(sql) && externalRe.MatchString(sql) {
			t.Errorf("DDL, which runs on every node (and goes through the DDL queue), reads external data: %s", sql)
		}
		if m := engineRe.FindStringSubmatch(sql); m != nil && strings.HasPrefix(sql, "CREATE") && !strings.HasPrefix(m[1], "Replicated") {
			t.Errorf("engine %s keeps its rows on one node: %s", m[1], sql)
		}
		if strings.Contains(sql, " REPLACE PARTITION ") || strings.Contains(sql, " DROP PARTITION ") {
			if !strings.Contains(sql, "alter_sync = 2") {
				t.Errorf("a partition change must wait for every replica: %s", sql)
			}
		}
		if strings.Contains(sql, " DELETE WHERE ") && !strings.Contains(sql, "mutations_sync = 2") {
			t.Errorf("a mutation must wait for every replica: %s", sql)
		}
		table := ""
		if m := insertRe.FindStringSubmatch(sql); m != nil {
			table = m[1]
			if !strings.Contains(sql, "insert_deduplicate = 0") {
				t.Errorf("an INSERT into a replicated table without insert_deduplicate = 0 may lose rows: %s", sql)
			}
		} else if s.upload {
			table = regexp.MustCompile("`[^`]+`\\.`[^`]+`").FindString(sql)
		}
		if table == "" {
			continue
		}
		want := "SYSTEM SYNC REPLICA ON CLUSTER `main` " + table + " LIGHTWEIGHT"
		if i+1 >= len(stmts) || stmts[i+1].sql != want {
			next := "(nothing)"
			if i+1 < len(stmts) {
				next = stmts[i+1].sql
			}
			t.Errorf("a write to %s is not followed by the wait for every replica:\n%s\nthen:\n%s", table, sql, next)
		}
	}
}

// TestClusterShardedRefused: on a sharded target every CDC kind stops before touching the
// warehouse, naming the model and what to use instead.
func TestClusterShardedRefused(t *testing.T) {
	for _, c := range []struct {
		m    materialize.Materialization
		kind string
	}{{Staging{}, "staging"}, {Fact{}, "fact"}, {SCD2{}, "scd2"}} {
		node := goldenNode("orders_"+c.kind, c.kind, "id")
		in := materialize.Input{Node: node, Suffix: "x", Caps: shardedCaps, Prepared: &LoadBatch{Columns: usersCols}}
		_, err := c.m.Plan(in)
		for _, e := range []error{err, c.m.(materialize.Preparer).Prepare(context.Background(), nil, &in, materialize.PrepareEnv{})} {
			if e == nil || !strings.Contains(e.Error(), node.UniqueID) || !strings.Contains(e.Error(), "a "+c.kind+" model cannot run on a sharded cluster target") ||
				!strings.Contains(e.Error(), "use cluster_mode: replicated") {
				t.Errorf("%s on a sharded target: %v", c.kind, e)
			}
		}
	}
}
