package cdc

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// BenchmarkSCD2BatchCost applies 20 weekly batches of 10k changes over 100k keys and reports the
// median time of the last three batches relative to batches 2-4. The changes are spread over all
// keys, so every batch touches every current partition and rewrites all current versions (the
// worst case of the layout): the cost follows the batch and the number of keys, so the ratio
// stays near 1 while history grows twentyfold.
//
//	go test ./engine/materialize/cdc -run '^$' -bench SCD2BatchCost -benchtime 1x
func BenchmarkSCD2BatchCost(b *testing.B) {
	const keys, changes, batches = 100_000, 10_000, 20
	for i := 0; i < b.N; i++ {
		times, wh, db := applySCD2Batches(b, batches, func(sb *strings.Builder, w int, ts time.Time) {
			if w == 1 {
				for k := 1; k <= keys; k++ {
					fmt.Fprintf(sb, "INSERT,%d,u%d,1,false,%s\n", k, k, ts.Format(time.DateTime))
				}
				return
			}
			for c := 0; c < changes; c++ {
				k := (c*7919+w*104729)%keys + 1
				fmt.Fprintf(sb, "UPDATE,%d,u%d,%d,false,%s\n", k, k, w%200, ts.Add(time.Duration(c)*time.Second).Format(time.DateTime))
			}
		})
		versions := rows(b, wh, "SELECT count() FROM "+db+".users")
		// Medians of three batches, because single batches vary with background merges.
		early, late := median(times[1:4]), median(times[batches-3:])
		b.ReportMetric(times[1].Seconds(), "batch2-s")
		b.ReportMetric(times[batches-1].Seconds(), "last-s")
		b.ReportMetric(late.Seconds()/early.Seconds(), "last3/batch2-4")
		b.Logf("versions at the end: %s; batch times: %v", versions, times)
	}
}

// applySCD2Batches loads weekly staging files written by file (rows after the header; ts is the
// week's Monday) into users_staging and applies each as a batch of users, timing the batches.
func applySCD2Batches(b *testing.B, batches int, file func(sb *strings.Builder, w int, ts time.Time)) ([]time.Duration, *chdb.Warehouse, string) {
	wh, db := testDB(b)
	p := newProject(b, db)
	stg := usersStaging(p)
	n, sql := usersSCD2(p)
	var times []time.Duration
	for w := 1; w <= batches; w++ {
		var sb strings.Builder
		sb.WriteString(usersHeader)
		file(&sb, w, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(w-1)))
		p.write(b, fmt.Sprintf("cdc/w%03d/users.csv", w), sb.String())
		p.mustRun(b, wh, stg, "", false)
		start := time.Now()
		p.mustRun(b, wh, n, sql, false)
		times = append(times, time.Since(start))
	}
	return times, wh, db
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkSCD2NewKeysCost applies 24 batches of 50k new keys that never change again (the shape
// of ligue_assignment: one current partition per batch without folding) and reports the median
// time of the last three batches relative to batches 2-4, and how many current partitions are
// listed at the end (docs/materializations.md, "Folding"; docs/benchmarks-warehouse.md, goal 4).
//
//	go test ./engine/materialize/cdc -run '^$' -bench SCD2NewKeysCost -benchtime 1x
func BenchmarkSCD2NewKeysCost(b *testing.B) {
	const perBatch, batches = 50_000, 24
	for i := 0; i < b.N; i++ {
		times, wh, db := applySCD2Batches(b, batches, func(sb *strings.Builder, w int, ts time.Time) {
			for k := (w-1)*perBatch + 1; k <= w*perBatch; k++ {
				fmt.Fprintf(sb, "INSERT,%d,u%d,1,false,%s\n", k, k, ts.Format(time.DateTime))
			}
		})
		parts := rows(b, wh, "SELECT count() FROM "+db+".users__current_parts")
		early, late := median(times[1:4]), median(times[batches-3:])
		b.ReportMetric(late.Seconds()/early.Seconds(), "last3/batch2-4")
		b.Logf("current partitions listed at the end: %s; batch times: %v", parts, times)
	}
}
