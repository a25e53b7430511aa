package dtest

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// counting counts the statements containing each of its patterns.
type counting struct {
	borrowed
	mu       sync.Mutex
	patterns []string
	n        map[string]int
}

func (c *counting) count(sql string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.patterns {
		if strings.Contains(sql, p) {
			c.n[p]++
		}
	}
}

func (c *counting) Query(ctx context.Context, sql string) (*warehouse.Result, error) {
	c.count(sql)
	return c.borrowed.Query(ctx, sql)
}

func (c *counting) Exec(ctx context.Context, sql string) (warehouse.Stats, error) {
	c.count(sql)
	return c.borrowed.Exec(ctx, sql)
}

func (c *counting) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
}

// TestCatalogueReadOncePerRun: the tests on a batched fact read its columns, its table UUID and
// batch range, and the record of earlier passes once per run, not once per test, and write
// their passes in one INSERT at the end of the run, not one per test; the tests pass
// (TestBatchScopedTestsOnFact checks what batch-scoped tests find, on the same cache).
func TestCatalogueReadOncePerRun(t *testing.T) {
	const (
		columns = "FROM system.columns"
		uuid    = "SELECT toString((SELECT uuid FROM system.tables"
		passes  = "FROM `dtest_run_cache`.`dwm_tested`"
		record  = "INSERT INTO `dtest_run_cache`.`dwm_tested`"
	)
	wh := &counting{borrowed: borrowed{shared.Warehouse(t)}, patterns: []string{columns, uuid, passes, record}, n: map[string]int{}}
	files := map[string]string{
		"models/parents.sql": `{{ config "materialized" "table" }}` + "\nselect * from values('id UInt32', 1, 2)",
		"models/events.sql":  `{{ config "materialized" "fact" "files" "data/*/events.csv" "unique_key" "id" "dedupe_scope" "day" }}`,
		"models/events.yml":  batchFactYAML,
	}
	s := openProjectOn(t, "dtest_run_cache", files, wh)
	week := func(name, rows string) { t.Helper(); writeEvents(t, s, name, rows) }
	week("w1", "e1,2024-01-01,a,1,10\ne2,2024-01-01,b,2,20\n")
	buildModels(t, s)
	for _, w := range []string{"w2", "w3"} {
		week(w, "e"+w+",2024-01-0"+w[1:]+",a,1,40\n")
		buildModels(t, s)
		wh.reset()
		results := runTests(t, s, Options{})
		if len(results) < 4 {
			t.Fatalf("%s: %d tests ran, want the YAML's tests on events", w, len(results))
		}
		wantStatus(t, w, results)
		// events and parents (the relationships test's to) once each; the fact's range and
		// its tests' earlier passes once; the passes written once.
		want := map[string]int{columns: 2, uuid: 1, passes: 1, record: 1}
		wh.mu.Lock()
		for p, n := range want {
			if wh.n[p] != n {
				t.Errorf("%s: %d statements with %q, want %d", w, wh.n[p], p, n)
			}
		}
		wh.mu.Unlock()
		// That one INSERT holds a pass of every test: each recorded this week's file.
		res, err := wh.Query(context.Background(), "SELECT count(), uniqExact(test) FROM dtest_run_cache.dwm_tested WHERE batch = "+
			"(SELECT max(_load_seq) FROM dtest_run_cache.events)")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.String(0, 0)+" "+res.String(0, 1), strconv.Itoa(len(results))+" "+strconv.Itoa(len(results)); got != want {
			t.Errorf("%s: passes recorded for the week's file (rows, tests): %s, want %s", w, got, want)
		}
	}
}
