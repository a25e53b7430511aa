package dtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/runner"
)

const scd2Cols = "'id UInt32, valid_from DateTime, valid_to DateTime, is_current Bool, version UInt32'"

// builtinCases give each built-in test a relation it passes on and a deliberately broken one.
// column is empty for model-level tests; test is the YAML list item.
var builtinCases = []struct {
	name, column, test, good, bad string
}{
	{"not_null", "id", "not_null",
		"select toNullable(1) as id", "select CAST(NULL AS Nullable(Int32)) as id"},
	{"unique", "id", "unique",
		"select * from values('id Int32', 1, 2)", "select * from values('id Int32', 1, 1)"},
	// NULLs are not keys (dbt's unique), so two of them pass; the hash pass must not hide the
	// repeated string.
	{"unique_nullable", "id", "unique",
		"select * from values('id Nullable(String)', 'a', NULL, NULL, 'b')", "select * from values('id Nullable(String)', 'a', NULL, 'b', 'a')"},
	{"accepted_values", "id", "accepted_values: {values: [a, b]}",
		"select * from values('id String', 'a', 'b')", "select * from values('id String', 'a', 'c')"},
	{"relationships", "id", "relationships: {to: ref('parent'), field: id}",
		"select 1 as id", "select 3 as id"},
	{"accepted_range", "id", "accepted_range: {min: 0, max: 10}",
		"select * from values('id Int32', 0, 10)", "select * from values('id Int32', 0, 11)"},
	{"expression_is_true", "", `expression_is_true: {expression: "id > 0"}`,
		"select 1 as id", "select 0 as id"},
	{"unique_combination", "", "unique_combination: {columns: [id, k]}",
		"select * from values('id Int32, k Int32', (1, 1), (1, 2))", "select * from values('id Int32, k Int32', (1, 1), (1, 1))"},
	{"unique_combination_of_columns", "", "dbt_utils.unique_combination_of_columns: {combination_of_columns: [id, k]}",
		"select * from values('id Int32, k Int32', (1, 1), (2, 1))", "select * from values('id Int32, k Int32', (2, 1), (2, 1))"},
	// In a combination NULL is a value like any other, as in a GROUP BY: (NULL, 1) twice is a
	// duplicate, (NULL, 1) and (0, 1) are not.
	{"unique_combination_nulls", "", "dbt_utils.unique_combination_of_columns: {combination_of_columns: [id, k]}",
		"select * from values('id Nullable(Int32), k Int32', (NULL, 1), (0, 1))", "select * from values('id Nullable(Int32), k Int32', (NULL, 1), (NULL, 1), (0, 1))"},
	{"row_count", "", "row_count: {min: 2}",
		"select * from values('id Int32', 1, 2)", "select 1 as id"},
	{"not_empty", "", "not_empty",
		"select 1 as id", "select 1 as id where 0"},
	{"scd2_one_current_per_key", "", "scd2_one_current_per_key: {key: id}",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-02-01', false, 1), (1, '2024-02-01', '2100-01-01', true, 2))",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2100-01-01', true, 1), (1, '2024-02-01', '2100-01-01', true, 2))"},
	{"scd2_no_overlaps", "", "scd2_no_overlaps: {key: id}",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-02-01', false, 1), (1, '2024-02-01', '2100-01-01', true, 2), (2, '2024-01-05', '2100-01-01', true, 1))",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-03-01', false, 1), (1, '2024-02-01', '2100-01-01', true, 2))"},
	{"scd2_no_overlaps_gap", "", "scd2_no_overlaps: {key: id}",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-02-01', false, 1), (1, '2024-02-01', '2100-01-01', true, 2))",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-01-15', false, 1), (1, '2024-02-01', '2100-01-01', true, 2))"},
	{"scd2_version_sequence", "", "scd2_version_sequence: {key: id}",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-02-01', false, 1), (1, '2024-02-01', '2100-01-01', true, 2))",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-02-01', true, 1), (1, '2024-02-01', '2100-01-01', true, 3))"},
	{"scd2_version_sequence_open", "", "scd2_version_sequence: {key: id}",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2100-01-01', true, 1))",
		"select * from values(" + scd2Cols + ", (1, '2024-01-01', '2024-06-01', true, 1))"},
}

// TestBuiltinsPassAndFail runs every built-in test on good data (PASS) and on broken data (FAIL
// with failing rows), in one project so the engine is exercised the way dwm build uses it.
func TestBuiltinsPassAndFail(t *testing.T) {
	files := map[string]string{"models/parent.sql": "select * from values('id Int32', 1, 2)"}
	var yml strings.Builder
	yml.WriteString("version: 2\nmodels:\n")
	for _, c := range builtinCases {
		for _, v := range []struct{ suffix, sql string }{{"good", c.good}, {"bad", c.bad}} {
			model := c.name + "_" + v.suffix
			files["models/"+model+".sql"] = `{{ config "materialized" "table" }}` + "\n" + v.sql
			if c.column == "" {
				fmt.Fprintf(&yml, "  - name: %s\n    tests:\n      - %s\n", model, c.test)
			} else {
				fmt.Fprintf(&yml, "  - name: %s\n    columns:\n      - name: %s\n        tests:\n          - %s\n", model, c.column, c.test)
			}
		}
	}
	files["models/schema.yml"] = yml.String()
	s := openProject(t, "dtest_builtins", files)
	results := build(t, s, Options{})
	for _, c := range builtinCases {
		t.Run(c.name, func(t *testing.T) {
			testName := strings.TrimPrefix(strings.SplitN(c.test, ":", 2)[0], "dbt_utils.")
			if strings.HasPrefix(c.name, "scd2_") || c.name == "row_count" || c.name == "not_empty" {
				testName = strings.SplitN(c.test, ":", 2)[0]
			}
			good := byPrefix(t, results, testName+"_"+c.name+"_good")
			bad := byPrefix(t, results, testName+"_"+c.name+"_bad")
			if good.Status != runner.Pass {
				t.Errorf("good data: status %s, want pass: %s", good.Status, good.Message)
			}
			if bad.Status != runner.Fail || bad.Failures < 1 {
				t.Errorf("broken data: status %s with %d failures, want fail: %s", bad.Status, bad.Failures, bad.Message)
			}
		})
	}
}
