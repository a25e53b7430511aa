package contract

import (
	"errors"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

func TestCheck(t *testing.T) {
	cols := []manifest.Column{
		{Name: "id", DataType: "UInt64", Constraints: []string{"not_null"}},
		{Name: "name", DataType: "String"},
		{Name: "gone", DataType: "Date"},
		{Name: "note"},
	}
	declared := map[string]string{"id": "UInt64", "name": "String", "gone": "Date"}
	actual := []Column{{"id", "Nullable(UInt64)"}, {"name", "String"}, {"note", "String"}, {"extra", "UInt8"}}
	err := Check("m", cols, declared, actual)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a contract error, got %v", err)
	}
	want := []string{
		"id: data type mismatch (declared UInt64, actual Nullable(UInt64))",
		"id: constraint not_null, but the SQL's type is Nullable (declared UInt64, actual Nullable(UInt64))",
		"gone: missing from the SQL (declared Date, actual -)",
		"note: no data_type in the contract (an enforced contract needs one per column) (declared -, actual String)",
		"extra: not in the contract (declared -, actual UInt8)",
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%s", w, err)
		}
	}
	if len(ce.Mismatches) != len(want) {
		t.Errorf("%d mismatches, want %d:\n%s", len(ce.Mismatches), len(want), err)
	}
	ok := []Column{{"id", "UInt64"}, {"name", "String"}}
	if err := Check("m", cols[:2], declared, ok); err != nil {
		t.Errorf("a met contract failed: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	cols := []manifest.Column{{Name: "a", DataType: "UInt64"}, {Name: "b", DataType: "String"}, {Name: "c"}}
	got := Warnings(cols, map[string]string{"a": "UInt64", "b": "String"}, []Column{{"a", "Int64"}, {"b", "String"}, {"c", "Date"}})
	if len(got) != 1 || !strings.Contains(got[0], "column a: declared data_type UInt64, built Int64") {
		t.Errorf("warnings = %q", got)
	}
}

func TestNullable(t *testing.T) {
	for typ, want := range map[string]bool{"Nullable(String)": true, "LowCardinality(Nullable(String))": true, "String": false, "Array(Nullable(UInt8))": false} {
		if Nullable(typ) != want {
			t.Errorf("Nullable(%q) = %v", typ, !want)
		}
	}
}
