package dtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// runTests runs only the data tests, as dwm test does, and returns the results by test name.
func runTests(t *testing.T, s *session.Session, opts Options) map[string]runner.Result {
	t.Helper()
	ids, _, err := s.Select(nil, nil, []manifest.ResourceType{manifest.Test}, "")
	if err != nil {
		t.Fatal(err)
	}
	results, err := s.Run(context.Background(), ids, New(s, opts).RunOptions(session.RunOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]runner.Result{}
	for _, r := range results {
		out[s.Node(r.UniqueID).Name] = r
	}
	return out
}

// buildModels builds every model, without their tests.
func buildModels(t *testing.T, s *session.Session) {
	t.Helper()
	ids, _, err := s.Select(nil, nil, []manifest.ResourceType{manifest.Model}, "")
	if err != nil {
		t.Fatal(err)
	}
	results, err := s.Run(context.Background(), ids, session.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Status != runner.Success {
			t.Fatalf("build %s: %s %v", r.UniqueID, r.Status, r.Err)
		}
	}
}

// wantStatus checks the status of every test whose name starts with one of the prefixes; the
// other tests must pass.
func wantStatus(t *testing.T, step string, results map[string]runner.Result, failing ...string) {
	t.Helper()
	if len(results) == 0 {
		t.Fatalf("%s: no test ran", step)
	}
	for name, r := range results {
		want := runner.Pass
		for _, p := range failing {
			if strings.HasPrefix(name, p) {
				want = runner.Fail
			}
		}
		if r.Status != want {
			t.Errorf("%s: %s is %s, want %s: %s", step, name, r.Status, want, r.Message)
		}
	}
}

func execSQL(t *testing.T, s *session.Session, sql string) {
	t.Helper()
	wh, err := s.Warehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wh.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// writeEvents writes rows (after the header) as data/<week>/events.csv, a file of the batchFactYAML
// fact.
func writeEvents(t *testing.T, s *session.Session, week, rows string) {
	t.Helper()
	p := filepath.Join(s.Dir, "data", week, "events.csv")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("id,day,kind,parent_id,score\n"+rows), 0o644); err != nil {
		t.Fatal(err)
	}
}

const batchFactYAML = `version: 2
models:
  - name: events
    columns:
      - {name: id, data_type: String, tests: [unique]}
      - {name: day, data_type: Date}
      - {name: kind, data_type: Nullable(String), tests: [not_null, {accepted_values: {values: [a, b]}}]}
      - {name: parent_id, data_type: UInt32, tests: [{relationships: {to: ref('parents'), field: id}}]}
      - {name: score, data_type: UInt8, tests: [{accepted_range: {min: 0, max: 100}}]}
    tests:
      - expression_is_true: {expression: "score != 77"}
      - dbt_utils.unique_combination_of_columns: {combination_of_columns: [id, kind]}
`

// TestBatchScopedTestsOnFact: on a fact, the built-in tests check only the files loaded since they
// last passed (dwm_tested), each kind still fails when a new file breaks it, rows changed in old
// files are left to --full and scope: full, and a partition above the ledger (a killed run's) is
// left for the run that commits it.
func TestBatchScopedTestsOnFact(t *testing.T) {
	files := map[string]string{
		"models/parents.sql": `{{ config "materialized" "table" }}` + "\nselect * from values('id UInt32', 1, 2)",
		"models/events.sql":  `{{ config "materialized" "fact" "files" "data/*/events.csv" "unique_key" "id" "dedupe_scope" "day" }}`,
		"models/events.yml":  batchFactYAML,
	}
	s := openProject(t, "dtest_batch_fact", files)
	week := func(name, rows string) { t.Helper(); writeEvents(t, s, name, rows) }
	models := func() { t.Helper(); buildModels(t, s) }
	week("w1", "e1,2024-01-01,a,1,10\ne2,2024-01-01,b,2,20\ne3,2024-01-02,a,1,30\n")
	models()
	wantStatus(t, "week 1", runTests(t, s, Options{}))

	// Rows changed in place in file 1 (after its tests passed) are not checked again by batch
	// tests: a duplicate key in the same day, a bad value of every kind.
	execSQL(t, s, "INSERT INTO dtest_batch_fact.events VALUES ('e1', '2024-01-01', 'z', 9, 77, now(), 'x', 100, 1),"+
		" ('e2', '2024-01-01', 'b', 1, 101, now(), 'x', 101, 1), ('e9', '2024-01-01', NULL, 1, 10, now(), 'x', 102, 1)")
	week("w2", "e4,2024-01-03,a,1,40\ne5,2024-01-03,b,2,50\n")
	models()
	wantStatus(t, "week 2, batch", runTests(t, s, Options{}))
	all := []string{"unique_events_id", "not_null_events_kind", "accepted_values_events_kind", "relationships_events_parent_id",
		"accepted_range_events_score", "expression_is_true_events", "unique_combination_of_columns_events"}
	wantStatus(t, "week 2, --full", runTests(t, s, Options{Full: true}), all...)
	execSQL(t, s, "ALTER TABLE dtest_batch_fact.events DELETE WHERE _file = 'x' SETTINGS mutations_sync = 2")

	// File 3 breaks every kind, partly through rows written into its partition (a NULL, and
	// duplicates, which the load itself drops): e4 shares its day with the old e4, so the batch
	// test finds it; e1 on another day is outside the dedupe scope and only --full finds it.
	week("w3", "e6,2024-01-04,c,1,60\ne7,2024-01-04,a,3,101\ne8,2024-01-04,a,1,77\n")
	models()
	execSQL(t, s, "INSERT INTO dtest_batch_fact.events VALUES ('e4', '2024-01-03', 'a', 1, 10, now(), 'y', 100, 3),"+
		" ('e6', '2024-01-04', 'c', 1, 10, now(), 'y', 101, 3), ('e10', '2024-01-04', NULL, 1, 10, now(), 'y', 102, 3)")
	wantStatus(t, "week 3, batch", runTests(t, s, Options{}), all...)
	// A failing test records nothing: run alone again, it checks the same rows and fails again.
	wantStatus(t, "week 3, again", runTests(t, s, Options{}), all...)
	execSQL(t, s, "ALTER TABLE dtest_batch_fact.events DELETE WHERE _file = 'y' SETTINGS mutations_sync = 2")
	execSQL(t, s, "INSERT INTO dtest_batch_fact.events SELECT 'e1', '2024-01-04', 'a', 1, 10, now(), 'y', 100, 3")
	// (id, kind) is not the fact's unique_key, so the combination test compares with every
	// earlier row holding a new pair, and finds (e1, a).
	wantStatus(t, "week 3, duplicate in another scope", runTests(t, s, Options{}), all[2:]...)
	wantStatus(t, "week 3, --full", runTests(t, s, Options{Full: true}), append([]string{all[0]}, all[2:]...)...)

	// Repaired, the tests pass and record file 3; a partition above the ledger (a killed run's,
	// with bad rows) is not checked until a run commits it.
	execSQL(t, s, "ALTER TABLE dtest_batch_fact.events DELETE WHERE _load_seq = 3 AND (kind IS NULL OR kind NOT IN ('a', 'b') OR parent_id > 2 OR score > 100 OR score = 77 OR _file = 'y') SETTINGS mutations_sync = 2")
	wantStatus(t, "week 3, repaired", runTests(t, s, Options{}))
	execSQL(t, s, "INSERT INTO dtest_batch_fact.events SELECT 'e1', '2024-01-01', 'z', 9, 101, now(), 'x', 100, 4")
	wantStatus(t, "uncommitted partition", runTests(t, s, Options{}))
	wantStatus(t, "uncommitted partition, --full", runTests(t, s, Options{Full: true}), all[0], all[2], all[3], all[4])
}

// TestBatchScopedTestsOnIncremental: an incremental model with batch_column; unique compares new
// keys with every earlier key (no dedupe scope), scope: full and a changed test definition check
// everything, and scope: batch on a test that cannot be batch-scoped is an error.
func TestBatchScopedTestsOnIncremental(t *testing.T) {
	model := `{{ config "materialized" "incremental" "batch_column" "b" "order_by" "b" }}
select * from dtest_batch_inc.src {{ if is_incremental }}where b > (select max(b) from {{ this }}){{ end }}`
	yml := func(tests string) string {
		return "version: 2\nmodels:\n  - name: acts\n    columns:\n      - {name: id, tests: [unique" + tests + "]}\n      - {name: v, tests: [not_null]}\n"
	}
	files := map[string]string{"models/acts.sql": model, "models/acts.yml": yml("")}
	s := openProject(t, "dtest_batch_inc", files)
	execSQL(t, s, "CREATE DATABASE IF NOT EXISTS dtest_batch_inc")
	execSQL(t, s, "CREATE TABLE dtest_batch_inc.src (b UInt64, id UInt64, v Nullable(UInt8)) ENGINE = MergeTree ORDER BY b")
	execSQL(t, s, "INSERT INTO dtest_batch_inc.src VALUES (1, 1, 1), (1, 2, 1)")
	buildModels(t, s)
	wantStatus(t, "batch 1", runTests(t, s, Options{}))

	// Batch 2 repeats key 1 from batch 1: found, though batch 1 is not re-checked otherwise.
	execSQL(t, s, "INSERT INTO dtest_batch_inc.src VALUES (2, 3, 1), (2, 1, 1)")
	buildModels(t, s)
	wantStatus(t, "batch 2", runTests(t, s, Options{}), "unique_acts_id")
	execSQL(t, s, "ALTER TABLE dtest_batch_inc.acts DELETE WHERE b = 2 AND id = 1 SETTINGS mutations_sync = 2")
	wantStatus(t, "batch 2 repaired", runTests(t, s, Options{}))

	// An old row broken in place: batch tests pass, scope: full finds it.
	execSQL(t, s, "INSERT INTO dtest_batch_inc.acts VALUES (1, 9, NULL)")
	wantStatus(t, "old row, batch", runTests(t, s, Options{}))
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("models/acts.yml", strings.Replace(yml(""), "tests: [not_null]", "tests: [{not_null: {config: {scope: full}}}]", 1))
	s2 := reopen(t, s)
	wantStatus(t, "old row, scope full", runTests(t, s2, Options{}), "not_null_acts_v")
	// A changed definition (a where filter) starts over: the whole relation is checked once.
	write("models/acts.yml", strings.Replace(yml(""), "tests: [not_null]", `tests: [{not_null: {config: {where: "id > 0"}}}]`, 1))
	wantStatus(t, "changed definition", runTests(t, reopen(t, s), Options{}), "not_null_acts_v")

	write("models/acts.yml", yml("")+"    tests: [{not_empty: {config: {scope: batch}}}]\n")
	res := runTests(t, reopen(t, s), Options{})
	r := byPrefix(t, res, "not_empty_acts")
	if r.Status != runner.Error || !strings.Contains(r.Err.Error(), "scope batch: a not_empty test always reads the whole relation") {
		t.Errorf("scope batch on not_empty: %s %v, want an error saying it cannot be batch-scoped", r.Status, r.Err)
	}
}

// reopen opens the project again after its files changed, on the same warehouse.
func reopen(t *testing.T, s *session.Session) *session.Session {
	t.Helper()
	wh, err := s.Warehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s2, err := session.Open(session.Options{ProjectDir: s.Dir, Threads: 2, OpenWarehouse: func(context.Context, project.Target, string, int) (warehouse.Warehouse, error) {
		return borrowed{wh}, nil
	}})
	if err != nil {
		t.Fatalf("reopen project: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

// TestBatchScopedCombinationWithNull: in a combination NULL is a value, so a new row repeating an
// earlier row's combination that holds a NULL is a duplicate the batch-scoped test finds. (The
// earlier rows were once matched as a tuple IN the new ones, which never matches a NULL.)
func TestBatchScopedCombinationWithNull(t *testing.T) {
	files := map[string]string{
		"models/pairs.sql": `{{ config "materialized" "incremental" "batch_column" "b" "order_by" "b" }}
select * from dtest_batch_null.src {{ if is_incremental }}where b > (select max(b) from {{ this }}){{ end }}`,
		"models/pairs.yml": "version: 2\nmodels:\n  - name: pairs\n    tests:\n      - dbt_utils.unique_combination_of_columns: {combination_of_columns: [id, v]}\n",
	}
	s := openProject(t, "dtest_batch_null", files)
	execSQL(t, s, "CREATE DATABASE IF NOT EXISTS dtest_batch_null")
	execSQL(t, s, "CREATE TABLE dtest_batch_null.src (b UInt64, id UInt64, v Nullable(String)) ENGINE = MergeTree ORDER BY b")
	execSQL(t, s, "INSERT INTO dtest_batch_null.src VALUES (1, 1, NULL), (1, 2, 'x')")
	buildModels(t, s)
	wantStatus(t, "batch 1", runTests(t, s, Options{}))
	execSQL(t, s, "INSERT INTO dtest_batch_null.src VALUES (2, 1, NULL), (2, 2, 'y')")
	buildModels(t, s)
	wantStatus(t, "batch 2 repeats (1, NULL)", runTests(t, s, Options{}), "unique_combination_of_columns_pairs")
}
