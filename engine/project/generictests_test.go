package project

import (
	"reflect"
	"strings"
	"testing"
)

const testsProject = `name: shop
tests:
  +severity: warn
`

func TestGenericTestNodes(t *testing.T) {
	p, err := load(t, map[string]string{
		"project.yml":            testsProject,
		"models/customers.sql":   "select 1 as id",
		"models/orders.sql":      "select 1 as id, 1 as customer_id",
		"tests/generic/even.sql": `{{ define "even" }}select * from {{ .model }} where {{ .column_name }} % 2 = 1 and 0 in (select id from {{ ref "customers" }}){{ end }}`,
		"models/schema.yml": `version: 2
models:
  - name: orders
    tests:
      - unique_combination: {columns: [id, customer_id]}
    columns:
      - name: customer_id
        tests:
          - not_null:
              config: {severity: error, where: "id > 0"}
          - relationships:
              arguments: {to: "ref('customers')", field: id}
          - even
sources:
  - name: raw
    tables:
      - name: users
        columns:
          - name: id
            tests: [unique]
`,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Manifest
	nn := m.Nodes["test.shop.not_null_orders_customer_id"]
	if nn == nil {
		t.Fatalf("no not_null node; nodes: %v", m.SortedIDs())
	}
	if nn.Config.Severity != "error" || nn.Config.Where != "id > 0" || nn.Test.ColumnName != "customer_id" || nn.Test.AttachedTo != "model.shop.orders" {
		t.Errorf("not_null node = %+v %+v", nn.Config, nn.Test)
	}
	if !reflect.DeepEqual(nn.DependsOn, []string{"model.shop.orders"}) {
		t.Errorf("not_null depends on %v", nn.DependsOn)
	}
	var rel, combo, even, src string
	for _, id := range m.SortedIDs() {
		switch {
		case strings.HasPrefix(id, "test.shop.relationships_orders_customer_id_"):
			rel = id
		case strings.HasPrefix(id, "test.shop.unique_combination_orders_"):
			combo = id
		case id == "test.shop.even_orders_customer_id":
			even = id
		case id == "test.shop.source_unique_raw_users_id":
			src = id
		}
	}
	if rel == "" || combo == "" || even == "" || src == "" {
		t.Fatalf("missing generic test nodes: %v", m.SortedIDs())
	}
	if got := m.Nodes[rel].DependsOn; !reflect.DeepEqual(got, []string{"model.shop.customers", "model.shop.orders"}) {
		t.Errorf("relationships depends on %v", got)
	}
	if got := m.Nodes[even].DependsOn; !reflect.DeepEqual(got, []string{"model.shop.customers", "model.shop.orders"}) {
		t.Errorf("custom test depends on %v (its ref counts)", got)
	}
	if m.Nodes[combo].Config.Severity != "warn" {
		t.Errorf("project.yml tests: severity not applied: %+v", m.Nodes[combo].Config)
	}
	// Names are deterministic: loading again gives the same IDs.
	p2, err := load(t, map[string]string{"project.yml": testsProject, "models/customers.sql": "select 1 as id", "models/orders.sql": "select 1 as id, 1 as customer_id",
		"models/schema.yml": "version: 2\nmodels:\n  - name: orders\n    tests:\n      - unique_combination: {columns: [id, customer_id]}\n"})
	if err != nil {
		t.Fatal(err)
	}
	if p2.Manifest.Nodes[combo] == nil {
		t.Errorf("%s is not stable across loads: %v", combo, p2.Manifest.SortedIDs())
	}
}

func TestGenericTestErrors(t *testing.T) {
	cases := map[string]string{
		"columns:\n      - name: id\n        tests: [not_nul]":                                                `models/schema.yml:6:17: model orders column id: unknown test "not_nul"; did you mean not_null`,
		"columns:\n      - name: id\n        tests:\n          - accepted_values: {valus: [a]}":               `models/schema.yml:7:13: model orders column id: test accepted_values has no argument "valus"`,
		"columns:\n      - name: id\n        tests:\n          - relationships: {to: ref('nope'), field: id}": `models/schema.yml:7:13: model orders column id: relationships: ref('nope'): no model or seed of that name`,
		"tests:\n      - not_null":                                 "model orders: test not_null tests a column",
		"tests:\n      - not_empty: {config: {warn_if: \"lots\"}}": `threshold "lots" must be a comparison`,
	}
	for body, want := range cases {
		_, err := load(t, map[string]string{
			"project.yml":       "name: shop\n",
			"models/orders.sql": "select 1 as id",
			"models/schema.yml": "version: 2\nmodels:\n  - name: orders\n    " + body + "\n",
		})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s\ngot  %v\nwant %s", body, err, want)
		}
	}
}

func TestUnitTestNodes(t *testing.T) {
	p, err := load(t, map[string]string{
		"project.yml":       "name: shop\n",
		"models/orders.sql": "select 1 as id",
		"models/totals.sql": `select count() as n from {{ ref "orders" }}`,
		"models/unit.yml": `version: 2
unit_tests:
  - name: counts
    model: totals
    overrides: {vars: {x: 1}}
    given:
      - input: ref('orders')
        format: csv
        rows: |
          id,name
          1,a
    expect:
      rows:
        - {n: 1}
`,
	})
	if err != nil {
		t.Fatal(err)
	}
	id := "unit_test.shop.totals.counts"
	n := p.Manifest.Nodes[id]
	ut := p.UnitTestDefs[id]
	if n == nil || ut == nil {
		t.Fatalf("no unit test node: %v", p.Manifest.SortedIDs())
	}
	if !reflect.DeepEqual(n.DependsOn, []string{"model.shop.totals"}) || n.Test.AttachedTo != "model.shop.totals" {
		t.Errorf("unit test node = %+v", n)
	}
	in := ut.Given[0]
	if in.NodeID != "model.shop.orders" || !reflect.DeepEqual(in.Columns, []string{"id", "name"}) || in.Rows[0]["name"] != "a" {
		t.Errorf("given = %+v", in)
	}
	if ut.Vars["x"] != 1 || ut.Expect.Rows[0]["n"] != 1 {
		t.Errorf("vars %v, expect %+v", ut.Vars, ut.Expect)
	}
	_, err = load(t, map[string]string{
		"project.yml":       "name: shop\n",
		"models/orders.sql": "select 1 as id",
		"models/unit.yml":   "version: 2\nunit_tests:\n  - name: u\n    model: order\n    expect: {rows: []}\n",
	})
	if err == nil || !strings.Contains(err.Error(), `models/unit.yml:3: unit test u: model "order" does not exist; did you mean orders?`) {
		t.Errorf("missing model: %v", err)
	}
}

// Tests are built in parallel but reported as a test-by-test pass would: the first problem in
// node order wins, a name used twice is an error at the second one, and a disabled test is
// left out.
func TestGenericTestErrorsInOrder(t *testing.T) {
	props := func(a, b string) map[string]string {
		return map[string]string{
			"project.yml": "name: shop\n", "models/a.sql": "select 1 as id", "models/b.sql": "select 1 as id",
			"models/schema.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: " + a +
				"\n  - name: b\n    columns:\n      - name: id\n        tests: " + b + "\n",
		}
	}
	for _, tc := range []struct{ a, b, want string }{
		{"[not_null, not_null]", "[nope]", "models/schema.yml:6:27: model a column id: test not_null_a_id is declared twice"},
		{"[nope]", "[not_null, not_null]", `models/schema.yml:6:17: model a column id: unknown test "nope"`},
		{"[not_null]", "[unique, {accepted_values: {values: [1], config: {warn_if: bad}}}]", "test accepted_values: threshold"},
	} {
		_, err := load(t, props(tc.a, tc.b))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("tests %s / %s: got %v, want %q", tc.a, tc.b, err, tc.want)
		}
	}
	p, err := load(t, props("[not_null, {unique: {config: {enabled: false}}}]", "[{unique: {config: {enabled: false}}}]"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Manifest.Nodes["test.shop.not_null_a_id"] == nil || p.Manifest.Nodes["test.shop.unique_a_id"] != nil || p.Manifest.Nodes["test.shop.unique_b_id"] != nil {
		t.Errorf("enabled/disabled tests: %v", p.Manifest.SortedIDs())
	}
}
