package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProject writes files below dir, creating folders.
func writeProject(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBuildFailsThenPasses runs the real CLI in-process on embedded ClickHouse: data violating a
// test fails the build (exit 1), names the test, skips exactly the descendants and writes JUnit
// XML; after fixing the data the same build exits 0. Runs are sequential: libchdb holds one
// data directory per process at a time, and each run closes it before the next opens it.
func TestBuildFailsThenPasses(t *testing.T) {
	if os.Getenv("DWM_SKIP_CHDB") == "1" {
		t.Skip("DWM_SKIP_CHDB=1: skipping tests on the real embedded ClickHouse")
	}
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"project.yml":           "name: shop\n",
		"models/customers.sql":  `{{ config "materialized" "table" }} select * from values('id UInt32, name String', (1, 'ann'), (2, 'bob'), (2, 'bo'))`,
		"models/orders.sql":     `select 1 as id, 1 as customer_id`,
		"models/with_names.sql": `select o.id, c.name from {{ ref "orders" }} o join {{ ref "customers" }} c on c.id = o.customer_id`,
		"models/report.sql":     `select count() as n from {{ ref "with_names" }}`,
		"models/schema.yml": `version: 2
models:
  - name: customers
    columns:
      - name: id
        tests: [unique, not_null]
  - name: orders
    columns:
      - name: customer_id
        tests:
          - relationships: {to: ref('customers'), field: id}
unit_tests:
  - name: joins_names
    model: with_names
    given:
      - input: ref('orders')
        rows: [{id: 10, customer_id: 1}]
      - input: ref('customers')
        rows: [{id: 1, name: ann}]
    expect:
      rows: [{id: 10, name: ann}]
`,
	})
	junit := filepath.Join(dir, "junit.xml")
	code, out, errOut := runDWM(t, "build", "--project-dir", dir, "--junit", junit, "--no-color")
	if code != ExitFailure {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, ExitFailure, out, errOut)
	}
	for _, want := range []string{
		"FAIL test unique_customers_id",
		"Failure in test unique_customers_id",
		"SKIP view model shop.with_names",
		"SKIP view model shop.report",
		"skipped because test.shop.unique_customers_id failed",
		"compiled SQL: target/compiled/shop/models/schema.yml/unique_customers_id.sql",
		"PASS unit_test joins_names",
		"SKIP=2 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, notWant := range []string{"SKIP view model shop.orders", "SKIP test relationships"} {
		if strings.Contains(out, notWant) {
			t.Errorf("output has %q: only descendants of customers may be skipped:\n%s", notWant, out)
		}
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var report junitSuites
	if err := xml.Unmarshal(data, &report); err != nil {
		t.Fatalf("junit is not valid XML: %v\n%s", err, data)
	}
	s := report.Suites[0]
	if s.Tests != 4 || s.Failures != 1 || len(s.Cases) != 4 {
		t.Errorf("junit: tests=%d failures=%d cases=%d, want 4, 1, 4\n%s", s.Tests, s.Failures, len(s.Cases), data)
	}
	for _, c := range s.Cases {
		if (c.Failure != nil) != (c.Name == "unique_customers_id") {
			t.Errorf("junit case %s: failure %v", c.Name, c.Failure)
		}
		if c.Failure != nil && !strings.Contains(c.Failure.Message, "Got 1 result") {
			t.Errorf("junit failure message: %q", c.Failure.Message)
		}
	}
	rr, err := os.ReadFile(filepath.Join(dir, "target", "run_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var results struct {
		Results []struct {
			UniqueID string `json:"unique_id"`
			Status   string `json:"status"`
			Failures int64  `json:"failures"`
		} `json:"results"`
	}
	if err := json.Unmarshal(rr, &results); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range results.Results {
		if r.UniqueID == "test.shop.unique_customers_id" {
			found = r.Status == "fail" && r.Failures == 1
		}
	}
	if !found {
		t.Errorf("run_results.json lacks the failing test with 1 failure:\n%s", rr)
	}

	writeProject(t, dir, map[string]string{
		"models/customers.sql": `{{ config "materialized" "table" }} select * from values('id UInt32, name String', (1, 'ann'), (2, 'bob'))`,
	})
	code, out, errOut = runDWM(t, "build", "--project-dir", dir, "--junit", junit, "--no-color")
	if code != ExitOK {
		t.Fatalf("after fixing the data: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runDWM(t, "test", "--project-dir", dir, "-s", "customers", "--no-color")
	if code != ExitOK || !strings.Contains(out, "PASS test unique_customers_id") || strings.Contains(out, "joins_names") {
		t.Errorf("dwm test -s customers: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestUnknownTestIsUsageError: a typo in a test name stops the command before anything runs.
func TestUnknownTestIsUsageError(t *testing.T) {
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"project.yml":       "name: shop\n",
		"models/a.sql":      "select 1 as id",
		"models/schema.yml": "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: [uniqe]\n",
	})
	code, _, errOut := runDWM(t, "build", "--project-dir", dir)
	if code != ExitUsage || !strings.Contains(errOut, `models/schema.yml:6:17: model a column id: unknown test "uniqe"; did you mean unique?`) {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, ".dwm")); err == nil {
		t.Error("the warehouse was opened although the project is invalid")
	}
}
