package pii

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// countingWH notes the erasure counts a warehouse runs.
type countingWH struct {
	warehouse.Warehouse
	mu     sync.Mutex
	counts int
}

func (c *countingWH) Query(ctx context.Context, sql string) (*warehouse.Result, error) {
	if strings.HasPrefix(sql, "SELECT count") && strings.Contains(sql, " PREWHERE ") {
		c.mu.Lock()
		c.counts++
		c.mu.Unlock()
	}
	return c.Warehouse.Query(ctx, sql)
}

func (c *countingWH) take() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.counts
	c.counts = 0
	return n
}

// TestScrubSkipsACleanTableUntilItOrTheErasuresDueChange: a table whose count found nothing due
// is not counted again while it and the erasures due stay as they were; every change that can
// bring a value to scrub is counted and scrubbed: rows written, an erasure requested, an upstream
// deletion falling due with time, a column newly tagged, the table dropped and created again with
// the same part names. Each case fails when the state leaves out what it changes.
func TestScrubSkipsACleanTableUntilItOrTheErasuresDueChange(t *testing.T) {
	base, db := shared.Database(t, "checked")
	wh := &countingWH{Warehouse: base}
	ctx := context.Background()
	q := manifest.QuoteIdent(db) + "."
	log := q + LogTable
	create := func() {
		chdbtest.Exec(t, wh, "CREATE TABLE "+q+"events (user_id UInt64, device_id String, payload String) ENGINE = MergeTree ORDER BY tuple()")
	}
	create()
	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events SELECT number % 6, concat('dev-', toString(number % 6)), 'p' FROM numbers(12)")
	chdbtest.Exec(t, wh, LogDDL(log))
	m := fixture(db)
	// A window of 606 s: an upstream deletion logged 300 s ago falls due 3 s from now.
	m.Nodes["model.p.users"].Meta["pii_erase_within"] = "606s"
	eraser := func() *Eraser {
		tags, err := Read(m)
		if err != nil {
			t.Fatal(err)
		}
		return &Eraser{WH: wh, Manifest: m, Tags: tags}
	}
	e := eraser()
	scrub := func(what string, wantCounts int, wantRows uint64) {
		t.Helper()
		done, err := e.Scrub(ctx, []string{"events"}, "load")
		if err != nil {
			t.Fatal(err)
		}
		var rows uint64
		for _, d := range done {
			rows += d.Rows
		}
		if n := wh.take(); n != wantCounts || rows != wantRows {
			t.Fatalf("%s: %d counts, %d rows scrubbed; want %d counts, %d rows", what, n, rows, wantCounts, wantRows)
		}
	}

	if added, done, err := e.Request(ctx, "users", []string{"1"}); err != nil || added != 1 || len(done) != 1 || done[0].Rows != 2 {
		t.Fatalf("request: %d, %+v, %v", added, done, err)
	}
	wh.take()
	scrub("after a scrub", 1, 0) // a scrub records nothing: counted again, found clean
	scrub("unchanged", 0, 0)
	scrub("unchanged again", 0, 0)

	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events VALUES (1, 'dev-late', 'p')")
	scrub("a row written", 1, 1)
	scrub("after a scrub", 1, 0)

	if added, done, err := e.Request(ctx, "users", []string{"2"}); err != nil || added != 1 || len(done) != 1 || done[0].Rows != 2 {
		t.Fatalf("a request on a table recorded clean: %d, %+v, %v", added, done, err)
	}
	wh.take()
	scrub("after a scrub", 1, 0)

	// Logged 300 s ago: pending for 3 more seconds (the erasures due are as they were: no count),
	// then due.
	chdbtest.Exec(t, wh, "INSERT INTO "+log+" (subject, key, event, reason, at) SELECT 'users', '3', 'erase', '"+ReasonUpstream+"', now() - 300")
	scrub("a pending deletion", 0, 0)
	waitFor(t, wh, "SELECT count() FROM "+log+" WHERE key = '3' AND at + 303 <= now()", 10*time.Second)
	scrub("the deletion fell due", 1, 2)
	scrub("after a scrub", 1, 0)

	// payload newly tagged: the erased subjects' payloads are personal data now.
	m.Nodes["model.p.events"].Columns[2].Meta = map[string]any{"pii": true}
	e = eraser()
	scrub("a column newly tagged", 1, 7)
	scrub("after a scrub", 1, 0)
	scrub("unchanged", 0, 0)

	// Dropped and created again: its one part has the name and rows the recorded state's had.
	chdbtest.Exec(t, wh, "DROP TABLE "+q+"events SYNC")
	create()
	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events SELECT number % 6, '', '' FROM numbers(12)")
	scrub("created again, clean", 1, 0)
	scrub("unchanged", 0, 0)
	chdbtest.Exec(t, wh, "DROP TABLE "+q+"events SYNC")
	create()
	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events SELECT number % 6, 'dev', 'p' FROM numbers(12)")
	scrub("created again with the same part, values back", 1, 6)

	// What is recorded holds no personal value.
	rec := chdbtest.Rows(t, wh, "SELECT * FROM "+q+CheckedTable, "|")
	if strings.Contains(rec, "dev") || strings.Count(rec, "\n") < 4 {
		t.Fatalf("records:\n%s", rec)
	}
}

// waitFor polls a count until it is 1: a deletion falling due is a matter of time passing.
func waitFor(t *testing.T, wh warehouse.Warehouse, sql string, limit time.Duration) {
	t.Helper()
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if chdbtest.Rows(t, wh, sql, "") == "1" {
			return
		}
	}
	t.Fatalf("not true within %v: %s", limit, sql)
}

// replicatedWH says it is a replicated target: one node's parts do not show every write.
type replicatedWH struct{ *countingWH }

func (r replicatedWH) Capabilities() warehouse.Capabilities {
	c := r.countingWH.Capabilities()
	c.Replicated = true
	return c
}

// TestScrubCountsEveryTimeOnAReplicatedTarget: no state is read or recorded there.
func TestScrubCountsEveryTimeOnAReplicatedTarget(t *testing.T) {
	base, db := shared.Database(t, "checkedrepl")
	wh := &countingWH{Warehouse: base}
	q := manifest.QuoteIdent(db) + "."
	chdbtest.Exec(t, wh, "CREATE TABLE "+q+"events (user_id UInt64, device_id String, payload String) ENGINE = MergeTree ORDER BY tuple()")
	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events VALUES (1, 'dev', 'p')")
	m := fixture(db)
	tags, err := Read(m)
	if err != nil {
		t.Fatal(err)
	}
	e := &Eraser{WH: replicatedWH{wh}, Manifest: m, Tags: tags}
	if _, _, err := e.Request(context.Background(), "users", []string{"1"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := e.Scrub(context.Background(), []string{"events"}, "load"); err != nil {
			t.Fatal(err)
		}
	}
	if n := wh.take(); n != 4 {
		t.Fatalf("%d counts, want 4 (the request's and three scrubs')", n)
	}
	if got := chdbtest.Rows(t, wh, "SELECT count() FROM system.tables WHERE database = '"+db+"' AND name = '"+CheckedTable+"'", ""); got != "0" {
		t.Fatalf("a replicated target has a record of clean states")
	}
}
