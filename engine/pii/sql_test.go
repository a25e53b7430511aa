package pii

import (
	"strings"
	"testing"
)

// TestFailingSQLAfter pins the batch-scoped pii_erased query: the rows after batch 4 for every
// erased subject, the older rows for the subjects erased since the given time, the key matched
// in its own type and first (PREWHERE), the personal columns after.
func TestFailingSQLAfter(t *testing.T) {
	tg := Target{Table: "`d`.`events`", Key: "user_id", KeyType: "UInt64", Columns: []string{"device"}, Log: "`d`.`dwm_erasure_log`", Subject: "users"}
	got := tg.FailingSQLAfter("_load_seq", 4, "toDateTime('2026-01-01 00:00:00')")
	erased := "`user_id` IN (SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase')"
	kept := " WHERE (NOT (`device` <=> defaultValueOfArgumentType(`device`)))"
	head := "SELECT '`d`.`events`' AS relation, toString(`user_id`) AS subject_key FROM `d`.`events` PREWHERE "
	want := head + "`_load_seq` > 4 AND " + erased + kept + "\nUNION ALL\n" + head + "`_load_seq` <= 4 AND `user_id` IN " +
		"(SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase' AND at >= toDateTime('2026-01-01 00:00:00'))" + kept
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if full := tg.FailingSQL(); full != head+erased+kept {
		t.Fatalf("FailingSQL changed: %s", full)
	}
	if c := tg.CountSQL(); c != "SELECT count() FROM `d`.`events` PREWHERE "+erased+kept {
		t.Fatalf("CountSQL changed: %s", c)
	}
	if s := tg.ScrubSQL(false); s != "ALTER TABLE `d`.`events` UPDATE `device` = defaultValueOfArgumentType(`device`) WHERE "+erased+
		" AND (NOT (`device` <=> defaultValueOfArgumentType(`device`))) SETTINGS mutations_sync = 2" {
		t.Fatalf("ScrubSQL changed: %s", s)
	}
	// A key of a type not known to compare as its text is compared as text.
	tg.KeyType = "UUID"
	if c := tg.CountSQL(); c != "SELECT count() FROM `d`.`events` PREWHERE toString(`user_id`) IN (SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase')"+kept {
		t.Fatalf("CountSQL of a UUID key: %s", c)
	}
	if a := tg.FailingSQLAfter("_load_seq", 4, "x"); !strings.Contains(a, "`_load_seq` <= 4 AND toString(`user_id`) IN (SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase' AND at >= x) WHERE") {
		t.Fatalf("FailingSQLAfter of a UUID key matches the newly erased keys as text too: %s", a)
	}
}

// TestWindowedSQL pins what an erasure window changes: the count adds the rows due now (requests,
// and upstream deletions half a window old), pii_erased checks the overdue ones (a whole window
// old), the scrub stays the same (every logged erasure rides along).
func TestWindowedSQL(t *testing.T) {
	tg := Target{Table: "`d`.`events`", Key: "user_id", KeyType: "UInt64", Columns: []string{"device"}, Log: "`d`.`dwm_erasure_log`", Subject: "users", Within: 3600}
	erased := "`user_id` IN (SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase')"
	keys := func(secs string) string {
		return "`user_id` IN (SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase' AND at + toIntervalSecond(if(reason = 'upstream delete', " + secs + ", 0)) <= now())"
	}
	kept := " WHERE (NOT (`device` <=> defaultValueOfArgumentType(`device`)))"
	if c := tg.CountSQL(); c != "SELECT countIf("+keys("1800")+"), count() FROM `d`.`events` PREWHERE "+erased+kept {
		t.Fatalf("CountSQL: %s", c)
	}
	if f := tg.FailingSQL(); f != "SELECT '`d`.`events`' AS relation, toString(`user_id`) AS subject_key FROM `d`.`events` PREWHERE "+keys("3600")+kept {
		t.Fatalf("FailingSQL: %s", f)
	}
	if s := tg.ScrubSQL(false); !strings.Contains(s, " WHERE "+erased+" AND (NOT") {
		t.Fatalf("ScrubSQL: %s", s)
	}
	if r := RequestSQL("`d`.`dwm_erasure_log`", "users", "request", []string{"1"}, true); !strings.HasSuffix(r,
		"WHERE k NOT IN (SELECT key FROM `d`.`dwm_erasure_log` WHERE subject = 'users' AND event = 'erase' AND reason != 'upstream delete')") {
		t.Fatalf("RequestSQL with a window: %s", r)
	}
}
