package chdb

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// TestRawStream: a result arrives in chunks as the engine makes them, whole blocks each, the
// same bytes as Raw returns at once, and for a query that returns every row it reads, the same
// rows read.
func TestRawStream(t *testing.T) {
	w := openTest(t, Options{})
	ctx := context.Background()
	q := RawQuery{SQL: "SELECT number, toString(number) AS s FROM numbers(300000)", Format: "Native"}
	var got []byte
	chunks := 0
	st, err := w.RawStream(ctx, q, func(b []byte) error {
		chunks++
		got = append(got, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want, wantSt, err := w.Raw(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || chunks < 3 || st.RowsRead != wantSt.RowsRead || st.RowsRead != 300000 {
		t.Errorf("%d chunks, %d bytes (want %d), rows read %d (Raw: %d)", chunks, len(got), len(want), st.RowsRead, wantSt.RowsRead)
	}
	// Errors the engine raises after some chunks arrive as QueryError. One row per block, 0.3 s
	// each: the rows before the failing one reach out first.
	n := 0
	_, err = w.RawStream(ctx, RawQuery{SQL: "SELECT number, sleepEachRow(0.3), throwIf(number = 2) FROM numbers(3)",
		Format: "Native", Settings: map[string]string{"max_block_size": "1", "max_threads": "1"}},
		func([]byte) error { n++; return nil })
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Code != 395 || n == 0 {
		t.Errorf("after %d chunks: %v", n, err)
	}
	// An error from out stops the statement and comes back.
	stop := errors.New("client gone")
	if _, err := w.RawStream(ctx, q, func([]byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("out's error: %v", err)
	}
	// Statements other than SELECT do not stream; Raw runs them.
	if _, err := w.RawStream(ctx, RawQuery{SQL: "SHOW DATABASES", Format: "Native"}, func([]byte) error { return nil }); !errors.As(err, &qe) || qe.Code != 36 {
		t.Errorf("SHOW: %v", err)
	}
	if got := mustQuery1(t, w, "SELECT 42"); got != "42" {
		t.Errorf("after the failures the pool answers %q", got)
	}
}

// TestRawStreamCancel: ending the context stops a streaming statement in the engine.
func TestRawStreamCancel(t *testing.T) {
	w := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	begin := time.Now()
	_, err := w.RawStream(ctx, RawQuery{SQL: "SELECT number FROM numbers(100000000000) WHERE number % 3 = 0 -- stream_cancel", Format: "Native"},
		func([]byte) error { cancel(); return nil })
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
