package cdc

import (
	"testing"
)

// TestFactFromKafkaTable: a fact model that reads a relation by cursor deduplicates like the file
// path (first delivery wins, across batches too), applies quarantine_if, ignores re-delivered
// messages (same offsets) without using up a _load_seq, and quarantines once a row that arrives
// behind the cursor.
func TestFactFromKafkaTable(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := p.model("events", "fact", map[string]any{"unique_key": []string{"event_id"}, "dedupe_scope": "event_date", "cursor": "_offset",
		"quarantine_if": []any{map[string]any{"when": "NOT isValidJSON(payload)", "reason": "payload is not valid JSON"}}})
	sql := "select event_id, event_date, payload, _offset from `" + db + "`.`events_kafka`"
	exec(t, wh, "CREATE TABLE "+db+".events_kafka (event_id String, event_date Date, payload String, _topic String, _offset Int64) ENGINE = MergeTree ORDER BY _offset")
	ins := func(values string) { exec(t, wh, "INSERT INTO "+db+".events_kafka VALUES "+values) }
	ins("('e1', '2026-01-05', '{}', 't', 0), ('e2', '2026-01-05', '{}', 't', 1), ('e3', '2026-01-05', '{', 't', 2), ('e1', '2026-01-05', '{}', 't', 3), ('e4', '2026-01-06', '{}', 't', 4)")
	want := []string{
		"5 rows, 3 loaded, 1 duplicates, 1 quarantined",
		"2 rows, 1 loaded, 1 duplicates",
		"0 rows, 0 loaded", // the consumer re-delivered offsets 5 and 6
		"2 rows, 1 loaded, 1 quarantined",
		"no new rows",
	}
	deliveries := []string{
		"",
		"('e5', '2026-01-06', '{}', 't', 5), ('e2', '2026-01-05', '{}', 't', 6)",
		"('e5', '2026-01-06', '{}', 't', 5), ('e2', '2026-01-05', '{}', 't', 6)",
		"('e9', '2026-01-07', '{}', 't', 2), ('e7', '2026-01-07', '{}', 't', 7)", // e9 behind the cursor
		"",
	}
	for i, d := range deliveries {
		if d != "" {
			ins(d)
		}
		if got := p.mustRun(t, wh, n, sql, false); got != want[i] {
			t.Errorf("run %d: %q, want %q", i+1, got, want[i])
		}
	}
	if got := rows(t, wh, "SELECT event_id, _offset, _load_seq FROM "+db+".events ORDER BY event_id"); got !=
		"e1|0|1\ne2|1|1\ne4|4|1\ne5|5|2\ne7|7|3" {
		t.Errorf("events =\n%s", got)
	}
	if got := rows(t, wh, "SELECT event_id, _offset, _load_seq, reason FROM "+db+".events__quarantine ORDER BY _load_seq"); got !=
		"e3|2|1|payload is not valid JSON\ne9|2|3|_offset 2 is at or below 6, the cursor committed before it arrived" {
		t.Errorf("quarantine =\n%s", got)
	}
	if got := rows(t, wh, "SELECT kind, batch, cursor_to, cursor_rows, delivered, loaded, duplicates, quarantined FROM "+db+
		".dwm_ledger ORDER BY batch, cursor_rows"); got !=
		"batch|1|4|5|5|3|1|1\nbatch|2|6|7|2|1|1|0\ncursor|3|6|9|0|0|0|0\nbatch|3|7|11|2|1|0|1" {
		t.Errorf("ledger =\n%s", got)
	}
}
