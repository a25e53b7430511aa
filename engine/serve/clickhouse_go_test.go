package serve_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
)

// TestClickHouseGo drives the endpoint with clickhouse-go's HTTP protocol directly: its hello
// query, typed Native reads (which dwm serve re-encodes for the client's protocol version) and
// a batch insert, which sends Native data in the request body; uncompressed, and with
// ClickHouse's compressed blocks both ways (LZ4 and ZSTD, compress=1 and decompress=1).
func TestClickHouseGo(t *testing.T) {
	for _, method := range []clickhouse.CompressionMethod{clickhouse.CompressionNone, clickhouse.CompressionLZ4, clickhouse.CompressionZSTD, clickhouse.CompressionGZIP} {
		t.Run(method.String(), func(t *testing.T) { clickhouseGo(t, method) })
	}
}

func clickhouseGo(t *testing.T, method clickhouse.CompressionMethod) {
	e := start(t, core.Options{}, serve.Options{})
	db := e.db
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{strings.TrimPrefix(e.base, "http://")}, Protocol: clickhouse.HTTP,
		Auth:        clickhouse.Auth{Username: "default", Password: password, Database: db},
		Compression: &clickhouse.Compression{Method: method},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	// Ten columns: the Native body then starts with byte 0x0a, a newline, right after the
	// "FORMAT Native" line; ClickHouse must not skip it as whitespace.
	if err := conn.Exec(ctx, `CREATE TABLE wide (
		id UInt64, name String, tags Array(String), score Nullable(Float64), kind LowCardinality(String),
		price Decimal(18, 4), at DateTime64(3, 'UTC'), attrs Map(String, UInt32), pair Tuple(UInt8, String), code FixedString(3)
	) ENGINE = MergeTree ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO wide")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	for i := 0; i < 1000; i++ {
		var score *float64
		if i%2 == 0 {
			f := float64(i) / 4
			score = &f
		}
		if err := batch.Append(uint64(i), fmt.Sprintf("n%d", i), []string{"a", "b"}, score, []string{"x", "y"}[i%2],
			"12.5", at, map[string]uint32{"k": uint32(i)}, []any{uint8(i % 256), "p"}, "abc"); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "SELECT id, name, tags, score, kind, price, at, attrs, pair, code FROM wide WHERE id IN (0, 1, 999) ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var (
			id    uint64
			name  string
			tags  []string
			score *float64
			kind  string
			price decimal.Decimal
			ts    time.Time
			attrs map[string]uint32
			pair  []any
			code  string
		)
		if err := rows.Scan(&id, &name, &tags, &score, &kind, &price, &ts, &attrs, &pair, &code); err != nil {
			t.Fatal(err)
		}
		s := "NULL"
		if score != nil {
			s = fmt.Sprint(*score)
		}
		got = append(got, fmt.Sprintf("%d %s %v %s %s %v %s %v %v %s", id, name, tags, s, kind, price, ts.Format(time.RFC3339Nano), attrs, pair, code))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0 n0 [a b] 0 x 12.5 2024-05-06T07:08:09.123Z map[k:0] [0 p] abc",
		"1 n1 [a b] NULL y 12.5 2024-05-06T07:08:09.123Z map[k:1] [1 p] abc",
		"999 n999 [a b] NULL y 12.5 2024-05-06T07:08:09.123Z map[k:999] [231 p] abc",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
	// A multi-block result: every block gets its own re-encoded header.
	var n, sum uint64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(number) FROM (SELECT number FROM numbers(300000))").Scan(&n, &sum); err != nil || n != 300000 {
		t.Fatalf("count = %d, %v", n, err)
	}
	r2, err := conn.Query(ctx, "SELECT number, toString(number) FROM numbers(200000)")
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for r2.Next() {
		n++
	}
	if r2.Err() != nil || n != 200000 {
		t.Errorf("streamed %d rows, err %v", n, r2.Err())
	}
	var ex *clickhouse.Exception
	if err := conn.Exec(ctx, "SELECT * FROM "+manifest.QuoteIdent(db)+".nope"); err == nil || !asException(err, &ex) || ex.Code != 60 {
		t.Errorf("error = %#v", err)
	}
}

func asException(err error, ex **clickhouse.Exception) bool {
	for err != nil {
		if e, ok := err.(*clickhouse.Exception); ok {
			*ex = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}
