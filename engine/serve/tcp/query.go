package tcp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	chcompress "github.com/ClickHouse/ch-go/compress"
	"github.com/ClickHouse/ch-go/proto"

	"github.com/dwmhq/dwm/engine/serve/nativefmt"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// statement is a query being answered: what the client asked and how to send results.
type statement struct {
	st         Statement
	compressed bool
	method     chcompress.Method
	start      time.Time
}

// query reads a Query packet and answers it. It returns an error only when the connection must
// close; a failed statement is answered with an exception and the connection goes on.
func (c *conn) query(ctx context.Context) error {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.ReceiveTimeout))
	q := c.pr.query(c.rev, c.srv.opts.MaxQueryBytes)
	if c.pr.err != nil {
		return c.fatal(c.pr.err)
	}
	if err := c.externalTables(q.compressed); err != nil {
		if errors.Is(err, errExternalTables) {
			return c.fail(err, q.id)
		}
		return c.fatal(err)
	}
	s := &statement{st: Statement{SQL: q.body, QueryID: q.id, Settings: q.settings, Params: q.params},
		compressed: q.compressed, start: time.Now()}
	var err error
	if s.method, err = compressionMethod(q.settings["network_compression_method"]); err != nil {
		return c.fail(&warehouse.QueryError{Code: codeUnknownCompression, Name: "UNKNOWN_COMPRESSION_METHOD", Message: err.Error()}, q.id)
	}
	switch {
	case q.stage != stageComplete:
		return c.fail(notImplemented("query processing stage %d (only Complete is served)", q.stage), q.id)
	case q.secret != "":
		return c.fail(notImplemented("inter-server queries"), q.id)
	}
	// The statement's own context, which a shutdown past its grace period cancels (see abort).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.setCancel(cancel)
	defer c.setCancel(nil)
	ins, function, ok := parseInsert(q.body)
	switch {
	case ok && function:
		return c.fail(notImplemented("INSERT INTO FUNCTION with data sent as blocks"), q.id)
	case ok:
		ins.Statement = s.st
		ins.SQL = q.body
		return c.insert(ctx, s, ins)
	}
	return c.run(ctx, s)
}

var errExternalTables = notImplemented("external tables (data sent with a query)")

func notImplemented(format string, args ...any) error {
	return &warehouse.QueryError{Code: codeNotImplemented, Name: "NOT_IMPLEMENTED",
		Message: "dwm serve does not support " + fmt.Sprintf(format, args...) + "."}
}

// externalTables reads the data blocks a client sends after every query, up to the empty one
// that ends them. Clients send external tables there; dwm serve reads and refuses them.
func (c *conn) externalTables(compressed bool) error {
	refused := false
	for {
		code, err := c.readCode()
		if err != nil {
			return err
		}
		if code != clientData {
			return protocolError("expected the data that ends a query, got packet %d", code)
		}
		_, b, charge, err := c.readData(compressed, nil)
		c.acct.give(charge)
		if err != nil {
			return err
		}
		if len(b.Columns) == 0 {
			if refused {
				return errExternalTables
			}
			return nil
		}
		refused = true
	}
}

// readCode reads a packet code within ReceiveTimeout, while the code reader is not asked.
func (c *conn) readCode() (uint64, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.ReceiveTimeout))
	c.pr.err = nil
	return c.pr.uvarint(), c.pr.err
}

// readData reads a Data packet's body: a table name and a block, which is appended to dst[:0] in
// the file layout. charge is what it took from the budget, for the caller to give back.
func (c *conn) readData(compressed bool, dst []byte) ([]byte, nativefmt.Block, int, error) {
	c.pr.err = nil
	if c.pr.str("table name", maxName); c.pr.err != nil {
		return dst, nativefmt.Block{}, 0, c.pr.err
	}
	var src nativefmt.Source = c.br
	if compressed {
		src = &c.frames
	}
	charge := 0
	limit := c.srv.opts.MaxBlockBytes
	tr := nativefmt.Transcoder{From: c.rev, To: 0, Grow: func(n int) error {
		if charge+n > limit {
			return &warehouse.QueryError{Code: codeMemoryLimitExceeded, Name: "MEMORY_LIMIT_EXCEEDED", Message: fmt.Sprintf(
				"dwm serve: a data block may hold at most %d bytes; send smaller blocks", limit)}
		}
		if err := c.acct.take(n); err != nil {
			return err
		}
		charge += n
		return nil
	}}
	out, b, err := tr.Block(dst[:0], src)
	if err == nil && compressed && !c.frames.drained() {
		err = protocolError("a compressed frame continues past the end of its block")
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return out, b, charge, err
}

// outcome is how a statement ended.
type outcome struct {
	stats warehouse.Stats
	err   error
}

// run runs a statement that reads no client data, sending its blocks as they come, a progress
// packet every ProgressInterval, and the end of the result or an exception. Three goroutines
// share the work: the session writes the engine's Native stream into a pipe, a reader cuts it
// into blocks in the client's layout, and this one sends them and watches the client.
func (c *conn) run(ctx context.Context, s *statement) error {
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan outcome, 1)
	go func() {
		stats, err := c.sess.Query(qctx, s.st, pw)
		if err != nil {
			pw.CloseWithError(errStatementFailed) // the outcome carries the error itself
		} else {
			pw.Close()
		}
		done <- outcome{stats, err}
	}()
	blocks := make(chan parsedBlock)
	acks := make(chan error)
	go c.readBlocks(pr, blocks, acks)
	c.ask(0) // watch for Cancel or a disconnect while the statement runs
	tick := time.NewTicker(c.srv.opts.ProgressInterval)
	defer tick.Stop()
	var (
		res       result
		end       *outcome
		sendErr   error // the socket failed: the connection is lost
		encodeErr error // a block could not be encoded for the client: the statement fails
		cancelled bool
	)
	for blocks != nil || end == nil {
		select {
		case pb, ok := <-blocks:
			switch {
			case !ok:
				blocks = nil
			case pb.err != nil:
				encodeErr = pb.err
				cancel()
			default:
				err := c.sendBlock(s, pb, &res)
				if err != nil {
					sendErr = err
					cancel()
				}
				acks <- err
			}
		case <-tick.C:
			if err := c.send(progressPacket(c.out[:0], c.rev, proto.Progress{})); err != nil {
				sendErr = err
				cancel()
			}
		case r := <-c.codes:
			c.asked = false
			switch {
			case r.err != nil:
				sendErr = r.err // the client is gone
			case r.code == clientCancel:
				cancelled = true
			default:
				sendErr = c.fatal(protocolError("packet %d while a query runs", r.code))
			}
			cancel()
		case o := <-done:
			end = &o
		}
	}
	switch {
	case sendErr != nil:
		return sendErr
	case cancelled:
		return c.send(append(c.out[:0], serverEndOfStream))
	case encodeErr != nil:
		return c.fail(encodeErr, s.st.QueryID)
	case end.err != nil:
		return c.fail(end.err, s.st.QueryID)
	}
	return c.finish(s, end.stats, &res)
}

// errStatementFailed ends the engine's stream when the statement failed; the reader stops
// quietly, since the statement's own error is what the client gets.
var errStatementFailed = errors.New("statement failed")

// parsedBlock is one result block in the client's layout, or why the stream cannot be sent.
type parsedBlock struct {
	body  []byte
	block nativefmt.Block
	err   error
}

// readBlocks cuts the engine's Native stream into blocks in the client's layout and hands each
// to the sending goroutine, waiting for its ack before reusing the buffer. It closes blocks when
// the stream ends; a failed send, or a stream it cannot encode, stops the statement by failing
// the engine's writes.
func (c *conn) readBlocks(pr *io.PipeReader, blocks chan<- parsedBlock, acks <-chan error) {
	defer close(blocks)
	src := bufio.NewReaderSize(pr, 64<<10)
	tr := nativefmt.Transcoder{From: 0, To: c.rev}
	var buf []byte
	for {
		var b nativefmt.Block
		var err error
		buf, b, err = tr.Block(buf[:0], src)
		switch {
		case errors.Is(err, io.EOF):
			return
		case errors.Is(err, errStatementFailed):
			return
		case err != nil:
			err = &warehouse.QueryError{Code: codeNotImplemented, Name: "NOT_IMPLEMENTED", Message: fmt.Sprintf(
				"dwm serve cannot send this result over the native protocol: %v; cast the column to a supported type", err)}
			pr.CloseWithError(err)
			blocks <- parsedBlock{err: err}
			return
		}
		blocks <- parsedBlock{body: buf, block: b}
		if err := <-acks; err != nil {
			pr.CloseWithError(err)
			return
		}
	}
}

// result counts what a statement sent, for ProfileInfo.
type result struct {
	headerSent bool
	rows       uint64
	blocks     uint64
	bytes      uint64
}

// sendBlock sends one result block as a Data packet, the first preceded by a header.
func (c *conn) sendBlock(s *statement, pb parsedBlock, res *result) error {
	b := pb.block
	if !res.headerSent {
		res.headerSent = true
		if err := c.writeData(s, nativefmt.AppendHeader(nil, c.rev, b.Columns)); err != nil {
			return err
		}
	}
	if b.Rows == 0 {
		return c.flush()
	}
	if err := c.writeData(s, pb.body); err != nil {
		return err
	}
	res.rows += b.Rows
	res.blocks++
	res.bytes += uint64(b.Bytes)
	return c.flush()
}

// writeData writes one Data packet, compressed when the query asked for it.
func (c *conn) writeData(s *statement, block []byte) error {
	out := append(c.out[:0], serverData, 0) // an empty table name
	if s.compressed {
		var err error
		if out, err = c.fw.appendFrames(out, block, s.method); err != nil {
			return err
		}
	} else {
		out = append(out, block...)
	}
	c.out = out
	return c.write(out)
}

// finish ends a successful statement: profile info for a result, the final progress, the end.
func (c *conn) finish(s *statement, stats warehouse.Stats, res *result) error {
	buf := proto.Buffer{Buf: c.out[:0]}
	if res.headerSent {
		p := proto.Profile{Rows: res.rows, Blocks: res.blocks, Bytes: res.bytes}
		p.EncodeAware(&buf, int(c.rev)) // writes its own packet code
	}
	buf.Buf = progressPacket(buf.Buf, c.rev, proto.Progress{Rows: stats.RowsRead, WroteRows: stats.RowsWritten,
		ElapsedNs: uint64(time.Since(s.start).Nanoseconds())})
	buf.PutByte(serverEndOfStream)
	return c.send(buf.Buf)
}

func progressPacket(b []byte, rev uint64, p proto.Progress) []byte {
	buf := proto.Buffer{Buf: b}
	buf.PutByte(serverProgress)
	p.EncodeAware(&buf, int(rev))
	return buf.Buf
}
