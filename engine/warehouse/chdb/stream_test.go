package chdb

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// countingWriter records what reaches it and how many writes brought it. It is no
// io.ReaderFrom (an embedded bytes.Buffer would be), so io.Copy reaches it write by write.
type countingWriter struct {
	buf    bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.buf.Write(p)
}

// TestQueryStreamNative: a Native result streams as the same bytes Query returns at once, in
// several writes, with the same rows read; an error the engine raises after some blocks reaches
// the caller after those blocks (what the native protocol's clients see as rows, then an
// exception).
func TestQueryStreamNative(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	c := connect1(t, w)
	ctx := context.Background()
	sql := "SELECT number, toString(number) AS s FROM numbers(300000)"
	var got countingWriter
	st, err := c.QueryStream(ctx, Stmt{SQL: sql, Format: "Native"}, len(sql), &got)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	wantSt, err := c.Query(ctx, Stmt{SQL: sql, Format: "Native"}, &want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.buf.Bytes(), want.Bytes()) || got.writes < 3 || st.RowsRead != wantSt.RowsRead || st.RowsRead != 300000 {
		t.Errorf("%d writes, %d bytes (want %d), rows read %d (Query: %d)", got.writes, got.buf.Len(), want.Len(), st.RowsRead, wantSt.RowsRead)
	}
	// One row per block, 0.3 s each: the rows before the failing one are written before the error.
	sql = "SELECT number, sleepEachRow(0.3), throwIf(number = 2) FROM numbers(3) SETTINGS max_block_size = 1, max_threads = 1"
	var partial countingWriter
	_, err = c.QueryStream(ctx, Stmt{SQL: sql, Format: "Native"}, len(sql)-len(" SETTINGS max_block_size = 1, max_threads = 1"), &partial)
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Code != 395 || partial.buf.Len() == 0 {
		t.Errorf("after %d bytes: %v", partial.buf.Len(), err)
	}
}

// TestQueryStreamCancel: ending the context stops a streaming statement in the engine.
func TestQueryStreamCancel(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	c := connect1(t, w)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	begin := time.Now()
	sql := "SELECT number FROM numbers(100000000000) WHERE number % 3 = 0 -- stream_cancel\n"
	_, err := c.QueryStream(ctx, Stmt{SQL: sql, Format: "Native"}, len(sql), writerFunc(func(p []byte) (int, error) { cancel(); return len(p), nil }))
	if !errors.Is(err, context.Canceled) || time.Since(begin) > 10*time.Second {
		t.Fatalf("after %v: %v", time.Since(begin), err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for mustQuery1(t, w, "SELECT count() FROM system.processes WHERE query LIKE '%stream_cancel%' AND query NOT LIKE '%system.processes%'") != "0" {
		if time.Now().After(deadline) {
			t.Fatal("the statement still runs")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
