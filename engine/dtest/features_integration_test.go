package dtest

import (
	"context"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/runner"
)

var featureFiles = map[string]string{
	"models/orders.sql": `{{ config "materialized" "table" }}
select * from values('id UInt32, customer_id UInt32, amount Float64, status String',
  (1, 1, 5.0, 'paid'), (2, 1, 7.5, 'paid'), (3, 2, 20.0, 'refunded'), (4, 2, 30.0, 'refunded'))`,
	"models/totals.sql": `select customer_id, sum(amount) as total, count() as n from {{ ref "orders" }} group by customer_id`,
	"models/report.sql": `select * from {{ ref "totals" }}`,
	"tests/generic/below.sql": `{{ define "below" }}
select * from {{ .model }} where {{ .column_name }} >= {{ .threshold }}
{{ end }}`,
	"tests/no_big_orders.sql": `select * from {{ ref "orders" }} where amount > 100`,
	"models/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: amount
        tests:
          - below: {threshold: 25}
          - accepted_range:
              arguments: {max: 10}
              config: {where: "status = 'paid'"}
          - accepted_range:
              name: amount_small_warn
              max: 10
              severity: warn
          - accepted_range:
              name: amount_thresholds
              max: 1
              config: {warn_if: ">1", error_if: ">10"}
          - accepted_range:
              name: amount_limited
              max: 1
              config: {limit: 2, store_failures: true}
      - name: customer_idd
        tests: [not_null]
    tests:
      - expression_is_true: {expression: "no_such_function(id) > 0"}
unit_tests:
  - name: totals_add_up
    model: totals
    given:
      - input: ref('orders')
        rows:
          - {id: 1, customer_id: 7, amount: 2}
          - {id: 2, customer_id: 7, amount: 3.5}
    expect:
      rows:
        - {customer_id: 7, total: 5.5}
  - name: totals_wrong
    model: totals
    given:
      - input: ref('orders')
        format: csv
        rows: |
          id,customer_id,amount,status
          1,1,2,paid
          2,2,3,paid
    expect:
      rows:
        - {customer_id: 1, total: 2, n: 1}
        - {customer_id: 2, total: 4, n: 1}
`,
}

func TestFeatures(t *testing.T) {
	s := openProject(t, "dtest_features", featureFiles)
	results := build(t, s, Options{})
	want := map[string]runner.Status{
		"below_orders_amount":      runner.Fail, // 30 >= 25
		"accepted_range_orders":    runner.Pass, // only paid orders are tested
		"amount_small_warn":        runner.Warn,
		"amount_thresholds":        runner.Warn, // 4 failures: > 1 but not > 10
		"amount_limited":           runner.Fail,
		"not_null_orders_customer": runner.Error,
		"expression_is_true":       runner.Error,
		"no_big_orders":            runner.Pass,
		"totals_add_up":            runner.Pass,
		"totals_wrong":             runner.Fail,
		"orders":                   runner.Success,
		"totals":                   runner.Skipped, // its unit test failed
		"report":                   runner.Skipped,
	}
	for prefix, status := range want {
		r, exact := results[prefix]
		if !exact {
			r = byPrefix(t, results, prefix)
		}
		if r.Status != status {
			t.Errorf("%s: status %s, want %s (%s)", prefix, r.Status, status, r.Message)
		}
	}
	if r := byPrefix(t, results, "below_orders_amount"); r.Failures != 1 || !strings.Contains(r.Message, "30") || !strings.Contains(r.Message, "compiled SQL: target/compiled/dtest_features/models/schema.yml/below_orders_amount") {
		t.Errorf("custom generic test: want one failing row shown with its compiled SQL, got %d: %s", r.Failures, r.Message)
	}
	if r := byPrefix(t, results, "amount_limited"); r.Failures != 2 || !strings.Contains(r.Message, "`dtest_features_dbt_test__audit`.`amount_limited`") {
		t.Errorf("limit 2 and store_failures: got %d failures: %s", r.Failures, r.Message)
	}
	res, err := shared.Warehouse(t).Query(context.Background(), "SELECT count() FROM `dtest_features_dbt_test__audit`.`amount_limited`")
	if err != nil || res.String(0, 0) != "2" {
		t.Errorf("stored failures: %v %v", res, err)
	}
	if r := byPrefix(t, results, "not_null_orders_customer"); !strings.Contains(r.Message, `column "customer_idd" is not a column of`) || !strings.Contains(r.Message, "did you mean customer_id") {
		t.Errorf("misspelt column: want a clear message, got: %s", r.Message)
	}
	if r := byPrefix(t, results, "expression_is_true"); !strings.Contains(r.Message, "no_such_function") {
		t.Errorf("SQL error: want ClickHouse's message, got: %s", r.Message)
	}
	wantDiff := "  customer_id | total | n\n- 2           | 4     | 1\n+ 2           | 3     | 1"
	if r := byPrefix(t, results, "totals_wrong"); !strings.Contains(r.Message, wantDiff) || r.Failures != 2 {
		t.Errorf("unit test diff: want\n%s\ngot (%d):\n%s", wantDiff, r.Failures, r.Message)
	}
}

// TestWarnError: --warn-error turns a warning into a failure.
func TestWarnError(t *testing.T) {
	s := openProject(t, "dtest_warn_error", featureFiles)
	results := build(t, s, Options{WarnError: true}, "orders")
	if r := byPrefix(t, results, "amount_small_warn"); r.Status != runner.Fail {
		t.Errorf("status %s, want fail", r.Status)
	}
}

// TestFailingTestSkipsChildren: in build, an error-severity test failing on a model skips the
// model's descendants, and tests run before the children.
func TestFailingTestSkipsChildren(t *testing.T) {
	files := map[string]string{
		"models/a.sql":  `{{ config "materialized" "table" }} select * from values('id Int32', 1, 1)`,
		"models/b.sql":  `select * from {{ ref "a" }}`,
		"models/c.sql":  `select * from {{ ref "b" }}`,
		"models/ok.sql": `select 1 as id`,
		"models/schema.yml": `version: 2
models:
  - name: a
    columns:
      - name: id
        tests: [unique]
`,
	}
	s := openProject(t, "dtest_skip", files)
	results := build(t, s, Options{})
	for name, status := range map[string]runner.Status{"a": runner.Success, "unique_a_id": runner.Fail, "b": runner.Skipped, "c": runner.Skipped, "ok": runner.Success} {
		if r := results[name]; r.Status != status {
			t.Errorf("%s: %s, want %s (%s)", name, r.Status, status, r.Message)
		}
	}
	if !strings.Contains(results["b"].Message, "unique_a_id") {
		t.Errorf("skip reason should name the failing test: %q", results["b"].Message)
	}
}
