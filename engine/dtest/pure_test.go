package dtest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
)

func TestFixtureSQL(t *testing.T) {
	f := Fixture{
		Columns: []string{"id", "name", "at"},
		Rows: []map[string]any{
			{"id": 1, "name": "o'neil", "at": time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
			{"id": 2, "name": nil},
		},
	}
	got, err := f.SQL()
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT CAST(1 AS Int64) AS `id`, CAST('o\\'neil' AS Nullable(String)) AS `name`, CAST('2024-01-02' AS Date) AS `at`\n" +
		"UNION ALL\n" +
		"SELECT CAST(2 AS Int64) AS `id`, CAST(NULL AS Nullable(String)) AS `name`, defaultValueOfTypeName('Date') AS `at`"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Known types win; columns left out get the type's default; an unknown column is an error.
	typed := Fixture{Columns: []string{"id"}, Rows: []map[string]any{{"id": "7"}}, Types: map[string]string{"id": "UInt32", "n": "Int8"}, TypedColumns: []string{"id", "n"}}
	if got, _ := typed.SQL(); got != "SELECT CAST('7' AS UInt32) AS `id`, defaultValueOfTypeName('Int8') AS `n`" {
		t.Errorf("typed: %s", got)
	}
	if _, err := (Fixture{Columns: []string{"x"}, Rows: []map[string]any{{"x": 1}}, TypedColumns: []string{"id"}}).SQL(); err == nil || !strings.Contains(err.Error(), `"x" is not a column`) {
		t.Errorf("unknown column: %v", err)
	}
	empty := Fixture{Types: map[string]string{"id": "UInt32"}, TypedColumns: []string{"id"}}
	if got, _ := empty.SQL(); got != "SELECT defaultValueOfTypeName('UInt32') AS `id` LIMIT 0" {
		t.Errorf("empty: %s", got)
	}
}

func TestInferTypeFromCSVText(t *testing.T) {
	rows := []map[string]any{{"a": "1", "b": "1.5", "c": "x"}, {"a": "2", "b": "2", "c": "3"}}
	for col, want := range map[string]string{"a": "Int64", "b": "Float64", "c": "String"} {
		if got := inferType(col, rows); got != want {
			t.Errorf("%s: %s, want %s", col, got, want)
		}
	}
}

func TestDiffRows(t *testing.T) {
	d := DiffRows([]string{"id", "v"},
		[][]string{{"1", "a"}, {"2", "b"}, {"2", "b"}},
		[][]string{{"2", "b"}, {"1", "a"}, {"3", "c"}})
	if !reflect.DeepEqual(d.Missing, [][]string{{"2", "b"}}) || !reflect.DeepEqual(d.Unexpected, [][]string{{"3", "c"}}) {
		t.Fatalf("diff = %+v", d)
	}
	want := "actual differs from expected (- expected but missing, + returned but not expected):\n  id | v\n- 2  | b\n+ 3  | c"
	if d.String() != want {
		t.Errorf("got\n%s\nwant\n%s", d, want)
	}
	if !DiffRows(nil, [][]string{{"1"}}, [][]string{{"1"}}).Empty() {
		t.Error("equal rows differ")
	}
}

type fakeDescendants map[string][]string

func (f fakeDescendants) Descendants(id string, _ int) []string { return f[id] }

func TestBuildPlan(t *testing.T) {
	test := func(id, on string, deps ...string) *manifest.Node {
		return &manifest.Node{UniqueID: id, ResourceType: manifest.Test, DependsOn: deps, Test: &manifest.TestInfo{AttachedTo: on}}
	}
	m := &manifest.Manifest{Nodes: map[string]*manifest.Node{
		"a":    {UniqueID: "a", ResourceType: manifest.Model},
		"b":    {UniqueID: "b", ResourceType: manifest.Model},
		"c":    {UniqueID: "c", ResourceType: manifest.Model},
		"t_a":  test("t_a", "a", "a"),
		"t_ac": test("t_ac", "a", "a", "c"), // relationships from a to c, a descendant of b
		"u_b":  {UniqueID: "u_b", ResourceType: manifest.UnitTest, DependsOn: []string{"b"}, Test: &manifest.TestInfo{AttachedTo: "b"}},
	}}
	in := runner.Plan{
		Order: []string{"a", "t_a", "b", "u_b", "c", "t_ac"},
		Deps:  map[string][]string{"t_a": {"a"}, "b": {"a"}, "u_b": {"b"}, "c": {"b"}, "t_ac": {"a", "c"}},
	}
	got := BuildPlan(m, fakeDescendants{"b": {"c", "t_ac"}, "c": {"t_ac"}})(in)
	want := map[string][]string{"t_a": {"a"}, "b": {"a", "t_a", "u_b"}, "u_b": {"a"}, "c": {"b"}, "t_ac": {"a", "c"}}
	if !reflect.DeepEqual(got.Deps, want) {
		t.Errorf("deps = %v\nwant   %v", got.Deps, want)
	}
	if !reflect.DeepEqual(got.Order, []string{"a", "t_a", "u_b", "b", "c", "t_ac"}) {
		t.Errorf("order = %v", got.Order)
	}
}

// TestBuildPlanPIIErasedWaitsForSubjects: the pii_erased test of a model beside the subject waits
// for the subject (whose build erases upstream deletions everywhere); the one of the subject's
// own upstream model does not (that would be a cycle: the subject waits for its parent's tests).
func TestBuildPlanPIIErasedWaitsForSubjects(t *testing.T) {
	pii := func(id, on string) *manifest.Node {
		return &manifest.Node{UniqueID: id, ResourceType: manifest.Test, DependsOn: []string{on}, Test: &manifest.TestInfo{AttachedTo: on, Name: "pii_erased"}}
	}
	m := &manifest.Manifest{Nodes: map[string]*manifest.Node{
		"stg":    {UniqueID: "stg", ResourceType: manifest.Model},
		"users":  {UniqueID: "users", ResourceType: manifest.Model, Meta: map[string]any{"pii_subject": true}},
		"events": {UniqueID: "events", ResourceType: manifest.Model},
		"p_stg":  pii("p_stg", "stg"),
		"p_ev":   pii("p_ev", "events"),
		"p_u":    pii("p_u", "users"),
	}}
	in := runner.Plan{
		Order: []string{"events", "p_ev", "stg", "p_stg", "users", "p_u"},
		Deps:  map[string][]string{"p_ev": {"events"}, "p_stg": {"stg"}, "users": {"stg"}, "p_u": {"users"}},
	}
	got := BuildPlan(m, fakeDescendants{"stg": {"users", "p_u"}})(in)
	want := map[string][]string{"p_ev": {"events", "users"}, "p_stg": {"stg"}, "users": {"p_stg", "stg"}, "p_u": {"users"}}
	if !reflect.DeepEqual(got.Deps, want) {
		t.Errorf("deps = %v\nwant   %v", got.Deps, want)
	}
}
