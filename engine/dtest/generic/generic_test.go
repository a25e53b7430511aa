package generic

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestBuildersGolden pins the SQL of every built-in test; run with -update after a deliberate change.
func TestBuildersGolden(t *testing.T) {
	m := "`db`.`t`"
	cases := []struct {
		name, test string
		in         Input
	}{
		{"not_null", "not_null", Input{Model: m, Column: "id"}},
		{"unique", "unique", Input{Model: m, Column: "id"}},
		{"unique_expression", "unique", Input{Model: m, Column: "lower(email)"}},
		{"accepted_values", "accepted_values", Input{Model: m, Column: "tier", Args: map[string]any{"values": []any{"gold", "o'brien"}}}},
		{"accepted_values_unquoted", "accepted_values", Input{Model: m, Column: "n", Args: map[string]any{"values": []any{1, 2}, "quote": false}}},
		{"relationships", "relationships", Input{Model: m, Column: "customer_id", Args: map[string]any{"field": "id"}, To: "`db`.`customers`"}},
		{"accepted_range", "accepted_range", Input{Model: m, Column: "amount", Args: map[string]any{"min": 0, "max": 10}}},
		{"accepted_range_exclusive", "accepted_range", Input{Model: m, Column: "amount", Args: map[string]any{"min_value": 0, "inclusive": false}}},
		{"expression_is_true", "expression_is_true", Input{Model: m, Args: map[string]any{"expression": "a + b = c"}}},
		{"expression_is_true_column", "expression_is_true", Input{Model: m, Column: "a", Args: map[string]any{"expression": ">= 0"}}},
		{"unique_combination", "unique_combination", Input{Model: m, Args: map[string]any{"columns": []any{"a", "b"}}}},
		{"unique_combination_of_columns", "unique_combination_of_columns", Input{Model: m, Args: map[string]any{"combination_of_columns": []any{"a", "b"}}}},
		{"row_count", "row_count", Input{Model: m, Args: map[string]any{"min": 1, "max": 100}}},
		{"not_empty", "not_empty", Input{Model: m}},
		{"scd2_one_current_per_key", "scd2_one_current_per_key", Input{Model: m, Args: map[string]any{"key": "id"}}},
		{"scd2_no_overlaps", "scd2_no_overlaps", Input{Model: m, Args: map[string]any{"key": []any{"a", "b"}}}},
		{"scd2_version_sequence", "scd2_version_sequence", Input{Model: m, Args: map[string]any{"key": "id"}}},
		{"scd2_version_sequence_custom", "scd2_version_sequence", Input{Model: m, Args: map[string]any{"key": "id", "valid_from": "start", "valid_to": "stop", "is_current": "cur", "version": "v", "open_valid_to": "toDateTime64('9999-12-31', 3)"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, ok := Lookup(c.test)
			if !ok {
				t.Fatalf("no built-in %s", c.test)
			}
			got, err := d.Build(c.in)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got+"\n" != string(want) {
				t.Errorf("SQL differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

func TestCheckArgs(t *testing.T) {
	cases := []struct {
		test, column string
		args         map[string]any
		err          string
	}{
		{"not_null", "id", nil, ""},
		{"not_null", "", nil, "tests a column"},
		{"not_null", "id", map[string]any{"x": 1}, `takes no arguments, got "x"`},
		{"accepted_values", "id", map[string]any{}, `needs the argument "values"`},
		{"accepted_range", "id", map[string]any{"mx": 1}, `has no argument "mx"`},
		{"relationships", "id", map[string]any{"to": "ref('x')", "field": "id"}, ""},
		{"unique_combination", "", map[string]any{"columns": []any{"a"}}, ""},
	}
	for _, c := range cases {
		d, _ := Lookup(c.test)
		err := d.CheckArgs(c.args, c.column)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: unexpected %v", c.test, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: got %v, want %q", c.test, err, c.err)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	for name, in := range map[string]Input{
		"accepted_values":  {Model: "t", Column: "c", Args: map[string]any{"values": []any{}}},
		"accepted_range":   {Model: "t", Column: "c", Args: map[string]any{}},
		"row_count":        {Model: "t", Args: map[string]any{}},
		"scd2_no_overlaps": {Model: "t", Args: map[string]any{}},
	} {
		d, _ := Lookup(name)
		if _, err := d.Build(in); err == nil {
			t.Errorf("%s: want an error for %v", name, in.Args)
		}
	}
}

func TestCondition(t *testing.T) {
	cases := []struct {
		cond string
		n    int64
		want bool
	}{
		{"", 0, false}, {"", 3, true}, {"!=0", 1, true}, {">10", 10, false}, {">10", 11, true},
		{">=5", 5, true}, {"<2", 1, true}, {"=3", 3, true}, {"==3", 4, false}, {" <> 0 ", 0, false},
	}
	for _, c := range cases {
		got, err := ParseCondition(c.cond)
		if err != nil {
			t.Fatalf("%q: %v", c.cond, err)
		}
		if got.Holds(c.n) != c.want {
			t.Errorf("%q holds for %d = %v, want %v", c.cond, c.n, !c.want, c.want)
		}
	}
	for _, bad := range []string{"10", "> ten", ">>1"} {
		if _, err := ParseCondition(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestParseRelationArg(t *testing.T) {
	cases := map[string]RelationArg{
		"ref('customers')":           {Name: "customers"},
		`ref("customers")`:           {Name: "customers"},
		"customers":                  {Name: "customers"},
		"source('raw', 'users')":     {Source: "raw", Name: "users"},
		`{{ ref "customers" }}`:      {Name: "customers"},
		`{{ source "raw" "users" }}`: {Source: "raw", Name: "users"},
	}
	for in, want := range cases {
		got, err := ParseRelationArg(in)
		if err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := ParseRelationArg("select 1"); err == nil {
		t.Error("want an error for a query")
	}
}
