package dtest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/runner"
)

// TestBatchScopedPIIErased: once pii_erased passed on a fact, it checks the new files' rows for
// every erased subject and the older rows only for the subjects erased since: it catches personal
// data in a new file and in an old file of a newly erased subject whose scrub did not happen, it
// does not read again the old rows of a subject erased before (which --full does), and passes
// once the scrub is done.
func TestBatchScopedPIIErased(t *testing.T) {
	files := map[string]string{
		"models/users.sql": `{{ config "materialized" "table" "unique_key" "user_id" }}` +
			"\nselect * from values('user_id UInt64', 1, 2, 3)",
		"models/events.sql": `{{ config "materialized" "fact" "files" "data/*/events.csv" "unique_key" "id" "dedupe_scope" "day" }}`,
		"models/events.yml": `version: 2
models:
  - name: users
    meta: {pii_subject: true}
  - name: events
    columns:
      - {name: id, data_type: String}
      - {name: day, data_type: Date}
      - {name: user_id, data_type: UInt64}
      - {name: device, data_type: String, meta: {pii: true}}
    tests: [pii_erased]
`,
	}
	s := openProject(t, "dtest_pii_scope", files)
	ctx := context.Background()
	week := func(name, rows string) {
		t.Helper()
		p := filepath.Join(s.Dir, "data", name, "events.csv")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("id,day,user_id,device\n"+rows), 0o644); err != nil {
			t.Fatal(err)
		}
		buildModels(t, s)
	}
	e, err := s.Eraser(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const test = "pii_erased_events"
	put := func(id string, user, seq int) {
		t.Helper()
		execSQL(t, s, "INSERT INTO dtest_pii_scope.events (id, day, user_id, device, _load_seq) SELECT '"+id+"', '2024-01-01', "+
			strconv.Itoa(user)+", 'dev-back', "+strconv.Itoa(seq))
	}
	week("w1", "e1,2024-01-01,1,d1\ne2,2024-01-01,2,d2\ne3,2024-01-01,3,d3\n")
	if _, _, err := e.Request(ctx, "users", []string{"1"}); err != nil {
		t.Fatal(err)
	}
	// As if erased two hours ago: beyond the hour pii_erased looks back before its last pass.
	execSQL(t, s, "ALTER TABLE dtest_pii_scope.dwm_erasure_log UPDATE at = at - INTERVAL 2 HOUR WHERE 1 SETTINGS mutations_sync = 2")
	wantStatus(t, "file 1, user 1 erased", runTests(t, s, Options{}))

	// File 2: scoped. User 1's data put back into file 1 after the pass is not read again; --full finds it.
	week("w2", "e4,2024-01-02,2,d4\n")
	put("e9", 1, 1)
	res := runTests(t, s, Options{})
	wantStatus(t, "file 2, batch", res)
	if b, err := os.ReadFile(filepath.Join(s.Dir, res[test].CompiledPath)); err != nil || !strings.Contains(string(b), "`_load_seq` <= 1 AND `user_id` IN") {
		t.Errorf("file 2: want the scoped check, compiled: %s %v", b, err)
	}
	wantStatus(t, "file 2, --full", runTests(t, s, Options{Full: true}), test)
	execSQL(t, s, "ALTER TABLE dtest_pii_scope.events DELETE WHERE id = 'e9' SETTINGS mutations_sync = 2")

	// File 3 holds personal data of user 1 (erased before the last pass), put in after its load's scrub.
	week("w3", "e5,2024-01-03,3,d5\n")
	put("e10", 1, 3)
	wantStatus(t, "file 3, erased subject's new row", runTests(t, s, Options{}), test)
	execSQL(t, s, "ALTER TABLE dtest_pii_scope.events DELETE WHERE id = 'e10' SETTINGS mutations_sync = 2")
	wantStatus(t, "file 3, repaired", runTests(t, s, Options{}))

	// User 2 erased in the log but not scrubbed (a run killed between the two): the old rows of
	// files 1 and 2 fail, though no new file came.
	week("w4", "e6,2024-01-04,3,d6\n")
	execSQL(t, s, pii.RequestSQL(pii.LogRelation("dtest_pii_scope"), "users", "request", []string{"2"}))
	res = runTests(t, s, Options{})
	wantStatus(t, "user 2 erased, not scrubbed", res, test)
	if r := res[test]; r.Failures != 2 {
		t.Errorf("user 2 erased, not scrubbed: %d failures, want 2 (e2, e4)", r.Failures)
	}
	if _, err := e.Scrub(ctx, []string{"events"}, "request"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "user 2 scrubbed", runTests(t, s, Options{}))
	if r := runTests(t, s, Options{Full: true})[test]; r.Status != runner.Pass {
		t.Errorf("--full at the end: %s %s", r.Status, r.Message)
	}
}
