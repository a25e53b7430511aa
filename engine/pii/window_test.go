package pii

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

func TestParseWithin(t *testing.T) {
	for in, want := range map[any]time.Duration{"30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "72h": 72 * time.Hour,
		"90m": 90 * time.Minute, " 45s ": 45 * time.Second, "0": 0, "0s": 0, 0: 0} {
		if got, err := ParseWithin(in); err != nil || got != want {
			t.Errorf("ParseWithin(%#v) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []any{"", "d", "-1d", "1.5d", "-1h", "500ms", "soon", 30, true} {
		if got, err := ParseWithin(bad); err == nil {
			t.Errorf("ParseWithin(%#v) = %v, want an error", bad, got)
		}
	}
	for d, want := range map[time.Duration]string{14 * 24 * time.Hour: "14d", 90 * time.Minute: "1h30m0s"} {
		if got := FormatWithin(d); got != want {
			t.Errorf("FormatWithin(%v) = %q, want %q", d, got, want)
		}
		if back, err := ParseWithin(FormatWithin(d)); err != nil || back != d {
			t.Errorf("ParseWithin(FormatWithin(%v)) = %v, %v", d, back, err)
		}
	}
	m := fixture("d")
	m.Nodes["model.p.users"].Meta["pii_erase_within"] = "a month"
	if _, err := Read(m); err == nil || !strings.Contains(err.Error(), "model users: meta pii_erase_within") {
		t.Fatalf("a bad window: %v", err)
	}
	m.Nodes["model.p.users"].Meta["pii_erase_within"] = "30d"
	tags, err := Read(m)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := tags.Subject("users"); s.Within != 30*24*time.Hour {
		t.Fatalf("window = %v", s.Within)
	}
}

// TestErasureWindow: with pii_erase_within, an upstream deletion waits until half the window has
// passed, then its table is scrubbed and every erasure logged by then rides along; pii_erased
// fails only once the whole window has passed; a request is scrubbed at once, even for a key an
// upstream deletion logged. The log's times are set by hand: they are data, and waiting hours is
// not a test.
func TestErasureWindow(t *testing.T) {
	wh, db := shared.Database(t, "window")
	ctx := context.Background()
	q := manifest.QuoteIdent(db) + "."
	log := q + LogTable
	chdbtest.Exec(t, wh, "CREATE TABLE "+q+"events (user_id UInt64, device_id String, payload String) ENGINE = MergeTree ORDER BY tuple()")
	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events SELECT number % 6, concat('dev-', toString(number % 6)), '{}' FROM numbers(12)")
	chdbtest.Exec(t, wh, LogDDL(log))
	m := fixture(db)
	m.Nodes["model.p.users"].Meta["pii_erase_within"] = "2h"
	tags, err := Read(m)
	if err != nil {
		t.Fatal(err)
	}
	e := &Eraser{WH: wh, Manifest: m, Tags: tags}
	upstream := func(key string, ago time.Duration) {
		chdbtest.Exec(t, wh, "INSERT INTO "+log+" (subject, key, event, reason, at) SELECT 'users', '"+key+"', 'erase', '"+ReasonUpstream+
			"', now() - toIntervalSecond("+strconv.Itoa(int(ago/time.Second))+")")
	}
	devices := func() string {
		return chdbtest.Rows(t, wh, "SELECT arrayStringConcat(groupArray(device_id), ',') FROM (SELECT device_id FROM "+q+"events ORDER BY device_id)", "")
	}
	failing := func() string {
		var out []string
		for _, tg := range mustTargets(t, e, "events") {
			if tg.Within != 7200 {
				t.Fatalf("target window %d s, want 7200", tg.Within)
			}
			out = append(out, strings.ReplaceAll(chdbtest.Rows(t, wh, "SELECT DISTINCT subject_key FROM ("+tg.FailingSQL()+") ORDER BY subject_key", ""), "\n", ","))
		}
		return strings.Join(out, ";")
	}
	scrub := func() uint64 {
		t.Helper()
		done, err := e.AfterBuild(ctx, "events")
		if err != nil {
			t.Fatal(err)
		}
		var rows uint64
		for _, d := range done {
			rows += d.Rows
		}
		return rows
	}
	all := "dev-0,dev-0,dev-1,dev-1,dev-2,dev-2,dev-3,dev-3,dev-4,dev-4,dev-5,dev-5"

	// Logged 30 minutes ago, a quarter of the window: waits, and is not overdue.
	upstream("1", 30*time.Minute)
	if rows := scrub(); rows != 0 || devices() != all || failing() != "" {
		t.Fatalf("a deletion inside the first half of its window: scrubbed %d rows, devices %s, pii_erased finds %q", rows, devices(), failing())
	}
	// 70 minutes ago: due. A deletion logged a minute ago rides along in the same rewrite.
	chdbtest.Exec(t, wh, "ALTER TABLE "+log+" UPDATE at = now() - toIntervalMinute(70) WHERE key = '1' SETTINGS mutations_sync = 2")
	upstream("2", time.Minute)
	if f := failing(); f != "" {
		t.Fatalf("due is not overdue: pii_erased finds %q", f)
	}
	if rows := scrub(); rows != 4 || devices() != ",,,,dev-0,dev-0,dev-3,dev-3,dev-4,dev-4,dev-5,dev-5" {
		t.Fatalf("a due deletion: scrubbed %d rows (want 4: its own and the pending one's), devices %s", rows, devices())
	}
	// Overdue (logged 3 hours ago) values are what pii_erased fails on, pending ones are not.
	upstream("3", 3*time.Hour)
	upstream("4", 10*time.Minute)
	if f := failing(); f != "3" {
		t.Fatalf("pii_erased finds %q, want the overdue subject 3 only", f)
	}
	if rows := scrub(); rows != 4 || failing() != "" {
		t.Fatalf("overdue: scrubbed %d rows, pii_erased then finds %q", rows, failing())
	}
	// A request is scrubbed at once: a new key, and a key an upstream deletion logged a minute ago.
	upstream("5", time.Minute)
	added, done, err := e.Request(ctx, "users", []string{"5", "0"})
	if err != nil || added != 2 || len(done) != 1 || done[0].Rows != 4 {
		t.Fatalf("request: added %d, scrubbed %+v, %v", added, done, err)
	}
	if d := devices(); d != strings.Repeat(",", 11) {
		t.Fatalf("after the request, devices %q", d)
	}
	if added, _, err := e.Request(ctx, "users", []string{"5"}); err != nil || added != 0 {
		t.Fatalf("a repeated request logged %d keys, %v", added, err)
	}
}

// TestErasureWindowBatchScoped: the batch-scoped pii_erased checks the newer batches for every
// overdue subject, the older ones for the subjects that fell overdue since its last pass.
func TestErasureWindowBatchScoped(t *testing.T) {
	wh, db := shared.Database(t, "windowbatch")
	q := manifest.QuoteIdent(db) + "."
	log := q + LogTable
	chdbtest.Exec(t, wh, "CREATE TABLE "+q+"events (user_id UInt64, device_id String, _load_seq UInt64) ENGINE = MergeTree ORDER BY tuple()")
	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events SELECT number % 4, 'dev', intDiv(number, 4) + 1 FROM numbers(8)")
	chdbtest.Exec(t, wh, LogDDL(log))
	// 0: overdue for 3 hours (before the last pass), 1: overdue for 10 minutes (since it),
	// 2: pending, 3: a request logged 2 hours ago (overdue at once, before the last pass).
	chdbtest.Exec(t, wh, "INSERT INTO "+log+" (subject, key, event, reason, at) VALUES "+
		"('users', '0', 'erase', '"+ReasonUpstream+"', now() - INTERVAL 5 HOUR), ('users', '1', 'erase', '"+ReasonUpstream+"', now() - INTERVAL 130 MINUTE), "+
		"('users', '2', 'erase', '"+ReasonUpstream+"', now() - INTERVAL 30 MINUTE), ('users', '3', 'erase', 'request', now() - INTERVAL 2 HOUR)")
	tg := Target{Table: q + "events", Key: "user_id", KeyType: "UInt64", Columns: []string{"device_id"}, Log: log, Subject: "users", Within: 7200}
	got := chdbtest.Rows(t, wh, "SELECT toString(_load_seq) || ':' || subject_key FROM ("+
		strings.Replace(tg.FailingSQLAfter("_load_seq", 1, "now() - INTERVAL 1 HOUR"), "toString(`user_id`) AS subject_key", "toString(`user_id`) AS subject_key, _load_seq", 2)+
		") ORDER BY 1", ",")
	if got = strings.ReplaceAll(got, "\n", ","); got != "1:1,2:0,2:1,2:3" {
		t.Fatalf("batch-scoped pii_erased with a window finds %q, want batch 2's overdue subjects 0, 1, 3 and batch 1's newly overdue 1", got)
	}
}
