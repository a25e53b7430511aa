package dtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/runner"
)

const singularFactYAML = `version: 2
models:
  - name: events
    columns:
      - {name: id, data_type: String}
      - {name: day, data_type: Date}
      - {name: kind, data_type: Nullable(String)}
      - {name: parent_id, data_type: UInt32}
      - {name: score, data_type: UInt8}
`

// The new events against every parent: only the side that grows is batch-scoped.
const assertParentExists = `SELECT e.id AS id, e.parent_id AS parent_id
FROM {{ batch_ref "events" }} AS e
LEFT ANTI JOIN {{ ref "parents" }} AS p ON p.id = e.parent_id
`

// TestBatchScopedSingularTest: a singular test reading the fact with batch_ref checks only the
// files loaded since it last passed: it catches a bad row in a new file (and fails again until it
// is repaired: a failure records nothing), passes old rows it already checked even when they are
// broken in place afterwards, which --full and scope: full find, and a changed test starts over.
func TestBatchScopedSingularTest(t *testing.T) {
	files := map[string]string{
		"models/parents.sql":             `{{ config "materialized" "table" }}` + "\nselect * from values('id UInt32', 1, 2)",
		"models/events.sql":              `{{ config "materialized" "fact" "files" "data/*/events.csv" "unique_key" "id" "dedupe_scope" "day" }}`,
		"models/events.yml":              singularFactYAML,
		"tests/assert_parent_exists.sql": assertParentExists,
	}
	s := openProject(t, "dtest_singular", files)
	week := func(name, rows string) { t.Helper(); writeEvents(t, s, name, rows); buildModels(t, s) }
	const test = "assert_parent_exists"
	compiled := func(res map[string]runner.Result) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(s.Dir, res[test].CompiledPath))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	week("w1", "e1,2024-01-01,a,1,10\ne2,2024-01-01,b,2,20\n")
	res := runTests(t, s, Options{})
	wantStatus(t, "file 1", res)
	if sql := compiled(res); strings.Contains(sql, "_load_seq") {
		t.Errorf("first run must read the whole relation, compiled:\n%s", sql)
	}

	// An old row broken in place after it passed: the batch test does not read file 1 again.
	execSQL(t, s, "INSERT INTO dtest_singular.events VALUES ('e9', '2024-01-01', 'a', 9, 10, now(), 'x', 100, 1)")
	week("w2", "e3,2024-01-02,a,1,30\n")
	res = runTests(t, s, Options{})
	wantStatus(t, "file 2, batch", res)
	if sql := compiled(res); !strings.Contains(sql, "`_load_seq` > 1 AND `_load_seq` <= 2") || !strings.Contains(sql, "JOIN `dtest_singular`.`parents`") {
		t.Errorf("file 2: want the new file's rows against every parent, compiled:\n%s", sql)
	}
	wantStatus(t, "file 2, --full", runTests(t, s, Options{Full: true}), test)
	execSQL(t, s, "ALTER TABLE dtest_singular.events DELETE WHERE id = 'e9' SETTINGS mutations_sync = 2")

	// A bad row in a new file fails, and again when run alone (nothing was recorded), until it is
	// repaired.
	week("w3", "e4,2024-01-03,a,3,40\ne5,2024-01-03,b,1,50\n")
	res = runTests(t, s, Options{})
	wantStatus(t, "file 3, bad row", res, test)
	if res[test].Failures != 1 {
		t.Errorf("file 3: %d failures, want 1 (e4)", res[test].Failures)
	}
	wantStatus(t, "file 3, again", runTests(t, s, Options{}), test)
	execSQL(t, s, "ALTER TABLE dtest_singular.events DELETE WHERE id = 'e4' SETTINGS mutations_sync = 2")
	wantStatus(t, "file 3, repaired", runTests(t, s, Options{}))

	// Break file 1 again: scope: full and a changed test read everything and find it.
	execSQL(t, s, "INSERT INTO dtest_singular.events VALUES ('e9', '2024-01-01', 'a', 9, 10, now(), 'x', 100, 1)")
	wantStatus(t, "old row, batch", runTests(t, s, Options{}))
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A model the test reads with ref changed its SQL: its old rows may differ, so the test
	// starts over (and finds the old row), as it does when its own SQL changes.
	write("models/parents.sql", `{{ config "materialized" "table" }}`+"\nselect * from values('id UInt32', 1, 2, 3)")
	res = runTests(t, reopen(t, s), Options{})
	wantStatus(t, "old row, a model the test reads changed", res, test)
	if sql := compiled(res); strings.Contains(sql, "_load_seq") {
		t.Errorf("a changed model must make the test read the whole relation, compiled:\n%s", sql)
	}
	write("tests/assert_parent_exists.sql", `{{ config "scope" "full" }}`+assertParentExists)
	wantStatus(t, "old row, scope full", runTests(t, reopen(t, s), Options{}), test)
	write("tests/assert_parent_exists.sql", assertParentExists+"WHERE e.id != ''\n")
	wantStatus(t, "old row, changed test", runTests(t, reopen(t, s), Options{}), test)

	// scope: batch on a test whose batch_ref relation has no batches is an error saying why.
	write("tests/assert_parent_exists.sql", `{{ config "scope" "batch" }}SELECT * FROM {{ batch_ref "parents" }} WHERE id > 2`)
	r := runTests(t, reopen(t, s), Options{})[test]
	if r.Status != runner.Error || !strings.Contains(r.Err.Error(), "scope batch: parents has no batch column") {
		t.Errorf("scope batch on a table: %s %v, want an error naming the missing batch column", r.Status, r.Err)
	}
}
