package tcp_test

import (
	"context"
	"io"
	"strconv"
	"testing"

	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// BenchmarkSelect reads 1M rows (a UInt64 and a String) through the native protocol with
// clickhouse-go, against the same engine streaming the same Native bytes to a no-op: the ratio
// is what the protocol and the client cost. Run with `make bench` or
// `go test -run '^$' -bench Select ./engine/serve/tcp/`.
func BenchmarkSelect(b *testing.B) {
	const sql = "SELECT number, toString(number) FROM numbers(1000000)"
	b.Run("engine", func(b *testing.B) {
		conn, err := shared.Warehouse(b).Connect(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		for b.Loop() {
			if _, err := conn.QueryStream(context.Background(), chdb.Stmt{SQL: sql, Format: "Native"}, len(sql), io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(1e6*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("native", func(b *testing.B) {
		_, addr, db := start(b, tcp.Options{})
		conn := open(b, addr, db, nil)
		for b.Loop() {
			rows, err := conn.Query(context.Background(), sql)
			if err != nil {
				b.Fatal(err)
			}
			var n uint64
			var s string
			for rows.Next() {
				if err := rows.Scan(&n, &s); err != nil {
					b.Fatal(err)
				}
			}
			if err := rows.Err(); err != nil || n != 999999 {
				b.Fatalf("last row %d: %v", n, err)
			}
		}
		b.ReportMetric(float64(1e6*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkInsert inserts 1M rows (a UInt64 and a String): with clickhouse-go's batch API over
// the native protocol, against the engine's own INSERT ... SELECT of the same rows.
func BenchmarkInsert(b *testing.B) {
	wh := shared.Warehouse(b)
	_, addr, db := start(b, tcp.Options{})
	conn := open(b, addr, db, nil)
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE bench (n UInt64, s String) ENGINE = MergeTree ORDER BY n"); err != nil {
		b.Fatal(err)
	}
	b.Run("engine", func(b *testing.B) {
		for b.Loop() {
			if _, err := wh.Exec(ctx, "INSERT INTO "+db+".bench SELECT number, toString(number) FROM numbers(1000000)"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(1e6*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("native", func(b *testing.B) {
		for b.Loop() {
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO bench")
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 1000000; i++ {
				if err := batch.Append(uint64(i), strconv.Itoa(i)); err != nil {
					b.Fatal(err)
				}
			}
			if err := batch.Send(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(1e6*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
