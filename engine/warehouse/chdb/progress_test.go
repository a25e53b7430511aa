package chdb

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// TestProgressWhileRunning runs a statement that reads 200,000 rows in blocks of 1,000, each
// row taking 10 µs (about 2 s in all), and asks for progress every 100 ms: reports must come
// while it runs, with the rows read so far growing and below the total.
func TestProgressWhileRunning(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	w.progressEvery = 100 * time.Millisecond
	var mu sync.Mutex
	var got []warehouse.Progress
	ctx := warehouse.WithProgress(context.Background(), func(p warehouse.Progress) {
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	})
	const rows = 200_000
	st, err := w.Exec(ctx, "SELECT count() FROM numbers(200000) WHERE NOT ignore(sleepEachRow(0.00001)) "+
		"SETTINGS max_block_size = 1000, max_threads = 1")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var mid int
	for i, p := range got {
		if p.Statement == "" || (i > 0 && p.ReadRows < got[i-1].ReadRows) {
			t.Fatalf("report %d: %+v after %+v", i, p, got[max(i-1, 0)])
		}
		if p.ReadRows > 0 && p.ReadRows < rows && p.ReadBytes > 0 {
			mid++
		}
	}
	if mid == 0 {
		t.Fatalf("no report while the statement ran (%d reports: %+v; it took %v)", len(got), got, st.Elapsed)
	}
	// Without WithProgress nothing is watched, and a statement after the first reports nothing.
	n := len(got)
	mu.Unlock()
	if _, err := w.Exec(context.Background(), "SELECT count() FROM numbers(20000) WHERE NOT ignore(sleepEachRow(0.00001)) SETTINGS max_block_size = 1000"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != n {
		t.Fatalf("reports arrived for a statement that did not ask: %+v", got[n:])
	}
}
