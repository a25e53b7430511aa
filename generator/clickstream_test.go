package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

type lessonPayload struct {
	LessonID  *int   `json:"lesson_id"`
	XPEarned  *int   `json:"xp_earned"`
	Score     *int   `json:"score"`
	Mistakes  *int   `json:"mistakes_made"`
	TimeSpent *int   `json:"time_spent_seconds"`
	Status    string `json:"status"`
}

// eventWeek returns the week number (1-based) of an event_timestamp.
func eventWeek(t *testing.T, o Options, ts string) int {
	tm, err := time.Parse("2006-01-02 15:04:05.000", ts)
	if err != nil {
		t.Fatalf("event_timestamp %q: %v", ts, err)
	}
	return int(tm.Sub(o.Start)/(7*24*time.Hour)) + 1
}

// TestClickstreamTruth checks the XP truth (deduplicated, by timestamp week, completed lessons only),
// that only assigned users have events, and that the manifest's fault counts match the files.
func TestClickstreamTruth(t *testing.T) {
	o := testOptions(t)
	generate(t, o)
	known := map[string]bool{}
	ref := readTable(t, filepath.Join(o.Out, WeekDir(0), "event_types.csv"), HeaderEventTypes)
	for _, r := range ref.rows {
		known[ref.get(r, "event_type_id")] = true
	}
	assigned := map[int]map[string]bool{} // week -> user_id -> assigned
	finalXP := map[int]map[string]int{}   // week -> user_id -> total_xp_earned
	for k := 1; k <= o.Weeks; k++ {
		w := readWeek(t, o.Out, k)
		assigned[k], finalXP[k] = map[string]bool{}, map[string]int{}
		for _, r := range w.assignments.rows {
			assigned[k][w.assignments.get(r, "user_id")] = true
			if w.assignments.get(r, "op") == OpUpdate {
				finalXP[k][w.assignments.get(r, "user_id")] = w.assignments.int(t, r, "total_xp_earned")
			}
		}
	}

	seen := map[string]bool{} // every event_id delivered so far, across files
	xp := map[int]map[string]int{}
	completions := map[int]int64{}
	var faults [4]int64
	for k := 1; k <= o.Weeks; k++ {
		dir := filepath.Join(o.Out, WeekDir(k))
		ev := readTable(t, filepath.Join(dir, "event_stream.csv"), HeaderEvents)
		m := readManifest(t, dir)
		prevSeen := seen
		seen = map[string]bool{}
		var dups, late, malformed, unknown int64
		for _, r := range ev.rows {
			id := ev.get(r, "event_id")
			if len(id) != 36 || id[8] != '-' || id[14] != '4' {
				t.Fatalf("week %d: event_id %q is not UUID-shaped", k, id)
			}
			wk := eventWeek(t, o, ev.get(r, "event_timestamp"))
			if ev.get(r, "event_date") != ev.get(r, "event_timestamp")[:10] {
				t.Fatalf("week %d: event_date disagrees with timestamp: %v", k, r)
			}
			if !assigned[wk][ev.get(r, "user_id")] {
				t.Fatalf("week %d: event of user %s, not assigned in week %d", k, ev.get(r, "user_id"), wk)
			}
			if seen[id] || prevSeen[id] {
				dups++
				continue
			}
			seen[id] = true
			if wk < k {
				late++
			} else if wk != k {
				t.Fatalf("week %d: event from the future week %d", k, wk)
			}
			payload := ev.get(r, "payload")
			if !json.Valid([]byte(payload)) {
				malformed++
				continue
			}
			typ := ev.get(r, "event_type_id")
			if !known[typ] {
				unknown++
				continue
			}
			if typ != strconv.Itoa(EvLessonComplete) {
				continue
			}
			var p lessonPayload
			if err := json.Unmarshal([]byte(payload), &p); err != nil || p.LessonID == nil || p.XPEarned == nil || p.Score == nil || *p.Score > 100 || p.Mistakes == nil || p.TimeSpent == nil {
				t.Fatalf("week %d: bad lesson payload %s (%v)", k, payload, err)
			}
			if p.Status == "completed" {
				if xp[wk] == nil {
					xp[wk] = map[string]int{}
				}
				xp[wk][ev.get(r, "user_id")] += *p.XPEarned
				completions[wk]++
			}
		}
		got := Faults{Duplicates: dups, MalformedJSON: malformed, UnknownEventType: unknown, LateArrivals: late}
		if got != *m.Faults {
			t.Errorf("week %d: faults in file %+v, manifest %+v", k, got, *m.Faults)
		}
		if int64(len(ev.rows)) != m.Truth.EventsDelivered {
			t.Errorf("week %d: %d rows, manifest says %d delivered", k, len(ev.rows), m.Truth.EventsDelivered)
		}
		faults[0] += dups
		faults[1] += malformed
		faults[2] += unknown
		faults[3] += late
		checkFiles(t, dir, m)
	}
	for i, n := range faults {
		if n == 0 {
			t.Errorf("fault kind %d never occurred; the test would not notice a miscount", i)
		}
	}
	for k := 1; k <= o.Weeks; k++ {
		m := readManifest(t, filepath.Join(o.Out, WeekDir(k)))
		var total int64
		for uid, want := range finalXP[k] {
			if xp[k][uid] != want {
				t.Fatalf("week %d user %s: clickstream XP %d, assignment total_xp_earned %d", k, uid, xp[k][uid], want)
			}
			total += int64(want)
		}
		if total != m.Truth.TotalXP || completions[k] != m.Truth.LessonCompletions {
			t.Errorf("week %d: XP %d and %d completions, manifest %d and %d", k, total, completions[k], m.Truth.TotalXP, m.Truth.LessonCompletions)
		}
	}
}

// checkFiles verifies the manifest's row counts and checksums against the files on disk.
func checkFiles(t *testing.T, dir string, m Manifest) {
	t.Helper()
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: checksum differs from manifest", f.Name)
		}
		lines := int64(0)
		for _, c := range b {
			if c == '\n' {
				lines++
			}
		}
		if lines-1 != f.Rows { // no field contains a newline, so lines = rows + header
			t.Errorf("%s: %d rows, manifest says %d", f.Name, lines-1, f.Rows)
		}
	}
}
