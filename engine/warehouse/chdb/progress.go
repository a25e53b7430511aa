package chdb

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// progressEvery is how often a statement that asked for progress (warehouse.WithProgress) has
// it read. libchdb's C API reports rows and bytes only when a statement ends, so a running one
// is found in system.processes by its kill tag, from the control connection. The first look is
// after one interval: most statements are over by then and cost nothing.
const progressEvery = time.Second

// watch reports the progress of the statement tagged tag until the returned stop is called.
func (w *Warehouse) watch(tag string, every time.Duration, report func(warehouse.Progress)) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	sql := "SELECT read_rows, read_bytes, total_rows_approx, written_rows FROM system.processes WHERE startsWith(query, " +
		quoteString(tag) + ") LIMIT 1"
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			w.ctlMu.Lock()
			var r rawResult
			var err error = errClosed
			if w.ctl != nil {
				r, err = w.ctl.lib.query(w.ctl.h, sql, "TSV")
			}
			w.ctlMu.Unlock()
			if p, ok := parseProgress(r.out); ok && err == nil && r.err == "" {
				p.Statement = strings.TrimSpace(tag)
				select {
				case <-done: // finished meanwhile: stop means no more reports
					return
				default:
					report(p)
				}
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// parseProgress reads one TSV row of four counts; false when the statement was not listed.
func parseProgress(out string) (warehouse.Progress, bool) {
	f := strings.Split(strings.TrimRight(out, "\n"), "\t")
	if len(f) != 4 {
		return warehouse.Progress{}, false
	}
	var n [4]uint64
	for i, s := range f {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return warehouse.Progress{}, false
		}
		n[i] = v
	}
	return warehouse.Progress{ReadRows: n[0], ReadBytes: n[1], TotalRows: n[2], WrittenRows: n[3]}, true
}
