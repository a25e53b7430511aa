package e2e

import (
	"encoding/csv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// subjectValues reads the landed CSV files (the ground truth, outside the warehouse) and returns,
// for the users chosen by pick, every username, email, device_id and session_id they ever had.
func subjectValues(t *testing.T, dir string, pick func(ids map[string]bool, rec map[string]string)) (map[string]bool, []string) {
	t.Helper()
	ids := map[string]bool{}
	users, _ := filepath.Glob(filepath.Join(dir, "data/cdc/*/users.csv"))
	events, _ := filepath.Glob(filepath.Join(dir, "data/cdc/*/event_stream.csv"))
	var all []map[string]string
	for _, f := range users {
		all = append(all, readCSV(t, f)...)
	}
	for _, r := range all {
		pick(ids, r)
	}
	vals := map[string]bool{}
	for _, r := range all {
		if ids[r["user_id"]] {
			vals[r["username"]], vals[r["email"]] = true, true
		}
	}
	for _, f := range events {
		for _, r := range readCSV(t, f) {
			if ids[r["user_id"]] {
				vals[r["device_id"]], vals[r["session_id"]] = true, true
			}
		}
	}
	delete(vals, "")
	var out []string
	for v := range vals {
		out = append(out, v)
	}
	sort.Strings(out)
	return ids, out
}

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		out = append(out, m)
	}
	return out
}

// deletedUpstream picks the users whose account was deleted in the backend.
func deletedUpstream(ids map[string]bool, r map[string]string) {
	if strings.EqualFold(r["op"], "DELETE") || r["is_deleted"] == "true" {
		ids[r["user_id"]] = true
	}
}

// show runs a query through dwm show and returns its CSV rows without the header.
func show(t *testing.T, dir, sql string) [][]string {
	t.Helper()
	r := mustDwm(t, dir, "show", "--inline", sql, "-o", "csv", "--limit", "-1")
	recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("show %.300q: %v\n%s", sql, err, r.stdout)
	}
	return recs[1:]
}

// leaks scans every String column (plain, Nullable, LowCardinality, FixedString) of every table
// and view of the warehouse's database for the values, and returns "table.column: n rows" for
// each hit.
func leaks(t *testing.T, dir string, values []string) []string {
	t.Helper()
	// Array(String) too: a load's classification keeps rejected rows' raw texts in one array.
	cols := show(t, dir, "SELECT table, name, startsWith(type, 'Array(') FROM system.columns WHERE database = 'duolingo' AND "+
		"match(type, '^(Array\\\\()?(LowCardinality\\\\()?(Nullable\\\\()?(String|FixedString)') ORDER BY table, name")
	if len(cols) < 20 {
		t.Fatalf("only %d string columns found", len(cols))
	}
	// The values go in a file the query reads: too many for a command line.
	file := filepath.Join(t.TempDir(), "values.csv")
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, v := range values {
		_ = w.Write([]string{v})
	}
	w.Flush()
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	set := "(SELECT v FROM file('" + file + "', 'CSV', 'v String'))"
	var sel []string
	for _, c := range cols {
		from, v := "duolingo.`"+c[0]+"`", "toString(`"+c[1]+"`)"
		if c[2] == "true" || c[2] == "1" {
			from, v = from+" ARRAY JOIN `"+c[1]+"` AS _v", "_v"
		}
		sel = append(sel, "SELECT '"+c[0]+"."+c[1]+"' AS col, count() AS n FROM "+from+" WHERE "+v+" IN "+set)
	}
	var out []string
	// One statement: each dwm process opens the warehouse, which costs more than the scan.
	for _, r := range show(t, dir, "SELECT col, n FROM ("+strings.Join(sel, " UNION ALL ")+") WHERE n > 0 ORDER BY col") {
		out = append(out, r[0]+": "+r[1]+" rows")
	}
	return out
}

// TestGDPRErasure works on a copy of the crash tests' build scene (week 1 built, weeks 2 to 4 in
// one build; TestSimulateIdempotentAndFullRefresh scans its 4-week warehouse for users deleted
// upstream): users deleted upstream leave no personal value in any String column of any
// relation; a live user erased on request neither, with the history rows kept and blanked; a
// kill at random points of the erasure (twice, the re-run killed too) and a re-run give the same
// tables; a --full-refresh from the raw files brings nothing back and gives the same tables; a
// later week's files (which still carry the user's values) are loaded without them; and the
// files rewritten by erase --files rebuild the same warehouse.
func TestGDPRErasure(t *testing.T) {
	t.Parallel()
	dir := copyOf(t, buildScene(t).ref)
	deleted, values := subjectValues(t, dir, deletedUpstream)
	if len(deleted) == 0 || len(values) < 2*len(deleted) {
		t.Fatalf("the scene deleted %d users with %d personal values; the test needs some", len(deleted), len(values))
	}
	if l := leaks(t, dir, values); len(l) > 0 {
		t.Fatalf("personal data of %d users deleted upstream left after the build:\n%s", len(deleted), strings.Join(l, "\n"))
	}
	// The scan itself finds what it looks for: the raw files still hold the values, and so does
	// the warehouse for a live user before the erasure (below).
	if rows := show(t, dir, "SELECT count() FROM file('data/cdc/*/users.csv', CSVWithNames) WHERE toString(user_id) IN ('"+
		strings.Join(keys(deleted), "','")+"') AND username != ''"); rows[0][0] == "0" {
		t.Fatal("the landed files hold no personal data of the deleted users: the scan proves nothing")
	}

	// A live user with events, and events in the next week's files too: erased on request. The
	// next week is generated now (the generator is deterministic) and loaded after the erasure.
	gen := t.TempDir()
	mustDwm(t, dir, append([]string{"generate", "--weeks", "5", "-q", "--out", gen}, small...)...)
	live := show(t, dir, "SELECT toString(user_id) FROM duolingo.users WHERE is_current AND is_active AND user_id IN "+
		"(SELECT user_id FROM duolingo.event_stream) AND user_id IN (SELECT user_id FROM file('"+
		filepath.Join(gen, "w005", "event_stream.csv")+"', CSVWithNames)) ORDER BY user_id LIMIT 1")[0][0]
	_, liveValues := subjectValues(t, dir, func(ids map[string]bool, r map[string]string) { ids[live] = true })
	if l := leaks(t, dir, liveValues); len(l) == 0 {
		t.Fatalf("user %s's values are not in the warehouse before the erasure: the scan proves nothing", live)
	}
	versions := "SELECT count(), countIf(username = '' AND email = '' AND birth_date IS NULL), max(version) FROM duolingo.users WHERE user_id = " + live
	before := show(t, dir, versions)
	sums := contents(t, dir)
	crash := copyOf(t, dir)
	stmts := filepath.Join(t.TempDir(), "erase.log")
	if r := dwm(t, dir, []string{"DWM_STATEMENT_LOG=" + stmts}, "erase", "users", live); r.code != 0 {
		t.Fatalf("dwm erase users %s: exit %d\n%s%s", live, r.code, r.stdout, r.stderr)
	}
	want := contents(t, dir)
	if l := leaks(t, dir, liveValues); len(l) > 0 {
		t.Fatalf("dwm erase users %s left:\n%s", live, strings.Join(l, "\n"))
	}
	after := show(t, dir, versions)
	if after[0][0] != before[0][0] || after[0][1] != after[0][0] || after[0][2] != before[0][2] {
		t.Fatalf("user %s's history: before %v, after %v; want the same versions, all blanked", live, before, after)
	}
	if d := diffSums(sums, want); len(d) == 0 {
		t.Fatal("the erasure changed no checksum")
	}
	again := mustDwm(t, dir, "erase", "users", live)
	if !strings.Contains(again.stdout, "0 of 1 keys newly logged") || strings.Contains(again.stdout, "scrubbed") {
		t.Fatalf("a second erase of the same user did something:\n%s", again.stdout)
	}

	// Killed at a random statement of the erasure, the re-run killed at another, then run again:
	// the same tables (every table dwm owns) as the uninterrupted erase.
	n := len(readStatementLog(t, stmts, dir))
	if n < 3 {
		t.Fatalf("the erasure ran %d statements", n)
	}
	rng := rand.New(rand.NewPCG(crashSeed(t), 12))
	first := 1 + rng.IntN(n-1) // the copy runs the same statements as the reference: always reached
	r := dwm(t, crash, []string{"DWM_CRASH_AFTER=" + strconv.Itoa(first)}, "erase", "users", live)
	if !r.killed {
		t.Fatalf("crash point %d of %d was not reached (exit %d):\n%s%s", first, n, r.code, r.stdout, r.stderr)
	}
	second := 1 + rng.IntN(n-1) // the re-run may finish before it: then it was not killed
	r = dwm(t, crash, []string{"DWM_CRASH_AFTER=" + strconv.Itoa(second)}, "erase", "users", live)
	if !r.killed && r.code != 0 {
		t.Fatalf("the re-run after a kill at statement %d failed (exit %d):\n%s%s", first, r.code, r.stdout, r.stderr)
	}
	mustDwm(t, crash, "erase", "users", live)
	if d := diffSums(want, contents(t, crash)); len(d) > 0 {
		t.Fatalf("after kills at statements %d and %d (of %d) and a re-run, contents differ:\n%s", first, second, n, strings.Join(d, "\n"))
	}
	if l := leaks(t, crash, liveValues); len(l) > 0 {
		t.Fatalf("after kills at statements %d and %d and a re-run:\n%s", first, second, strings.Join(l, "\n"))
	}

	// A rebuild from the raw files, which still hold everything: nothing comes back, and every
	// table dwm owns is the one the erasure left.
	mustDwm(t, dir, "build", "--full-refresh")
	if l := leaks(t, dir, append(values, liveValues...)); len(l) > 0 {
		t.Fatalf("personal data of erased users back after --full-refresh:\n%s", strings.Join(l, "\n"))
	}
	if d := diffSums(want, contents(t, dir)); len(d) > 0 {
		t.Fatalf("--full-refresh after the erasure differs:\n%s", strings.Join(d, "\n"))
	}
	log := show(t, dir, "SELECT count(), countIf(reason = 'upstream delete') FROM duolingo.dwm_erasure_log WHERE event = 'erase'")
	if log[0][0] != strconv.Itoa(len(deleted)+1) || log[0][1] != strconv.Itoa(len(deleted)) {
		t.Fatalf("erasure log holds %v erased keys, want %d upstream deletes and 1 request", log, len(deleted))
	}

	// A later week: its files still carry the user's values (the backend does not know of the
	// erasure); the build loads them blanked.
	if err := copyTree(filepath.Join(gen, "w005"), filepath.Join(dir, "data", "cdc", "w005")); err != nil {
		t.Fatal(err)
	}
	_, laterValues := subjectValues(t, dir, func(ids map[string]bool, r map[string]string) { ids[live] = true })
	if len(laterValues) <= len(liveValues) {
		t.Fatalf("week 5 brings no new value of user %s (%d values, %d before): the check proves nothing", live, len(laterValues), len(liveValues))
	}
	if r := mustDwm(t, dir, "build"); !strings.Contains(r.stdout, "ERROR=0") {
		t.Fatalf("week 5 build:\n%s", tail(r.stdout, 20))
	}
	if l := leaks(t, dir, append(values, laterValues...)); len(l) > 0 {
		t.Fatalf("week 5's build brought erased users' values:\n%s", strings.Join(l, "\n"))
	}
	if got := show(t, dir, versions); got[0][1] != got[0][0] {
		t.Fatalf("user %s's history after week 5: %v; want every version blanked", live, got)
	}
	want5 := checksums(t, dir)

	// The landed files: rewritten, recorded in the ledger, and a rebuild from them is the same.
	r = mustDwm(t, dir, "erase", "users", "--files")
	if !strings.Contains(r.stdout, "users.csv") || !strings.Contains(r.stdout, "event_stream.csv") {
		t.Fatalf("erase --files rewrote:\n%s", r.stdout)
	}
	erasedIDs := map[string]bool{live: true}
	for k := range deleted {
		erasedIDs[k] = true
	}
	if _, left := subjectValues(t, dir, func(ids map[string]bool, r map[string]string) {
		if erasedIDs[r["user_id"]] {
			ids[r["user_id"]] = true
		}
	}); len(left) > 0 {
		t.Fatalf("the landed files still hold %d personal values of erased users", len(left))
	}
	if rows := show(t, dir, "SELECT count() FROM duolingo.dwm_ledger WHERE kind = 'erasure'"); rows[0][0] == "0" {
		t.Fatal("the ledger records no erasure of files")
	}
	if again := mustDwm(t, dir, "erase", "users", "--files"); strings.Contains(again.stdout, "rewrote") {
		t.Fatalf("a second erase --files rewrote again:\n%s", again.stdout)
	}
	mustDwm(t, dir, "build", "--full-refresh")
	if d := diffSums(want5, checksums(t, dir)); len(d) > 0 {
		t.Fatalf("--full-refresh from the rewritten files differs:\n%s", strings.Join(d, "\n"))
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
