package chdb

import (
	"context"
	"errors"
	"io"
	"runtime"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// RawInsert runs one INSERT whose data comes from next, in chunks, until next returns io.EOF.
// q.SQL is the statement without FORMAT or data ("INSERT INTO t (a, b)"), q.Format the data's
// format; Database and Settings apply as for Raw. The engine parses the data on its own thread
// as it arrives (libchdb's streaming insert), so memory stays bounded by a few chunks however
// much is inserted, and data is never spliced into SQL text: libchdb ends data inlined after
// FORMAT at the first empty line ("\n\n"), which binary formats contain by chance.
//
// When next fails, or ctx ends, the insert is cancelled and its error returned (wrapped).
func (w *Warehouse) RawInsert(ctx context.Context, q RawQuery, next func() ([]byte, error)) (warehouse.Stats, error) {
	if q.Format == "" {
		return warehouse.Stats{}, errors.New("chdb raw insert: no data format")
	}
	r, err := w.runRaw(ctx, q, func(c *conn, tagged string) (rawResult, error) {
		return c.streamInsert(ctx, tagged, q.Format, next)
	})
	if err != nil {
		return warehouse.Stats{}, err
	}
	return r.stats(), nil
}

// streamInsert feeds next's chunks to one streaming insert. Errors the engine reports (a bad
// table, a row that does not parse) come back in rawResult.err, others as the error.
func (c *conn) streamInsert(ctx context.Context, sql, format string, next func() ([]byte, error)) (rawResult, error) {
	l := c.lib
	q, f := cString(sql), cString(format)
	h := l.streamInsertN(c.h, &q[0], uintptr(len(sql)), &f[0], uintptr(len(format)))
	if h == 0 {
		return rawResult{}, errors.New("chdb_stream_insert_n returned NULL")
	}
	defer l.destroyInsertStream(h)
	if e := goString(l.streamInsertError(h)); e != "" {
		return rawResult{err: e}, nil // the statement itself failed: unknown table, bad column list
	}
	for {
		if err := ctx.Err(); err != nil {
			l.streamCancelInsert(h)
			return rawResult{}, err
		}
		b, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l.streamCancelInsert(h)
			return rawResult{}, err
		}
		if len(b) == 0 {
			continue
		}
		ok := l.streamAppend(h, &b[0], uintptr(len(b))) == 0 // CHDBSuccess; the engine copies the chunk
		runtime.KeepAlive(b)
		if !ok {
			e := goString(l.streamInsertError(h))
			l.streamCancelInsert(h)
			if e == "" {
				e = "chdb_stream_append failed"
			}
			return rawResult{err: e}, nil
		}
	}
	res := l.streamDone(h)
	if res == 0 {
		return rawResult{}, errors.New("chdb_stream_done returned NULL")
	}
	return l.readResult(res), nil
}
