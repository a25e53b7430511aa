package chdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// nativeUInt32 is one Native block (file layout) of column a UInt32 holding from..from+n-1.
func nativeUInt32(from, n uint32) []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, 1, 'a', 6)
	b = append(b, "UInt32"...)
	for i := from; i < from+n; i++ {
		b = binary.LittleEndian.AppendUint32(b, i)
	}
	return b
}

// TestInsertStreamsBinary: binary data goes in whole, whatever bytes it holds. The values 2570
// (0x0a0a) and up put an empty line into the data, where libchdb ends data inlined in SQL; so do
// empty values of a text format.
func TestInsertStreamsBinary(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	c := connect1(t, w)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE ins (a UInt32) ENGINE = MergeTree ORDER BY a"); err != nil {
		t.Fatal(err)
	}
	data := bytes.Join([][]byte{nativeUInt32(0, 10000), nativeUInt32(10000, 10000), nativeUInt32(20000, 10000)}, nil)
	st, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO ins (a)", Format: "Native"}, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if st.RowsWritten != 30000 {
		t.Errorf("rows written = %d", st.RowsWritten)
	}
	if got := query(t, c, Stmt{SQL: "SELECT count() || ' ' || sum(a) FROM ins"}); got != "30000 449985000\n" {
		t.Errorf("count, sum = %q", got)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE lines (s String) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO lines", Format: "TSV"}, strings.NewReader("a\n\nb\n")); err != nil {
		t.Fatal(err)
	}
	if got := query(t, c, Stmt{SQL: "SELECT count(), countIf(s = '') FROM lines"}); got != "3\t1\n" {
		t.Errorf("TSV with an empty line: count, empty = %q", got)
	}
	// Why the streaming API: the same block inlined after FORMAT Native is cut at 0x0a0a.
	_, err = c.Query(ctx, Stmt{SQL: "INSERT INTO ins FORMAT Native\n" + string(nativeUInt32(0, 10000))}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Rows read: 2570") {
		t.Errorf("inline binary insert: got %v; if libchdb now reads it whole, the streaming insert is no longer required", err)
	}
}

// TestInsertErrors: the statement's own errors, bad data and a failing reader each come back,
// and the connection stays clean for the next statement.
func TestInsertErrors(t *testing.T) {
	w := openTest(t, Options{Conns: 1})
	c := connect1(t, w)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE t (a UInt32) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	var qe *warehouse.QueryError
	if _, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO nope", Format: "Native"}, bytes.NewReader(nativeUInt32(0, 3))); !errors.As(err, &qe) || qe.Code != 60 {
		t.Errorf("unknown table: %v", err)
	}
	truncated := nativeUInt32(0, 100)
	if _, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO t", Format: "Native"}, bytes.NewReader(truncated[:len(truncated)-7])); !errors.As(err, &qe) || qe.Code == 0 {
		t.Errorf("truncated data: %v", err)
	}
	// A client that goes away mid-insert: nothing of the unfinished chunk is written.
	if _, err := c.Insert(ctx, Stmt{SQL: "INSERT INTO t", Format: "Native"}, io.MultiReader(bytes.NewReader(nativeUInt32(0, 5)), errReader{})); !errors.Is(err, errStop) {
		t.Errorf("reader's error: got %v", err)
	}
	if got := query(t, c, Stmt{SQL: "SELECT count() FROM t"}); got != "0\n" {
		t.Errorf("rows after failed inserts = %q", got)
	}
}
