package dtest

import (
	"context"
	"testing"

	"github.com/dwmhq/dwm/engine/pii"
)

// TestPIIErasedWithAWindow runs the erasure window through builds and the batch-scoped test: an
// upstream deletion inside the first half of its window is blanked in new files but not scrubbed
// from old ones, and pii_erased passes; once the whole window has passed (the log's time set
// back: waiting hours is not a test) the old rows fail the scoped test before a build and pass
// after the next build scrubbed them.
func TestPIIErasedWithAWindow(t *testing.T) {
	s, week := piiEventsProjectMeta(t, "dtest_pii_window", "{pii_subject: true, pii_erase_within: 2h}")
	const test = "pii_erased_events"
	devices := func() string {
		t.Helper()
		wh, err := s.Warehouse(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		res, err := wh.Query(context.Background(), "SELECT arrayStringConcat(groupArray(device), ',') FROM (SELECT device FROM dtest_pii_window.events WHERE user_id = 2 ORDER BY id)")
		if err != nil {
			t.Fatal(err)
		}
		return res.String(0, 0)
	}
	week("w1", "e1,2024-01-01,1,d1\ne2,2024-01-01,2,d2\n")
	execSQL(t, s, pii.LogDDL(pii.LogRelation("dtest_pii_window")))
	execSQL(t, s, "INSERT INTO dtest_pii_window.dwm_erasure_log (subject, key, event, reason, at) SELECT 'users', '2', 'erase', '"+
		pii.ReasonUpstream+"', now() - INTERVAL 30 MINUTE")
	week("w2", "e3,2024-01-02,2,d3\n")
	if d := devices(); d != "d2," {
		t.Fatalf("a deletion a quarter into its window: user 2's devices %q, want the old row kept and the new one blank", d)
	}
	wantStatus(t, "pending deletion", runTests(t, s, Options{}))
	// Logged a window and a second ago: overdue since a second, after the last pass began (the
	// scoped test looks back to then), and not scrubbed yet.
	execSQL(t, s, "ALTER TABLE dtest_pii_window.dwm_erasure_log UPDATE at = now() - INTERVAL 7201 SECOND WHERE 1 SETTINGS mutations_sync = 2")
	if r := runTests(t, s, Options{})[test]; r.Failures != 1 {
		t.Fatalf("overdue and unscrubbed: %s, %d failures, want the old row of user 2", r.Status, r.Failures)
	}
	week("w3", "e4,2024-01-03,1,d4\n")
	if d := devices(); d != "," {
		t.Fatalf("after the build: user 2's devices %q", d)
	}
	wantStatus(t, "scrubbed", runTests(t, s, Options{}))
	wantStatus(t, "scrubbed, --full", runTests(t, s, Options{Full: true}))
}
