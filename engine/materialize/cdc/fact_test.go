package cdc

import (
	"context"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
)

const eventsHeader = "event_id,user_id,event_type_id,event_timestamp,event_date,payload\n"

func eventsFact(p *project) *manifest.Node {
	p.model("event_types", "table", nil)
	return p.model("event_stream", "fact", map[string]any{
		"files": "cdc/*/event_stream.csv", "unique_key": []string{"event_id"}, "dedupe_scope": "event_date",
		"quarantine_if": []any{
			map[string]any{"when": "NOT isValidJSON(payload)", "reason": "payload is not valid JSON"},
			map[string]any{"when": "event_type_id NOT IN (SELECT event_type_id FROM ref('event_types'))", "reason": "unknown event_type_id"},
		}},
		manifest.Column{Name: "user_id", DataType: "UInt64"}, manifest.Column{Name: "event_type_id", DataType: "UInt16"},
		manifest.Column{Name: "event_timestamp", DataType: "DateTime64(3)"}, manifest.Column{Name: "event_date", DataType: "Date"})
}

// TestFactDeduplicatesAndQuarantines runs with the default ORDER BY (dedupe_scope, unique_key)
// and with config order_by: the order changes how the table is sorted, never what is loaded.
func TestFactDeduplicatesAndQuarantines(t *testing.T) {
	for _, tc := range []struct{ name, orderBy, sortingKey string }{
		{"default", "", "event_date, event_id"},
		{"order_by", "(event_date, event_timestamp)", "event_date, event_timestamp"},
	} {
		t.Run(tc.name, func(t *testing.T) { factDeduplicatesAndQuarantines(t, tc.orderBy, tc.sortingKey) })
	}
}

func factDeduplicatesAndQuarantines(t *testing.T, orderBy, sortingKey string) {
	wh, db := testDB(t)
	p := newProject(t, db)
	n := eventsFact(p)
	n.Config.UniqueKey = []string{"event_id"}
	n.Config.OrderBy = orderBy
	exec(t, wh, "CREATE TABLE "+db+".event_types ENGINE = MergeTree ORDER BY tuple() AS SELECT toUInt16(number + 1) AS event_type_id FROM numbers(12)")
	p.write(t, "cdc/w001/event_stream.csv", eventsHeader+
		`e1,1,1,2026-01-05 10:00:00.123,2026-01-05,"{""source"":""push""}"`+"\n"+
		`e1,1,1,2026-01-05 10:00:00.123,2026-01-05,"{""source"":""push""}"`+"\n"+ // duplicate in the file
		`e2,1,900,2026-01-05 10:00:01.000,2026-01-05,{}`+"\n"+ // unknown type
		`e3,1,2,2026-01-05 10:00:02.000,2026-01-05,"{""broken"""`+"\n"+ // bad JSON
		`e4,2,3,2026-01-11 23:59:00.500,2026-01-11,{}`+"\n")
	p.write(t, "cdc/w002/event_stream.csv", eventsHeader+
		`e4,2,3,2026-01-11 23:59:00.500,2026-01-11,{}`+"\n"+ // duplicate from the previous file
		`e5,2,x,2026-01-12 08:00:00.000,2026-01-12,{}`+"\n"+ // type error
		`e6,2,4,2026-01-12 09:00:00.000,2026-01-12,{}`+"\n")
	if got := p.mustRun(t, wh, n, "-- depends_on: {{ ref \"event_types\" }}", false); got != "2 files, 3 rows loaded, 2 duplicates, 3 quarantined" {
		t.Errorf("report = %q", got)
	}
	if got := rows(t, wh, "SELECT sorting_key FROM system.tables WHERE database = '"+db+"' AND name = 'event_stream'"); got != sortingKey {
		t.Errorf("sorting key = %q, want %q", got, sortingKey)
	}
	// The table has the config's order: no drift. Another order_by is told (session's keyDrift).
	st, err := materialize.Inspect(context.Background(), wh, db, "event_stream")
	if err != nil {
		t.Fatal(err)
	}
	drift := func(orderBy string) []materialize.KeyClause {
		m := *n
		m.Config.OrderBy = orderBy
		clauses, err := Fact{}.KeyClauses(&m, wh.Capabilities())
		if err != nil {
			t.Fatal(err)
		}
		return materialize.KeyDrift(materialize.WithHave(clauses, st))
	}
	if d := drift(orderBy); len(d) != 0 {
		t.Errorf("drift with the table's own order: %+v", d)
	}
	if d := drift("(user_id, event_id)"); len(d) != 1 || d[0].Have != sortingKey || d[0].Want != "(user_id, event_id)" {
		t.Errorf("drift with another order: %+v", d)
	}
	if got := rows(t, wh, "SELECT event_id, event_timestamp, _load_seq FROM "+db+".event_stream ORDER BY event_id"); got !=
		"e1|2026-01-05 10:00:00.123|1\ne4|2026-01-11 23:59:00.500|1\ne6|2026-01-12 09:00:00.000|2" {
		t.Errorf("facts =\n%s", got)
	}
	if got := rows(t, wh, "SELECT event_id, reason FROM "+db+".event_stream__quarantine ORDER BY event_id"); got !=
		"e2|unknown event_type_id\ne3|payload is not valid JSON\ne5|event_type_id: cannot parse 'x' as UInt16" {
		t.Errorf("quarantine =\n%s", got)
	}
	// The identity holds per file.
	if got := rows(t, wh, "SELECT file, delivered, loaded, duplicates, quarantined, loaded + duplicates + quarantined = delivered FROM "+db+".dwm_ledger ORDER BY seq"); got !=
		"cdc/w001/event_stream.csv|5|2|1|2|1\ncdc/w002/event_stream.csv|3|1|1|1|1" {
		t.Errorf("ledger =\n%s", got)
	}
	sum := "SELECT groupBitXor(cityHash64(event_id, user_id, event_timestamp, payload, _file, _row, _load_seq)) FROM " + db + ".event_stream"
	before := rows(t, wh, sum)
	p.mustRun(t, wh, n, "", true)
	if got := rows(t, wh, sum); got != before {
		t.Errorf("full refresh %s != incremental %s", got, before)
	}
}
