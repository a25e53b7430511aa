package snapshot

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// BenchmarkSnapshotRunCost snapshots a 100k-row source 20 times with about 2% of the rows changed and
// 0.1% deleted before each run (check strategy, new_record). It reports the median time of the
// last three runs relative to runs 2-4, while the history grows from 100k to ~120k versions,
// and relative to a baseline measured in the same run: copying the whole history into a new
// table, which is what a rebuild-the-table snapshot (dbt-clickhouse's) writes every run.
//
//	go test ./engine/materialize/snapshot -run '^$' -bench SnapshotRunCost -benchtime 1x
func BenchmarkSnapshotRunCost(b *testing.B) {
	const keys, runs = 100_000, 20
	for i := 0; i < b.N; i++ {
		wh, db := shared.Database(b, "snapb_")
		n := node(db, map[string]any{"strategy": "check", "check_cols": "all", "hard_deletes": "new_record"})
		q := "`" + db + "`"
		var times, copies []time.Duration
		for r := 1; r <= runs; r++ {
			// Run r changes keys r*1000 .. r*1000+999, reverts those run r-1 changed, and deletes
			// 100 keys from the top: about 2% of the rows change and 0.1% go.
			chdbtest.Exec(b, wh, "CREATE OR REPLACE TABLE "+q+".src (id UInt64, status String, amount UInt64) ENGINE = MergeTree ORDER BY id AS "+
				"SELECT number, 'new', if(intDiv(number, 1000) = "+strconv.Itoa(r)+", "+strconv.Itoa(r)+", 0) FROM numbers("+strconv.Itoa(keys-100*(r-1))+")")
			start := time.Now()
			if err := run(b, wh, n, "r"+strconv.Itoa(r)); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
			start = time.Now()
			chdbtest.Exec(b, wh, "CREATE OR REPLACE TABLE "+q+".hist_copy ENGINE = MergeTree ORDER BY id AS SELECT * FROM "+q+".hist")
			copies = append(copies, time.Since(start))
		}
		versions := chdbtest.Rows(b, wh, "SELECT count() FROM "+q+".hist", "|")
		early, late := median(times[1:4]), median(times[runs-3:])
		b.ReportMetric(late.Seconds()/early.Seconds(), "last3/run2-4")
		b.ReportMetric(late.Seconds()/median(copies[runs-3:]).Seconds(), "last3/full-copy")
		b.Logf("versions at the end: %s; run times: %v; full history copies: %v", versions, times, copies)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
