package materialize

import (
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

func TestNormKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"(event_date, user_id, event_timestamp)", "event_date,user_id,event_timestamp"},
		{"event_date, user_id, event_timestamp", "event_date,user_id,event_timestamp"}, // system.tables' form
		{"(`a`, b)", "a,b"},
		{"((a))", "a"},
		{"(a)", "a"},
		{"tuple()", ""},
		{"", ""},
		{"(a, b), (c)", "(a,b),(c)"}, // the outer parentheses do not wrap the whole
		{"toDate( x ), `w c`, `b`", "toDate(x),`w c`,b"},
		{"(concat(a, ' ) x'), b)", "concat(a,' ) x'),b"}, // a literal's parenthesis and spaces stay
		{"`a``b`", "`a``b`"},
		{"b % 2", "b%2"},
		{"(a, /* why */ b) -- note", "a,b"},
		{"(\"a\", b", "(a,b"}, // unbalanced: no outer parentheses to drop
	} {
		if got := NormKey(tc.in); got != tc.want {
			t.Errorf("NormKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestKeyDriftAndWarning(t *testing.T) {
	st := State{Kind: Table, Engine: "ReplicatedMergeTree", Keys: TableKeyExprs{SortingKey: "event_date, event_timestamp", PartitionKey: "_load_seq", PrimaryKey: "event_date, event_timestamp"}}
	clauses := WithHave([]KeyClause{
		{Clause: ClauseEngine, Config: "engine", Want: "MergeTree"}, // a replicated target's own Replicated is no drift
		{Clause: ClauseOrderBy, Config: "order_by", Want: "(event_date, user_id, event_timestamp)"},
		{Clause: ClausePartitionBy, Config: "partition_by", Want: "(`_load_seq`)"},
		{Clause: ClausePrimaryKey, Config: "primary_key", Want: "(event_date)"},
	}, st)
	got := KeyDrift(clauses)
	if len(got) != 2 || got[0].Clause != ClauseOrderBy || got[1].Clause != ClausePrimaryKey {
		t.Fatalf("drift = %+v", got)
	}
	want := "order_by (event_date, user_id, event_timestamp) is not the existing table's ORDER BY (event_date, event_timestamp): " +
		"the table keeps its sort order until --full-refresh rebuilds it"
	if w := DriftWarning(got[0]); w != want {
		t.Errorf("warning = %q\nwant      %q", w, want)
	}
	if d := KeyDrift(WithHave([]KeyClause{{Clause: ClauseEngine, Config: "engine", Want: "ReplacingMergeTree"}}, st)); len(d) != 1 {
		t.Errorf("engine drift = %+v", d)
	}
	if w := DriftWarning(KeyClause{Clause: ClausePartitionBy, Config: "partition_by", Want: "", Have: "toYYYYMM(d)"}); !strings.Contains(w, "partition_by none is not") {
		t.Errorf("no partition_by: %q", w)
	}
}

func TestIncrementalKeyClauses(t *testing.T) {
	n := &manifest.Node{Config: manifest.Config{Materialized: "incremental", OrderBy: "(a, b)", PartitionBy: "b % 2"}}
	got, err := IncrementalMaterialization{}.KeyClauses(n, warehouse.Capabilities{})
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, c := range got {
		texts = append(texts, c.Clause+"="+c.Want)
	}
	// No primary_key: the primary key is the sorting key, whose change is told once.
	if s := strings.Join(texts, "; "); s != "ENGINE=MergeTree; ORDER BY=(a, b); PARTITION BY=b % 2" {
		t.Errorf("clauses = %s", s)
	}
	n.Config.PrimaryKey, n.Config.OrderBy = "a", ""
	got, _ = IncrementalMaterialization{}.KeyClauses(n, warehouse.Capabilities{})
	if len(got) != 4 || got[1].Want != "tuple()" || got[3].Want != "a" {
		t.Errorf("clauses = %+v", got)
	}
	if got, _ := (IncrementalMaterialization{}).KeyClauses(n, warehouse.Capabilities{Cluster: "c"}); got != nil {
		t.Errorf("a cluster's Distributed relation has no keys to compare: %+v", got)
	}
	n.Config.Engine = "Log"
	if got, _ := (IncrementalMaterialization{}).KeyClauses(n, warehouse.Capabilities{}); len(got) != 1 || got[0].Want != "Log" {
		t.Errorf("a Log table has only its engine: %+v", got)
	}
}
