package chdb

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

func connect1(t *testing.T, w *Warehouse) *Conn {
	t.Helper()
	c, err := w.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func query(t *testing.T, c *Conn, q Stmt) string {
	t.Helper()
	var out bytes.Buffer
	if _, err := c.Query(context.Background(), q, &out); err != nil {
		t.Fatalf("%s: %v", q.SQL, err)
	}
	return out.String()
}

// TestConnStateStaysOnItsConn is the property dwm serve's isolation rests on: what one Conn
// sets is invisible to another, and query parameters last one call.
func TestConnStateStaysOnItsConn(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	ctx := context.Background()
	a, b := connect1(t, w), connect1(t, w)
	for _, s := range []string{"SET max_threads = 1", "USE system", "CREATE TEMPORARY TABLE tmp (x UInt8)", "SET readonly = 2"} {
		if _, err := a.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if got := query(t, a, Stmt{SQL: "SELECT getSetting('max_threads'), currentDatabase(), getSetting('readonly')"}); got != "1\tsystem\t2\n" {
		t.Errorf("a = %q", got)
	}
	if got := query(t, b, Stmt{SQL: "SELECT getSetting('max_threads') != 1, currentDatabase(), getSetting('readonly')"}); got != "1\tdefault\t0\n" {
		t.Errorf("b sees a's state: %q", got)
	}
	if _, err := b.Exec(ctx, "SELECT * FROM tmp"); err == nil {
		t.Error("b sees a's temporary table")
	}
	if got := query(t, b, Stmt{SQL: "SELECT {x:UInt8} * 2", Params: map[string]string{"x": "21"}}); got != "42\n" {
		t.Errorf("params = %q", got)
	}
	var qe *warehouse.QueryError
	if _, err := b.Query(ctx, Stmt{SQL: "SELECT {x:UInt8}"}, io.Discard); !errors.As(err, &qe) || qe.Name != "UNKNOWN_QUERY_PARAMETER" {
		t.Errorf("a parameter outlived its call: %v", err)
	}
}

func TestQueryStream(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	c := connect1(t, w)
	ctx := context.Background()
	// A document format keeps its one header however many blocks the result has.
	var out bytes.Buffer
	sql := "SELECT number AS n FROM numbers(200000) FORMAT JSONCompact"
	st, err := c.QueryStream(ctx, Stmt{SQL: sql}, strings.Index(sql, "FORMAT"), &out)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), `"meta"`); n != 1 || !strings.Contains(out.String(), `"rows": 200000`) || st.RowsRead != 200000 {
		t.Errorf("meta %d times, stats %+v, tail %q", n, st, out.String()[out.Len()-200:])
	}
	// Without a FORMAT clause the statement's format is Stmt.Format.
	out.Reset()
	sql = "SELECT number FROM numbers(3)"
	if _, err := c.QueryStream(ctx, Stmt{SQL: sql, Format: "CSVWithNames"}, len(sql), &out); err != nil || out.String() != "\"number\"\n0\n1\n2\n" {
		t.Errorf("got %q, %v", out.String(), err)
	}
	// An error before any output, and one after some, are both reported.
	for _, sql := range []string{"SELECT * FROM nope", "SELECT throwIf(number = 150000) FROM numbers(200000)"} {
		_, err := c.QueryStream(ctx, Stmt{SQL: sql}, len(sql), io.Discard)
		var qe *warehouse.QueryError
		if !errors.As(err, &qe) || qe.SQL != sql {
			t.Errorf("%s: %v", sql, err)
		}
	}
	// A reader that stops kills the statement instead of blocking the engine on a full pipe.
	start := time.Now()
	sql = "SELECT number FROM numbers(1e12)"
	_, err = c.QueryStream(ctx, Stmt{SQL: sql}, len(sql), &failAfter{n: 1 << 20})
	if err == nil || !errors.Is(err, errStop) {
		t.Errorf("failing writer: %v", err)
	}
	if got := query(t, c, Stmt{SQL: "SELECT 1"}); got != "1\n" {
		t.Errorf("connection after a killed stream: %q (%v)", got, time.Since(start))
	}
}

var errStop = errors.New("reader went away")

type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n -= len(p); f.n < 0 {
		return 0, errStop
	}
	return len(p), nil
}

func TestInsertStreams(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	c := connect1(t, w)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE t (a UInt64, s String) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatal(err)
	}
	// More than one chunk, so the append loop runs several times.
	var data bytes.Buffer
	for i := 0; data.Len() < 3*insertChunk; i++ {
		data.WriteString(strings.Repeat("x", 10) + "\n")
	}
	rows := strings.Count(data.String(), "\n")
	st, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO t (s)", Format: "LineAsString"}, &data)
	if err != nil || st.RowsWritten != uint64(rows) {
		t.Fatalf("insert: %+v %v", st, err)
	}
	if _, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO t", Format: "Values"}, strings.NewReader("(1, 'a'), (2, 'b')")); err != nil {
		t.Fatal(err)
	}
	if got := query(t, c, Stmt{SQL: "SELECT count(), countIf(a > 0) FROM t"}); got != strconv.Itoa(rows+2)+"\t2\n" {
		t.Errorf("count = %q", got)
	}
	// Bad data is the engine's error; a failing reader is the reader's.
	var qe *warehouse.QueryError
	if _, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO t", Format: "CSV"}, strings.NewReader("x,y\n")); !errors.As(err, &qe) {
		t.Errorf("bad data: %v", err)
	}
	if _, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO t", Format: "CSV"}, io.MultiReader(strings.NewReader("3,c\n"), errReader{})); !errors.Is(err, errStop) {
		t.Errorf("failing reader: %v", err)
	}
	if got := query(t, c, Stmt{SQL: "SELECT 1"}); got != "1\n" {
		t.Errorf("connection after a failed insert: %q", got)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errStop }

func TestClassify(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	c := connect1(t, w)
	for sql, want := range map[string]QueryClass{
		"SELECT 1":                        ClassReadOnly,
		"INSERT INTO t VALUES (1)":        ClassMutating,
		"SET max_threads = 1":             ClassControl,
		"SELECT 1 INTO OUTFILE '/tmp/x'":  ClassControl,
		"SYSTEM SHUTDOWN":                 ClassControl,
		"CREATE FUNCTION f AS x -> x + 1": ClassMutatingGlobal,
		"SELEKT 1":                        ClassUnknown,
	} {
		got, _, err := c.Classify(sql)
		if err != nil || got != want {
			t.Errorf("%s: class %d, %v; want %d", sql, got, err, want)
		}
	}
}

func TestConnectAfterCloseFails(t *testing.T) {
	requireLib(t)
	w, err := Open(context.Background(), Options{Path: t.TempDir(), Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	c, err := w.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(context.Background(), "SELECT 1"); !errors.Is(err, errConnClosed) {
		t.Errorf("Conn after Close: %v", err)
	}
	if _, err := w.Connect(context.Background()); !errors.Is(err, errClosed) {
		t.Errorf("Connect after Close: %v", err)
	}
}

// TestConnectCyclesDoNotGrowMemory backs the claim dwm serve's isolation rests on: a fresh
// connection per request costs time, not memory.
func TestConnectCyclesDoNotGrowMemory(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	ctx := context.Background()
	cycle := func(n int) {
		for i := 0; i < n; i++ {
			c, err := w.Connect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Query(ctx, Stmt{SQL: "SELECT 1"}, io.Discard); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	}
	cycle(100) // warm up allocator arenas and caches
	before := rssKB(t)
	cycle(500)
	after := rssKB(t)
	t.Logf("RSS %d MB before 500 connect/query/close cycles, %d MB after", before>>10, after>>10)
	if after > before+32<<10 {
		t.Errorf("RSS grew from %d MB to %d MB over 500 cycles", before>>10, after>>10)
	}
}

func rssKB(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
