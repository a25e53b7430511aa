package e2e

import (
	"strconv"
	"strings"
	"testing"
)

// TestSimulateIdempotentAndFullRefresh runs the README's main job (its tour's simulate command) at
// small scale, then checks that a second build with no new files changes nothing and that
// --full-refresh from the same files gives identical contents; after the simulation and after the
// refresh, no personal value of a user deleted upstream is anywhere (docs/gdpr.md). On that
// warehouse it then runs every other dwm command of README.md's tour and docs/warehouse.md as
// written (runDocCommands), so the docs cannot rot.
func TestSimulateIdempotentAndFullRefresh(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	cmds := docCommands(t)
	if len(cmds) == 0 || strings.Join(cmds[0].args, " ") != "simulate --weeks 4" {
		t.Fatalf("README's tour should start with simulate --weeks 4, found %v", cmds)
	}
	r := mustDwm(t, dir, append(append([]string{}, cmds[0].args...), append([]string{"-q"}, small...)...)...)
	for w := 1; w <= 4; w++ {
		if !strings.Contains(r.stdout, "week "+strconv.Itoa(w)+" summary:") {
			t.Fatalf("no summary for week %d:\n%s", w, tail(r.stdout, 30))
		}
	}
	if strings.Contains(r.stdout, "FAILED") {
		t.Fatalf("a week failed:\n%s", tail(r.stdout, 40))
	}
	// Issue 12's first acceptance point, on this warehouse rather than a simulation of its own:
	// no personal value of a user deleted upstream is left in any String column of any relation.
	deleted, values := subjectValues(t, dir, deletedUpstream)
	if len(deleted) == 0 || len(values) < 2*len(deleted) {
		t.Fatalf("the simulation deleted %d users with %d personal values; the check needs some", len(deleted), len(values))
	}
	if l := leaks(t, dir, values); len(l) > 0 {
		t.Fatalf("personal data of %d users deleted upstream left after the simulation:\n%s", len(deleted), strings.Join(l, "\n"))
	}
	activeUsersByDefinition(t, dir)
	incremental := checksums(t, dir)
	// Every table dwm owns too (ledger, __versions with each change's hash, quarantines): users
	// deleted upstream are erased, and a scrub that kept hashes of their original values left
	// users__versions differing from the rebuild (e2e TestCrashRecovery, DWM_CRASH_SEED=7798340077676379690).
	owned := contents(t, dir)

	again := mustDwm(t, dir, "build")
	if !strings.Contains(again.stdout, "ERROR=0") {
		t.Fatalf("second build:\n%s", tail(again.stdout, 20))
	}
	if d := diffSums(incremental, checksums(t, dir)); len(d) > 0 {
		t.Fatalf("a build with no new files changed the warehouse:\n%s", strings.Join(d, "\n"))
	}

	mustDwm(t, dir, "build", "--full-refresh")
	if l := leaks(t, dir, values); len(l) > 0 {
		t.Fatalf("personal data of users deleted upstream back after --full-refresh:\n%s", strings.Join(l, "\n"))
	}
	if d := diffSums(incremental, checksums(t, dir)); len(d) > 0 {
		t.Fatalf("--full-refresh differs from the incremental weekly runs:\n%s", strings.Join(d, "\n"))
	}
	if d := diffSums(owned, contents(t, dir)); len(d) > 0 {
		t.Fatalf("--full-refresh differs from the incremental weekly runs in the tables dwm keeps:\n%s", strings.Join(d, "\n"))
	}
	scopedReconciliations(t, dir)

	runDocCommands(t, dir, cmds[1:], small)
}

// activeUsersByDefinition compares mart_active_users, which counts each user's (day, days since
// the latest active day) rows, with the definition computed the direct way: the distinct users
// with an event on the day, in its last 7 and in its last 28 days.
func activeUsersByDefinition(t *testing.T, dir string) {
	t.Helper()
	direct := `SELECT toDate(d + k) AS activity_date, toUInt32(uniqExactIf(user_id, k = 0)) AS dau,
	  toUInt32(uniqExactIf(user_id, k < 7)) AS wau, toUInt32(uniqExact(user_id)) AS mau
	FROM (SELECT DISTINCT user_id, event_date AS d FROM duolingo.event_stream) ARRAY JOIN range(28) AS k
	WHERE activity_date <= (SELECT max(event_date) FROM duolingo.event_stream) GROUP BY activity_date`
	mart := "SELECT activity_date, dau, wau, mau FROM duolingo.mart_active_users"
	got := show(t, dir, "SELECT (SELECT count() FROM ("+mart+")), (SELECT count() FROM ("+mart+" EXCEPT "+direct+
		")), (SELECT count() FROM ("+direct+" EXCEPT "+mart+"))")
	if len(got) != 1 || got[0][0] == "0" || got[0][1] != "0" || got[0][2] != "0" {
		t.Fatalf("mart_active_users (days, rows not in the definition, rows of the definition missing) = %v", got)
	}
}
