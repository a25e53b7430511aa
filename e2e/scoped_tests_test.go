package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scopedReconciliations checks the batch scope of the warehouse's reconciliation tests that read
// only the days or weeks touched by the rows loaded since they last passed (docs/tests.md,
// "Singular tests on new batches"), on a built warehouse: with their last passes moved back one
// batch, a bad row in the newest week fails them; the same change in the oldest week passes the
// scoped run and fails --full. Every change is undone before it returns.
func scopedReconciliations(t *testing.T, dir string) {
	t.Helper()
	tests := []string{"assert_user_week_reconciles", "assert_daily_activity_reconciles"}
	ids := "'test.duolingo." + strings.Join(tests, "', 'test.duolingo.") + "'"
	macro := filepath.Join(dir, "macros", "e2e_exec.sql")
	if err := os.WriteFile(macro, []byte(`{{ define "e2e_exec" }}{{ param "sql" }}{{ .sql }}{{ end }}`), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(macro)
	exec := func(sql string) {
		t.Helper()
		mustDwm(t, dir, "run-operation", "e2e_exec", "--args", `{"sql": "`+strings.ReplaceAll(sql, `"`, `\"`)+`"}`)
	}
	// One day and one week at each end: the newest are in the last batch, the oldest in the first.
	ends := show(t, dir, "SELECT toString(min(week_start_date)), toString(max(week_start_date)), "+
		"(SELECT toString(min(event_date)) FROM duolingo.event_stream), (SELECT toString(max(event_date)) FROM duolingo.event_stream) "+
		"FROM duolingo.fct_user_week")
	if len(ends) != 1 || ends[0][0] == ends[0][1] || ends[0][2] == ends[0][3] {
		t.Fatalf("the warehouse needs two weeks at least: %v", ends)
	}
	oldWeek, newWeek, oldDay, newDay := ends[0][0], ends[0][1], ends[0][2], ends[0][3]
	change := func(week, day, delta string) string {
		return "ALTER TABLE duolingo.fct_user_week UPDATE xp = xp + (" + delta + ") WHERE week_start_date = '" + week +
			"' AND user_id = (SELECT min(user_id) FROM duolingo.fct_user_week WHERE week_start_date = '" + week + "') SETTINGS mutations_sync = 2;" +
			"ALTER TABLE duolingo.mart_daily_activity UPDATE events = events + (" + delta + ") WHERE activity_date = '" + day +
			"' SETTINGS mutations_sync = 2;"
	}
	// Each relation a test reads with batch_ref has its own pass; moving each back one batch makes
	// the next run check the last batch again, as the build that loaded it did.
	back := ""
	for _, p := range show(t, dir, "SELECT model, toString(max(batch)) FROM duolingo.dwm_tested WHERE test IN ("+ids+") GROUP BY model") {
		back += "ALTER TABLE duolingo.dwm_tested UPDATE batch = batch - 1 WHERE test IN (" + ids + ") AND model = '" + p[0] +
			"' AND batch = " + p[1] + " SETTINGS mutations_sync = 2;"
	}
	args := []string{"test"}
	for _, name := range tests {
		args = append(args, "-s", name)
	}
	failing := func(r result) []string {
		var out []string
		for _, name := range tests {
			if strings.Contains(r.stdout, "FAIL test "+name+" ") {
				out = append(out, name)
			}
		}
		return out
	}
	exec(back + change(newWeek, newDay, "1"))
	if r := dwm(t, dir, nil, args...); r.code == 0 || len(failing(r)) != len(tests) {
		t.Fatalf("a bad row of week %s and day %s: want both tests failing, got exit %d, failing %v:\n%s", newWeek, newDay, r.code, failing(r), tail(r.stdout, 20))
	}
	exec(change(newWeek, newDay, "-1") + change(oldWeek, oldDay, "1"))
	if r := dwm(t, dir, nil, args...); r.code != 0 {
		t.Fatalf("a bad row of week %s and day %s, before the batch they check: want both tests passing, got exit %d, failing %v:\n%s", oldWeek, oldDay, r.code, failing(r), tail(r.stdout, 20))
	}
	if r := dwm(t, dir, nil, append(args, "--full")...); r.code == 0 || len(failing(r)) != len(tests) {
		t.Fatalf("a bad row of week %s and day %s under --full: want both tests failing, got exit %d, failing %v:\n%s", oldWeek, oldDay, r.code, failing(r), tail(r.stdout, 20))
	}
	exec(change(oldWeek, oldDay, "-1"))
}
