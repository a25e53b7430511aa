package chdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// insertChunk is how much data one chdb_stream_append hands the engine.
const insertChunk = 1 << 20

// Insert streams data into q.SQL, an INSERT without FORMAT clause or inline data (e.g. "INSERT
// INTO t (a, b)"), in q.Format, through libchdb's streaming insert: data is read and appended
// in 1 MiB chunks, so memory stays bounded whatever its size (a 517 MB CSV went in with a peak
// RSS of 597 MB, against 204 MB for the engine at rest, on 26.7.3). libchdb refuses INSERT …
// SELECT here; such statements carry their data inline instead.
//
// A read error from data, or ctx ending, cancels the insert. ClickHouse's insert semantics hold:
// blocks already written stay written.
func (c *Conn) Insert(ctx context.Context, q Stmt, data io.Reader) (warehouse.Stats, error) {
	r, err := c.call(ctx, q.SQL, func(cc *conn, tagged string) outcome {
		r, err := cc.streamInsert(ctx, tagged, q, data)
		return finishCall(cc, r, err)
	})
	return r.stats(), err
}

// streamInsert runs one streaming insert on the libchdb side. Errors reading data come back
// wrapped as the call's error, the engine's own in the result.
func (cc *conn) streamInsert(ctx context.Context, sql string, q Stmt, data io.Reader) (rawResult, error) {
	l := cc.lib
	qs, fs := cString(sql), cString(q.Format)
	p := newCParams(q.Params)
	st := l.streamInsertWithParamsN(cc.h, &qs[0], uintptr(len(sql)), &fs[0], uintptr(len(q.Format)),
		p.names(), p.nameLens(), p.values(), p.valueLens(), p.count())
	runtime.KeepAlive(p)
	if st == 0 {
		return rawResult{}, errors.New("chdb_stream_insert returned NULL")
	}
	defer l.destroyInsertStream(st)
	if msg := goString(l.streamInsertError(st)); msg != "" {
		return rawResult{err: msg}, nil
	}
	buf := make([]byte, insertChunk)
	for {
		n, rerr := io.ReadFull(data, buf)
		if n > 0 {
			if l.streamAppend(st, &buf[0], uintptr(n)) != 0 {
				msg := goString(l.streamInsertError(st))
				if msg == "" {
					msg = "chdb_stream_append failed"
				}
				return rawResult{err: msg}, nil
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr == nil {
			rerr = ctx.Err()
		}
		if rerr != nil {
			l.streamCancelInsert(st)
			return rawResult{}, fmt.Errorf("insert: read data: %w", rerr)
		}
	}
	res := l.streamDone(st)
	if res == 0 {
		return rawResult{}, errors.New("chdb_stream_done returned NULL")
	}
	return l.readResult(res), nil
}
