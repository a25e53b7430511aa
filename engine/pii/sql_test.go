package pii

import "testing"

// TestFailingSQLAfter pins the batch-scoped pii_erased query: the rows after batch 4 for every
// erased subject, the older rows for the subjects erased since the given time, matched on the
// key in its own type first.
func TestFailingSQLAfter(t *testing.T) {
	tg := Target{Table: "`d`.`events`", Key: "user_id", Columns: []string{"device"}, Log: "`d`.`dwm_erasure_log`", Subject: "users"}
	got := tg.FailingSQLAfter("_load_seq", 4, "toDateTime('2026-01-01 00:00:00')")
	left := "toString(`user_id`) IN (SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase')" +
		" AND (NOT (`device` <=> defaultValueOfArgumentType(`device`)))"
	head := "SELECT '`d`.`events`' AS relation, toString(`user_id`) AS subject_key FROM `d`.`events` WHERE "
	want := head + "`_load_seq` > 4 AND " + left + "\nUNION ALL\n" + head + "`_load_seq` <= 4 AND `user_id` IN " +
		"(SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase' AND at >= toDateTime('2026-01-01 00:00:00')) AND " + left
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if full := tg.FailingSQL(); full != head+left {
		t.Fatalf("FailingSQL changed: %s", full)
	}
}
