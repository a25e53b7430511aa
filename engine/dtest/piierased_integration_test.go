package dtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
)

// piiEventsProject opens a project of a users subject and an events fact (one CSV per folder of
// data/, device personal) whose pii_erased test is batch-scoped; week adds a file and builds.
func piiEventsProject(t *testing.T, name string) (s *session.Session, week func(name, rows string)) {
	t.Helper()
	return piiEventsProjectMeta(t, name, "{pii_subject: true}")
}

// piiEventsProjectMeta is piiEventsProject with the users model's meta.
func piiEventsProjectMeta(t *testing.T, name, usersMeta string) (s *session.Session, week func(name, rows string)) {
	t.Helper()
	files := map[string]string{
		"models/users.sql": `{{ config "materialized" "table" "unique_key" "user_id" }}` +
			"\nselect * from values('user_id UInt64', 1, 2, 3)",
		"models/events.sql": `{{ config "materialized" "fact" "files" "data/*/events.csv" "unique_key" "id" "dedupe_scope" "day" }}`,
		"models/events.yml": `version: 2
models:
  - name: users
    meta: ` + usersMeta + `
  - name: events
    columns:
      - {name: id, data_type: String}
      - {name: day, data_type: Date}
      - {name: user_id, data_type: UInt64}
      - {name: device, data_type: String, meta: {pii: true}}
    tests: [pii_erased]
`,
	}
	s = openProject(t, name, files)
	week = func(name, rows string) {
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
	return s, week
}

// TestBatchScopedPIIErased: once pii_erased passed on a fact, it checks the new files' rows for
// every erased subject and the older rows only for the subjects erased since: it catches personal
// data in a new file and in an old file of a newly erased subject whose scrub did not happen, it
// does not read again the old rows of a subject erased before (which --full does), and passes
// once the scrub is done.
func TestBatchScopedPIIErased(t *testing.T) {
	s, week := piiEventsProject(t, "dtest_pii_scope")
	ctx := context.Background()
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
	// As if erased a minute ago: beyond the seconds pii_erased looks back before its last pass began.
	execSQL(t, s, "ALTER TABLE dtest_pii_scope.dwm_erasure_log UPDATE at = at - INTERVAL 1 MINUTE WHERE 1 SETTINGS mutations_sync = 2")
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
	execSQL(t, s, pii.RequestSQL(pii.LogRelation("dtest_pii_scope"), "users", "request", []string{"2"}, false))
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

// TestPIIErasedSeesErasuresInFlight: an erasure whose INSERT into the log was running when a
// batch-scoped pii_erased check began is not seen by that check (it commits later), and its log
// time is its start, seconds before the check's. The next check still re-reads that subject's
// older rows, because a pass records as its start a time before every erasure INSERT then in
// flight. The erasure INSERT reads its key from an HTTP handler the test holds open until the
// check has passed, and the check begins only once the INSERT has run longer than the margin,
// so recording the check's own start would skip the subject.
func TestPIIErasedSeesErasuresInFlight(t *testing.T) {
	s, week := piiEventsProject(t, "dtest_pii_inflight")
	ctx := context.Background()
	const test = "pii_erased_events"
	wh, err := s.Warehouse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	week("w1", "e1,2024-01-01,1,d1\ne2,2024-01-01,2,d2\n")
	wantStatus(t, "file 1", runTests(t, s, Options{}))
	week("w2", "e3,2024-01-02,1,d3\n")

	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = io.WriteString(w, "2\n")
	}))
	defer srv.Close()
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open()
	inserted := make(chan error, 1)
	go func() {
		_, err := wh.Exec(ctx, "INSERT INTO dtest_pii_inflight.dwm_erasure_log (subject, key, event, reason, at) SELECT 'users', k, '"+
			pii.EventErase+"', 'in flight', now() FROM url('"+srv.URL+"/keys.csv', 'CSV', 'k String')")
		inserted <- err
	}()
	// Wait (polling the server, not sleeping a guessed time) until the INSERT has run 7 s: more
	// than erasureMargin and its rounding.
	for {
		res, err := wh.Query(ctx, "SELECT count() FROM system.processes WHERE position(query, 'in flight') > 0 AND query_kind = 'Insert' AND elapsed >= 7")
		if err != nil {
			t.Fatal(err)
		}
		if res.String(0, 0) == "1" {
			break
		}
		select {
		case err := <-inserted:
			t.Fatalf("the erasure INSERT ended before the check: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	wantStatus(t, "file 2, user 2's erasure in flight", runTests(t, s, Options{}))
	open()
	if err := <-inserted; err != nil {
		t.Fatal(err)
	}
	// User 2 is erased in the log, not scrubbed: file 1's row of user 2 must fail, found by the
	// scoped check (older rows of the subjects erased since the last pass began).
	res := runTests(t, s, Options{})
	wantStatus(t, "user 2 erased in flight, not scrubbed", res, test)
	if r := res[test]; r.Failures != 1 {
		t.Errorf("user 2 erased in flight: %d failures, want 1 (e2)", r.Failures)
	}
	if b, err := os.ReadFile(filepath.Join(s.Dir, res[test].CompiledPath)); err != nil || !strings.Contains(string(b), "`_load_seq` <= 2 AND `user_id` IN") {
		t.Errorf("want the scoped check, compiled: %s %v", b, err)
	}
}

// TestPIIErasedPassRecordsEarliestStart: a check that noted its start and never recorded a pass
// (killed, failed, or still running beside the next one) makes the next pass record that earlier
// start, so the check after looks back from there, never from later.
func TestPIIErasedPassRecordsEarliestStart(t *testing.T) {
	s, week := piiEventsProject(t, "dtest_pii_starts")
	week("w1", "e1,2024-01-01,1,d1\n")
	wantStatus(t, "file 1", runTests(t, s, Options{}))
	week("w2", "e2,2024-01-02,2,d2\n")
	// As if the first pass was an hour ago, and a check that then died noted its start a second
	// after it: well before the next check's own start.
	execSQL(t, s, "ALTER TABLE dtest_pii_starts.dwm_tested UPDATE tested_at = tested_at - INTERVAL 1 HOUR WHERE 1 SETTINGS mutations_sync = 2")
	execSQL(t, s, "INSERT INTO dtest_pii_starts.dwm_tested SELECT test, model, definition, table_uuid, 0, tested_at + 1"+
		" FROM dtest_pii_starts.dwm_tested WHERE test LIKE '%pii_erased_events' AND batch = 1")
	wantStatus(t, "file 2", runTests(t, s, Options{}))
	wh, err := s.Warehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := wh.Query(context.Background(), "SELECT (SELECT tested_at FROM dtest_pii_starts.dwm_tested WHERE batch = 2) = "+
		"(SELECT tested_at + 1 FROM dtest_pii_starts.dwm_tested WHERE batch = 1), (SELECT count() FROM dtest_pii_starts.dwm_tested WHERE batch = 0)")
	if err != nil {
		t.Fatal(err)
	}
	if res.String(0, 0) != "1" || res.String(0, 1) != "3" {
		t.Fatalf("the second pass records the dead check's start: %s (3 starts noted: %s)", res.String(0, 0), res.String(0, 1))
	}
}
