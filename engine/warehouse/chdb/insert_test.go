package chdb

import (
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

// chunks returns a next function over bs.
func chunks(bs ...[]byte) func() ([]byte, error) {
	return func() ([]byte, error) {
		if len(bs) == 0 {
			return nil, io.EOF
		}
		b := bs[0]
		bs = bs[1:]
		return b, nil
	}
}

// TestRawInsertStreamsBinary: binary data goes in whole, whatever bytes it holds. The values
// 2570 (0x0a0a) and up put an empty line into the data, where libchdb ends data inlined in SQL.
func TestRawInsertStreamsBinary(t *testing.T) {
	w := openTest(t, Options{Database: "ins"})
	ctx := context.Background()
	mustExec(t, w, "CREATE TABLE ins.t (a UInt32) ENGINE = MergeTree ORDER BY a")
	st, err := w.RawInsert(ctx, RawQuery{SQL: "INSERT INTO t (a)", Format: "Native", Database: "ins",
		Settings: map[string]string{"max_insert_block_size": "1000"}},
		chunks(nativeUInt32(0, 10000), nativeUInt32(10000, 10000), nil, nativeUInt32(20000, 10000)))
	if err != nil {
		t.Fatal(err)
	}
	if st.RowsWritten != 30000 {
		t.Errorf("rows written = %d", st.RowsWritten)
	}
	if got := mustQuery1(t, w, "SELECT count() || ' ' || sum(a) FROM ins.t"); got != "30000 449985000" {
		t.Errorf("count, sum = %s", got)
	}
	// Why the streaming API: the same block inlined after FORMAT Native is cut at 0x0a0a.
	_, _, err = w.Raw(ctx, RawQuery{SQL: "INSERT INTO ins.t FORMAT Native\n" + string(nativeUInt32(0, 10000))})
	if err == nil || !strings.Contains(err.Error(), "Rows read: 2570") {
		t.Errorf("inline binary insert: got %v; if libchdb now reads it whole, the streaming insert is no longer required", err)
	}
}

func TestRawInsertErrors(t *testing.T) {
	w := openTest(t, Options{})
	ctx := context.Background()
	mustExec(t, w, "CREATE TABLE t (a UInt32) ENGINE = Memory")
	var qe *warehouse.QueryError
	_, err := w.RawInsert(ctx, RawQuery{SQL: "INSERT INTO nope", Format: "Native"}, chunks(nativeUInt32(0, 3)))
	if !errors.As(err, &qe) || qe.Code != 60 {
		t.Errorf("unknown table: %v", err)
	}
	truncated := nativeUInt32(0, 100)
	_, err = w.RawInsert(ctx, RawQuery{SQL: "INSERT INTO t", Format: "Native"}, chunks(truncated[:len(truncated)-7]))
	if !errors.As(err, &qe) || qe.Code == 0 {
		t.Errorf("truncated data: %v", err)
	}
	boom := errors.New("client went away")
	calls := 0
	_, err = w.RawInsert(ctx, RawQuery{SQL: "INSERT INTO t", Format: "Native"}, func() ([]byte, error) {
		if calls++; calls == 1 {
			return nativeUInt32(0, 5), nil
		}
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("next's error: got %v", err)
	}
	// A cancelled insert writes nothing, and the connection is clean for the next statement.
	if got := mustQuery1(t, w, "SELECT count() FROM t"); got != "0" {
		t.Errorf("rows after failed inserts = %s", got)
	}
	if _, err := w.RawInsert(ctx, RawQuery{SQL: "INSERT INTO t"}, chunks()); err == nil {
		t.Error("no format: want an error")
	}
}
