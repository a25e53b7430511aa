package serve_test

import (
	"context"
	"encoding/binary"
	"net/url"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
)

// libchdb ends data inlined after FORMAT in a statement at the first empty line ("\n\n"), as
// clickhouse-client does for a script: a Native block of UInt32 0..9999 holds 0x0a0a at value
// 2570, so an insert that went inline stopped there. dwm serve hands the engine data only through
// the streaming insert; these tests send such data the ways an insert reaches it.

// TestBatchInsertWithEmptyLineBytes: clickhouse-go's HTTP batch insert (FORMAT Native in the
// body) of UInt32 0..9999 arrives whole.
func TestBatchInsertWithEmptyLineBytes(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{strings.TrimPrefix(e.base, "http://")}, Protocol: clickhouse.HTTP,
		Auth: clickhouse.Auth{Username: "default", Password: password, Database: e.db},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE u (a UInt32) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatal(err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO u")
	if err != nil {
		t.Fatal(err)
	}
	for i := uint32(0); i < 10000; i++ {
		if err := batch.Append(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	var n, sum uint64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(a) FROM u").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	if n != 10000 || sum != 49995000 {
		t.Errorf("count, sum = %d, %d; want 10000, 49995000", n, sum)
	}
}

// TestInsertSelectInput: INSERT … SELECT … FROM input() with data, which libchdb can neither
// stream nor take inline (given the data after FORMAT it inserts nothing and reports success), is
// refused with NOT_IMPLEMENTED and inserts nothing, text or binary. Before this, the server
// crashed the request (a slice past the statement's end) and dropped the connection.
func TestInsertSelectInput(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	sql := func(q string) reply {
		t.Helper()
		return e.post(t, url.Values{"database": {e.db}}, strings.NewReader(q), nil)
	}
	if r := sql("CREATE TABLE s (s String, n UInt32) ENGINE = Memory"); r.status != 200 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	insert := func(format, data string) reply {
		t.Helper()
		q := url.Values{"database": {e.db}, "query": {"INSERT INTO s SELECT s, n FROM input('s String, n UInt32') FORMAT " + format}}
		return e.post(t, q, strings.NewReader(data), nil)
	}
	native := []byte{2}
	native = binary.AppendUvarint(native, 10000)
	native = append(native, 1, 's', 6)
	native = append(native, "String"...)
	for range 10000 {
		native = append(native, 0) // empty strings: 10000 zero lengths
	}
	native = append(native, 1, 'n', 6)
	native = append(native, "UInt32"...)
	for i := uint32(0); i < 10000; i++ {
		native = binary.LittleEndian.AppendUint32(native, i) // 2570 is 0a 0a 00 00
	}
	refused(t, "TSV", insert("TSV", "a\t1\nbbb\t0\n"), 501, "48")
	refused(t, "Native", insert("Native", string(native)), 501, "48")
	ok(t, "INSERT … SELECT without input()", sql("INSERT INTO s SELECT 'x', 7"), "")
	ok(t, "rows", sql("SELECT count(), sum(n) FROM s"), "1\t7\n")
}
