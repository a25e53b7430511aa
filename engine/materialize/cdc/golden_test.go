package cdc

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/internal/golden"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/engine/warehouse"
)

var (
	chdbCaps  = warehouse.Capabilities{Kind: "chdb", ReadsLocalFiles: true, ExchangeTables: true}
	usersCols = []warehouse.Column{{Name: "op", Type: "String"}, {Name: "user_id", Type: "UInt64"},
		{Name: "tier", Type: "Nullable(UInt8)"}, {Name: "cdc_timestamp", Type: "DateTime"}}
	twoFiles = []File{{Path: "data/cdc/w002/users.csv", Abs: "/p/data/cdc/w002/users.csv", SHA256: "aa", Seq: 2},
		{Path: "data/cdc/w003/users.csv", Abs: "/p/data/cdc/w003/users.csv", SHA256: "bb", Seq: 3}}
)

func goldenNode(name, materialized string, keys ...string) *manifest.Node {
	return &manifest.Node{UniqueID: "model.p." + name, Name: name, ResourceType: manifest.Model, Database: "dw", Alias: name,
		Refs:   []string{"users_staging"},
		Config: manifest.Config{Enabled: true, Materialized: materialized, UniqueKey: keys, Raw: map[string]any{"dedupe_scope": "event_date"}}}
}

// goldenCase is one plan pinned in testdata; in.Caps left empty means the embedded engine.
type goldenCase struct {
	name string
	m    materialize.Materialization
	node *manifest.Node
	in   materialize.Input
}

// planCases are the plans the golden tests pin, on the embedded engine unless a case says.
func planCases(t *testing.T) []goldenCase {
	t.Helper()
	stagingTable := materialize.State{Kind: materialize.Table, Engine: "MergeTree", Columns: targetColumns(usersCols, loadSpec{processed: true})}
	eventCols := []warehouse.Column{{Name: "event_id", Type: "String"}, {Name: "event_date", Type: "Date"}, {Name: "payload", Type: "String"}}
	scd2Cols := append(append([]warehouse.Column{}, usersCols...), warehouse.Column{Name: "processed", Type: "Bool"},
		warehouse.Column{Name: "_row", Type: "UInt64"}, warehouse.Column{Name: "_load_seq", Type: "UInt64"})
	stagingRel := materialize.Relation{Database: "dw", Name: "users_staging"}
	scd2Batch := &SCD2Batch{Columns: scd2Cols, Format: formatDwm, SourceSystem: "users_staging", Committed: 4,
		Staging: &StagingBatches{Relation: stagingRel, LastSeq: 1, Files: []StagedFile{{Seq: 2, Path: "data/cdc/w002/users.csv", SHA256: "aa"},
			{Seq: 3, Path: "data/cdc/w003/users.csv", SHA256: "bb"}}}}
	peerdbCols := []warehouse.Column{{Name: "user_id", Type: "Int64"}, {Name: "tier", Type: "Nullable(Int16)"}, {Name: "cdc_timestamp", Type: "DateTime"},
		{Name: "_peerdb_synced_at", Type: "DateTime64(9)"}, {Name: "_peerdb_is_deleted", Type: "Int8"}, {Name: "_peerdb_version", Type: "Int64"}}
	cursorBatch := &SCD2Batch{Columns: peerdbCols, Format: formatPeerDB, SourceSystem: "peerdb.users", Committed: 2,
		Cursor: &CursorBatch{Column: "_peerdb_version", Type: "Int64", From: "1700", To: "2500", New: 30, Below: 12, Recorded: 11}}
	store, err := objstore.New(objstore.Config{Endpoint: "http://127.0.0.1:9000", AccessKeyID: "k", SecretAccessKey: "s"})
	if err != nil {
		t.Fatal(err)
	}
	obj := objstore.Location{Bucket: "lake", Key: "cdc/w002/users.csv"}
	objects := []File{{Path: obj.String(), Object: &obj, ETag: `"9b2cf535f27731c974343645a3985328"`, Size: 1234, Seq: 2}}
	serverCaps := warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true}
	clusterCaps := warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true}
	return []goldenCase{
		{"staging_objects_op", Staging{}, goldenNode("users_staging", "staging"),
			materialize.Input{State: stagingTable, Prepared: &LoadBatch{Columns: usersCols, Files: objects, LastSeq: 1, Op: "op", Store: store}}},
		{"fact_objects_cluster", Fact{}, goldenNode("event_stream", "fact", "event_id"), materialize.Input{Caps: clusterCaps,
			Prepared: &LoadBatch{Columns: eventCols, Files: objects, LastSeq: 1, Store: store}}},
		{"staging_streamed", Staging{}, goldenNode("users_staging", "staging"),
			materialize.Input{Caps: serverCaps, State: stagingTable, Prepared: &LoadBatch{Columns: usersCols, Files: twoFiles[:1], LastSeq: 1}}},
		{"staging_json_fresh", Staging{}, goldenNode("manifests", "staging"), materialize.Input{State: materialize.State{Kind: materialize.Table},
			Prepared: &LoadBatch{Columns: []warehouse.Column{{Name: "json", Type: "String"}}, Format: FormatJSON, Files: twoFiles[:1]}}},
		{"staging_two_files", Staging{}, goldenNode("users_staging", "staging"),
			materialize.Input{State: stagingTable, Prepared: &LoadBatch{Columns: usersCols, Files: twoFiles, LastSeq: 1}}},
		{"staging_full_refresh", Staging{}, goldenNode("users_staging", "staging"),
			materialize.Input{State: stagingTable, FullRefresh: true, Prepared: &LoadBatch{Columns: usersCols, Files: twoFiles[:1]}}},
		{"fact_rules", Fact{}, goldenNode("event_stream", "fact", "event_id"),
			materialize.Input{Prepared: &LoadBatch{Columns: eventCols, Files: twoFiles[:1], LastSeq: 1,
				Rules: []Rule{{When: "NOT isValidJSON(payload)", Reason: "bad JSON"}}}}},
		{"scd2_two_batches", SCD2{}, goldenNode("users", "scd2", "user_id"),
			materialize.Input{State: materialize.State{Kind: materialize.View}, SQL: "select * from `dw`.`users_staging`", Prepared: scd2Batch}},
		{"scd2_full_refresh", SCD2{}, goldenNode("users", "scd2", "user_id"),
			materialize.Input{FullRefresh: true, SQL: "select * from `dw`.`users_staging`",
				Prepared: &SCD2Batch{Columns: scd2Cols, Format: formatDwm, SourceSystem: "users_staging",
					Staging: &StagingBatches{Relation: stagingRel, Files: []StagedFile{{Seq: 1, Path: "data/cdc/w001/users.csv", SHA256: "cc"}}}}}},
		{"fact_relation_late_check", Fact{}, goldenNode("event_stream", "fact", "event_id"),
			materialize.Input{SQL: "select * from `kafka`.`events`", Prepared: &FactRelationBatch{Columns: append(eventCols[:3:3], warehouse.Column{Name: "_offset", Type: "Int64"}), Committed: 3,
				Cursor: &CursorBatch{Column: "_offset", Type: "Int64", From: "99", To: "120", New: 21, Below: 101, Recorded: 100},
				Rules:  []Rule{{When: "NOT isValidJSON(payload)", Reason: "bad JSON"}}}}},
		{"scd2_cursor_late_check", SCD2{}, goldenNode("users", "scd2", "user_id"),
			materialize.Input{State: materialize.State{Kind: materialize.View}, SQL: "select * from `peerdb`.`users`", Prepared: cursorBatch}},
	}
}

func TestPlanGolden(t *testing.T) {
	for _, c := range planCases(t) {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.Node, in.Suffix = c.node, "x1"
			if in.Caps.Kind == "" {
				in.Caps = chdbCaps
			}
			steps, err := c.m.Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name, render(t, steps))
			again, _ := c.m.Plan(in)
			if render(t, again) != render(t, steps) {
				t.Error("Plan is not deterministic")
			}
			if _, isLoad := c.m.(interface {
				Prepare(context.Context, warehouse.Warehouse, *materialize.Input, materialize.PrepareEnv) error
			}); isLoad {
				for _, s := range steps {
					if isCTAS(s.SQL) {
						t.Errorf("%s: CREATE TABLE ... AS SELECT leaves a _tmp_replace_ table no run can claim when killed:\n%s", s.Purpose, s.SQL)
					}
				}
			}
		})
	}
}

// ctas matches CREATE TABLE ... AS SELECT that fills the table in the same statement (EMPTY AS
// creates it empty). ClickHouse 26 runs such a statement into _tmp_replace_<hash>_<random> and
// renames at the end: killed in between, that table stays, under a name no later run can tie to
// dwm (the hash is of the random temporary name).
var ctas = regexp.MustCompile(`(?s)^CREATE TABLE [^(]*?(\bEMPTY )?AS (SELECT|\()`)

func isCTAS(sql string) bool {
	m := ctas.FindStringSubmatch(sql)
	return m != nil && m[1] == ""
}

func TestPlanErrors(t *testing.T) {
	changed := materialize.State{Kind: materialize.Table, Columns: []warehouse.Column{{Name: "op", Type: "String"}}}
	stg := goldenNode("users_staging", "staging")
	if _, err := (Staging{}).Plan(materialize.Input{Node: stg, Suffix: "x", State: changed, Caps: chdbCaps,
		Prepared: &LoadBatch{Columns: usersCols, LastSeq: 1, Files: twoFiles}}); err == nil || !strings.Contains(err.Error(), "--full-refresh") ||
		!strings.Contains(err.Error(), "data/cdc/w002/users.csv") || !strings.Contains(err.Error(), "adds user_id UInt64") {
		t.Errorf("changed columns: %v", err)
	}
	if _, err := (Fact{}).Plan(materialize.Input{Node: goldenNode("e", "fact"), Suffix: "x", Prepared: &LoadBatch{Columns: usersCols}}); err == nil ||
		!strings.Contains(err.Error(), "unique_key") {
		t.Errorf("fact without unique_key: %v", err)
	}
	b := &SCD2Batch{Columns: usersCols, Format: formatDwm, Staging: &StagingBatches{}}
	if _, err := (SCD2{}).Plan(materialize.Input{Node: goldenNode("users", "scd2", "user_id"), Suffix: "x", Prepared: b}); err == nil ||
		!strings.Contains(err.Error(), "_load_seq") {
		t.Errorf("scd2 without _load_seq: %v", err)
	}
	if _, err := (Staging{}).Plan(materialize.Input{Node: stg, Suffix: "x"}); err == nil || !strings.Contains(err.Error(), "Prepare") {
		t.Errorf("unprepared: %v", err)
	}
}

func TestTypedConversion(t *testing.T) {
	for _, c := range []struct{ typ, typed, fail string }{
		{"String", "_r0", ""},
		{"Nullable(String)", "if(_r0 = '', NULL, _r0)", ""},
		{"UInt8", "accurateCastOrNull(_r0, 'UInt8')", "x IS NULL"},
		{"Nullable(Date)", "if(_r0 = '', NULL, accurateCastOrNull(_r0, 'Date'))", "_r0 != '' AND (x IS NULL OR NOT startsWith(toString(x), _r0))"},
	} {
		if got := typedExpr("_r0", c.typ); got != c.typed {
			t.Errorf("typedExpr(%s) = %s, want %s", c.typ, got, c.typed)
		}
		if got := failExpr("_r0", "x", c.typ); got != c.fail {
			t.Errorf("failExpr(%s) = %s, want %s", c.typ, got, c.fail)
		}
	}
}

func render(t *testing.T, steps []materialize.Step) string {
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
		out, err := s.Expand(sampleRows(s.SQL))
		if err != nil {
			t.Fatalf("expand %q: %v", s.Purpose, err)
		}
		b.WriteString("-- expands, for sample rows, to:\n")
		for _, sql := range out {
			b.WriteString(sql + ";\n")
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, *update, name, got)
}

func TestIsCTAS(t *testing.T) {
	for sql, want := range map[string]bool{
		"CREATE TABLE `d`.`t` ENGINE = MergeTree ORDER BY _row AS SELECT _row FROM x":       true, // what loads did before
		"CREATE TABLE `d`.`t` ENGINE = MergeTree ORDER BY _row EMPTY AS SELECT _row FROM x": false,
		"CREATE TABLE `d`.`t` AS `d`.`target`":                                              false,
		"CREATE TABLE IF NOT EXISTS `d`.`t` (a UInt8) ENGINE = MergeTree ORDER BY a":        false,
	} {
		if got := isCTAS(sql); got != want {
			t.Errorf("isCTAS(%q) = %v", sql, got)
		}
	}
}

// sampleRows is the result an expanding step's query is given in golden files.
func sampleRows(sql string) *warehouse.Result {
	switch {
	case strings.Contains(sql, "NOT processed"), strings.Contains(sql, "min(processed)"):
		return &warehouse.Result{Rows: [][]any{{"7"}}}
	case strings.Contains(sql, "AS superseded"):
		return &warehouse.Result{Rows: [][]any{{"9", "8", "5", "2", "1", "1"}}}
	case strings.Contains(sql, "AS quarantined"):
		return &warehouse.Result{Rows: [][]any{{"9", "8", "6", "2", "1"}}}
	case strings.Contains(sql, "system.tables"):
		return &warehouse.Result{Rows: [][]any{{"__dwm_tmp_x_crashed"}}}
	}
	return &warehouse.Result{Rows: [][]any{{"7"}, {"8-1"}}}
}
